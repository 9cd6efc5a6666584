package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
)

// paginateAll reads every document of table in pages of 1024, in one
// read transaction per page, and returns how many it read and how long
// that took.
func paginateAll(tb testing.TB, db *strata.DB, table string) (int, time.Duration) {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	n, cursor := 0, ""
	for {
		var page strata.Page
		err := db.Query(ctx, func(tx *strata.Tx) error {
			var err error
			page, err = tx.Table(table).Paginate(1024, cursor)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
		n += len(page.Page)
		if page.IsDone {
			return n, time.Since(start)
		}
		cursor = page.ContinueCursor
	}
}

// TestStaleStatistics: with autovacuum off and the statistics of strata's
// tables gathered while they held only another table's documents, a full
// paginate of a table filled since takes at most 3 times as long as with
// fresh statistics (the bound issue 18 asks for; 100 ms of slack for a
// busy machine). With the page query of before (a LEFT JOIN), PostgreSQL
// estimated the new table at one document and read all of them for every
// entry of a page: 3 min 16 s against 1.2 s.
func TestStaleStatistics(t *testing.T) {
	t.Parallel()
	const docs = 20_000
	ctx := context.Background()
	url := pgtest.URL(t)
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range 1000 {
			if _, err := tx.Insert("other", strata.Doc{"i": int64(i)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE strata_documents SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`,
		`ALTER TABLE strata_index SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`,
		`ANALYZE strata_documents`,
		`ANALYZE strata_index`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for lo := 0; lo < docs; lo += 2000 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < lo+2000; i++ {
				if _, err := tx.Insert("items", strata.Doc{"i": int64(i), "pad": "some text to give the record a realistic size"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	n, stale := paginateAll(t, db, "items")
	if n != docs {
		t.Fatalf("paginate read %d documents, want %d", n, docs)
	}
	if _, err := admin.Exec(ctx, `ANALYZE strata_documents; ANALYZE strata_index`); err != nil {
		t.Fatal(err)
	}
	// A new handle: no plan cached under the stale statistics.
	db2, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	_, fresh := paginateAll(t, db2, "items")
	t.Logf("full paginate of %d documents: %v with stale statistics, %v with fresh", docs, stale, fresh)
	if stale > 3*fresh+100*time.Millisecond {
		t.Errorf("full paginate took %v with stale statistics, more than 3 times %v with fresh", stale, fresh)
	}
}
