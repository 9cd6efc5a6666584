package migrate_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/migbench"
)

// BenchmarkShapedRead reads records of the oldest shape, with the four
// schema changes of `strata bench schema` applied at read time ("old"),
// and the same documents compacted ("materialized"), on SQLite: get by
// id, a page of 100, an index range of 100. It reports old-ns/op,
// mat-ns/op and their ratio old/mat, the read-cost figure
// (target <= 1.3).
func BenchmarkShapedRead(b *testing.B) {
	const n = 5000
	db := openDB(b)
	s, err := migbench.SchemaFor("old", "mat")
	if err != nil {
		b.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		b.Fatal(err)
	}
	ids := map[string][]strata.ID{}
	for _, t := range []string{"old", "mat"} {
		if ids[t], err = migbench.LoadTable(ctx, db, t, n, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := migbench.RunSteps(ctx, db, t, n, false); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := migbench.CompactTable(ctx, db, "mat"); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	reads := []struct {
		name string
		fn   func(tx *strata.Tx, table string) error
	}{
		{"get", func(tx *strata.Tx, table string) error {
			_, err := tx.Get(ids[table][rng.IntN(n)])
			return err
		}},
		{"page100", func(tx *strata.Tx, table string) error {
			_, err := tx.Table(table).Paginate(100, "")
			return err
		}},
		{"range100", func(tx *strata.Tx, table string) error {
			_, err := tx.Table(table).WithIndex("by_age", strata.Eq("age", int64(20+rng.IntN(50)))).Take(100)
			return err
		}},
	}
	// Each iteration reads old then materialized, so that a slow spell
	// of the machine falls on both; the ratio is reported as old/mat.
	for _, r := range reads {
		b.Run(r.name, func(b *testing.B) {
			var old, mat time.Duration
			for b.Loop() {
				for _, table := range []string{"old", "mat"} {
					t0 := time.Now()
					if err := db.Query(ctx, func(tx *strata.Tx) error { return r.fn(tx, table) }); err != nil {
						b.Fatal(err)
					}
					if table == "old" {
						old += time.Since(t0)
					} else {
						mat += time.Since(t0)
					}
				}
			}
			b.ReportMetric(float64(old.Nanoseconds())/float64(b.N), "old-ns/op")
			b.ReportMetric(float64(mat.Nanoseconds())/float64(b.N), "mat-ns/op")
			b.ReportMetric(old.Seconds()/mat.Seconds(), "old/mat")
		})
	}
}
