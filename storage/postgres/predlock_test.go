package postgres_test

import (
	"context"
	"errors"
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
func TestOutOfLockMemoryIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pgtest.StartServer(t, pgtest.Options{Settings: pgtest.TinyPredicateLocks})
	db, err := strata.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
	attempts := 0
	var first error
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
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
