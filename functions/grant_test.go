package functions

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

// TestGrantOwnTableOnly: the scheduler's privileged surface writes
// _scheduled_functions and is refused the migration engine's tables and
// the core's.
func TestGrantOwnTableOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "grant.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		id, err := sys.Insert(tx, Table, map[string]any{"state": "pending"})
		if err != nil {
			return err
		}
		return sys.Patch(tx, id, map[string]any{"state": "done"})
	})
	if err != nil {
		t.Fatalf("own table: %v", err)
	}
	for _, table := range []string{"_migrations", "_migrations_moved", "_schemas", "_index_builds"} {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			_, err := sys.Insert(tx, table, map[string]any{"name": "x"})
			return err
		})
		if !errors.Is(err, system.ErrDenied) {
			t.Errorf("insert into %s: %v, want ErrDenied", table, err)
		}
	}
	if err := sys.Push(ctx, db, nil, nil, true); !errors.Is(err, system.ErrDenied) {
		t.Errorf("push: %v, want ErrDenied", err)
	}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		for _, table := range []string{"_migrations", "_migrations_moved", "_schemas", "_index_builds"} {
			if n, err := tx.Table(table).Count(); err != nil || n != 0 {
				t.Errorf("%s holds %d documents (%v)", table, n, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
