package migrate_test

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestIndexRangeRewriteVisitsOnce: a custom migration over an index range
// on the very field it rewrites (3,000 documents, each moved past the end
// of the range) visits every document once and ends, with MigrateOne and
// with MigrateBatch; what it remembers of the moved documents is never
// rewritten with the batches (the tracking document stays small — it used
// to hold every moved id, rewritten by every batch), and is gone when the
// migration completes.
func TestIndexRangeRewriteVisitsOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, testIndexRangeRewriteVisitsOnce)
}

const movedDocs = 3000

func testIndexRangeRewriteVisitsOnce(t *testing.T, db *strata.DB) {
	s, _ := strata.NewSchema(strata.Table("items", v.Object{"n": v.Int64(), "visits": v.Int64()}).Index("by_n", "n"))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range movedDocs {
			if _, err := tx.Insert("items", strata.Doc{"n": int64(i), "visits": int64(0)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// bump moves a document past every other: n+movedDocs. A second visit
	// is an error (so a scan that never ends stops at once).
	round := 0
	bump := func(d strata.Doc) (strata.Patch, error) {
		n, _ := d.Int("n")
		k, _ := d.Int("visits")
		if k > int64(round) {
			return nil, fmt.Errorf("document %s (n=%d) visited a second time", d.ID(), n)
		}
		return strata.Patch{"n": n + movedDocs, "visits": k + 1}, nil
	}
	cases := []migrate.Migration{
		{Name: "one", MigrateOne: bump},
		{Name: "batch", MigrateBatch: func(tx *strata.Tx, docs []strata.Doc) (int, error) {
			for _, d := range docs {
				p, err := bump(d)
				if err != nil {
					return 0, err
				}
				if err := tx.Patch(d.ID(), p); err != nil {
					return 0, err
				}
			}
			return len(docs), nil
		}},
	}
	for i, mig := range cases {
		round = i
		lo := int64(round * movedDocs)
		mig.Table, mig.Index = "items", "by_n"
		mig.Range = []strata.RangeExpr{strata.Gte("n", lo)} // the moved documents stay in the range
		mig.BatchSize, mig.TargetBatchDuration = 100, -1
		maxTracking := 0
		m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
			db.Query(ctx, func(tx *strata.Tx) error {
				d, err := tx.Table(migrate.Table).Filter(strata.Field("name").Eq(mig.Name)).First()
				if err == nil && d != nil {
					if list, _ := d["skip"].([]any); len(list) > maxTracking {
						maxTracking = len(list)
					}
				}
				return err
			})
		}})
		if err := m.Define(mig); err != nil {
			t.Fatal(err)
		}
		st, err := m.Run(ctx, mig.Name)
		if err != nil || st.State != migrate.Completed || st.Processed != movedDocs {
			t.Fatalf("%s: %+v %v", mig.Name, st, err)
		}
		if maxTracking > mig.BatchSize {
			t.Errorf("%s: the tracking document remembered up to %d moved ids, rewritten with every batch", mig.Name, maxTracking)
		}
		// Each document is read twice: where it was, and where it moved
		// (passed over there): 2*movedDocs/BatchSize batches, and as many
		// again for batches halved by conflicts with the progress reads
		// above (on a loaded PostgreSQL server) before they grow back.
		if st.Batches > 4*movedDocs/int64(mig.BatchSize)+2 {
			t.Errorf("%s: %d batches of at most %d for %d documents read twice", mig.Name, st.Batches, mig.BatchSize, movedDocs)
		}
		visits := map[int64]int{}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("items").Each(func(d strata.Doc) error {
				k, _ := d.Int("visits")
				visits[k]++
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if visits[int64(round+1)] != movedDocs || len(visits) != 1 {
			t.Errorf("%s: visits %v, want every document exactly once more", mig.Name, visits)
		}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			n, err := tx.Table(migrate.MovedTable).Count()
			if n != 0 {
				t.Errorf("%s: %d records left in %s after completion", mig.Name, n, migrate.MovedTable)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
