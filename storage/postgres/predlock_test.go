package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
)

// TestOutOfLockMemoryIsRetried: a Mutation whose transaction fails with
// "out of shared memory" (SQLSTATE 53200: the server's predicate lock
// table is full) is retried like a serialization failure, and succeeds
// once it fits, instead of failing the application's write. The first
// attempt reads more rows than a private server with a tiny lock table
// can lock, so it meets 53200 every time; the second reads few.
//
// Then TestOutOfLockMemoryIsRetried/bulk: after that 53200, the same
// large read in a transaction begun with storage.WithBulkRead fits at the
// first attempt, since it locks the tables it reads, not their rows.
func TestOutOfLockMemoryIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pgtest.StartServer(t, pgtest.Options{Settings: pgtest.TinyPredicateLocks})
	db, err := strata.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := seedItems(t, db)
	t.Run("retried", func(t *testing.T) { testOutOfLockMemoryRetried(t, db, ids) })
	t.Run("bulk", func(t *testing.T) { testBulkReadFits(t, db, ids) })
}

// seedItems inserts 600 documents into "items" and returns their ids.
func seedItems(t testing.TB, db *strata.DB) []strata.ID {
	t.Helper()
	ctx := context.Background()
	var ids []strata.ID
	for range 6 {
		if err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := range 100 {
				id, err := tx.Insert("items", strata.Doc{"n": int64(i)})
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func testOutOfLockMemoryRetried(t *testing.T, db *strata.DB, ids []strata.ID) {
	ctx := context.Background()
	attempts := 0
	var first error
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		attempts++
		n := 5
		if attempts == 1 {
			n = len(ids)
		}
		for _, id := range ids[:n] {
			if _, err := tx.Get(id); err != nil {
				if attempts == 1 {
					first = err
				}
				return err
			}
		}
		return tx.Patch(ids[0], strata.Patch{"n": int64(-1)})
	})
	var pe *pgconn.PgError
	if !errors.As(first, &pe) || pe.Code != "53200" {
		t.Fatalf("first attempt: %v, want SQLSTATE 53200 (the test server's lock table is not small enough)", first)
	}
	if !errors.Is(first, storage.ErrConflict) {
		t.Errorf("53200 does not wrap storage.ErrConflict: %v", first)
	}
	if err != nil {
		t.Fatalf("Mutation failed instead of retrying after 53200: %v", err)
	}
	if attempts != 2 {
		t.Errorf("%d attempts, want 2", attempts)
	}
}

func testBulkReadFits(t *testing.T, db *strata.DB, ids []strata.ID) {
	ctx := context.Background()
	for _, writable := range []bool{false, true} {
		attempts := 0
		fn := func(tx *strata.Tx) error {
			attempts++
			docs, err := tx.Table("items").Collect()
			if err != nil {
				return err
			}
			if len(docs) != len(ids) {
				return fmt.Errorf("read %d documents, want %d", len(docs), len(ids))
			}
			for _, id := range ids {
				if _, err := tx.Get(id); err != nil {
					return err
				}
			}
			if writable {
				return tx.Patch(ids[1], strata.Patch{"n": int64(-2)})
			}
			return nil
		}
		var err error
		if writable {
			err = db.Mutation(storage.WithBulkRead(ctx), fn)
		} else {
			err = db.Query(storage.WithBulkRead(ctx), fn)
		}
		if err != nil || attempts != 1 {
			t.Errorf("writable %v: bulk read of %d documents: %d attempts, %v", writable, len(ids), attempts, err)
		}
	}
}
