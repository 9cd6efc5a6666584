package migrate

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/value"
)

// TestGrantOwnTablesOnly: this package's privileged surface writes the
// system tables it owns (_migrations, _migrations_moved) and is refused
// every other one, the scheduler's and the core's included, leaving them
// untouched.
func TestGrantOwnTablesOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "grant.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{Table, MovedTable} {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			id, err := sys.Insert(tx, table, map[string]any{"name": "x"})
			if err != nil {
				return err
			}
			if err := sys.Patch(tx, id, map[string]any{"name": "y"}); err != nil {
				return err
			}
			return sys.Delete(tx, id)
		})
		if err != nil {
			t.Errorf("own table %s: %v", table, err)
		}
	}
	job := value.NewID("_scheduled_functions") // refused by its table before it is looked up
	for _, table := range []string{"_scheduled_functions", "_schemas", "_index_builds", "users"} {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			_, err := sys.Insert(tx, table, map[string]any{"state": "x"})
			return err
		})
		if !errors.Is(err, system.ErrDenied) {
			t.Errorf("insert into %s: %v, want ErrDenied", table, err)
		}
	}
	refused := map[string]func(tx *strata.Tx) error{
		"patch":   func(tx *strata.Tx) error { return sys.Patch(tx, job, map[string]any{"state": "done"}) },
		"replace": func(tx *strata.Tx) error { return sys.Replace(tx, job, map[string]any{}) },
		"delete":  func(tx *strata.Tx) error { return sys.Delete(tx, job) },
	}
	for name, fn := range refused {
		if err := db.Mutation(ctx, fn); !errors.Is(err, system.ErrDenied) {
			t.Errorf("%s of a _scheduled_functions document: %v, want ErrDenied", name, err)
		}
	}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		for _, table := range []string{"_scheduled_functions", "_schemas", "_index_builds", "users"} {
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
