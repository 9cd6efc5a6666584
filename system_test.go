package strata_test

import (
	"errors"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

func TestOnCommit(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	var ran []string
	mutate(t, db, func(tx *strata.Tx) error {
		tx.OnCommit(func() { ran = append(ran, "a") })
		tx.OnCommit(func() { ran = append(ran, "b") })
		if len(ran) != 0 {
			t.Errorf("hook ran before commit")
		}
		return nil
	})
	if len(ran) != 2 || ran[0] != "a" || ran[1] != "b" {
		t.Errorf("hooks after commit: %v", ran)
	}
	ran = nil
	db.Mutation(ctx, func(tx *strata.Tx) error {
		tx.OnCommit(func() { ran = append(ran, "rolled back") })
		return errors.New("no")
	})
	if len(ran) != 0 {
		t.Errorf("hook ran after rollback: %v", ran)
	}
}

// sys is the privileged surface as a package without a grant sees it.
var sys = system.Open[*strata.DB, *strata.Tx]()

// TestSurfaceWithoutGrant: a package that owns no system table (this test
// package) may read through the surface but every write and push is
// refused with system.ErrDenied, and nothing is written.
func TestSurfaceWithoutGrant(t *testing.T) {
	t.Parallel()
	if got := sys.Package(); got != "github.com/strata-db/strata_test" {
		t.Fatalf("surface opened by %q", got)
	}
	db := openDB(t)
	var migration strata.ID
	mutate(t, db, func(tx *strata.Tx) error {
		var err error
		migration, err = tx.Insert("users", strata.Doc{"name": "ada"})
		return err
	})
	writes := []struct {
		name string
		fn   func(tx *strata.Tx) error
	}{
		{"insert _migrations", func(tx *strata.Tx) error {
			_, err := sys.Insert(tx, "_migrations", map[string]any{"name": "x"})
			return err
		}},
		{"insert _schemas", func(tx *strata.Tx) error {
			_, err := sys.Insert(tx, "_schemas", map[string]any{})
			return err
		}},
		{"patch users", func(tx *strata.Tx) error { return sys.Patch(tx, migration, map[string]any{"name": "x"}) }},
		{"replace users", func(tx *strata.Tx) error { return sys.Replace(tx, migration, map[string]any{}) }},
		{"delete users", func(tx *strata.Tx) error { return sys.Delete(tx, migration) }},
	}
	for _, w := range writes {
		err := db.Mutation(ctx, w.fn)
		if !errors.Is(err, system.ErrDenied) {
			t.Errorf("%s: %v, want ErrDenied", w.name, err)
		}
	}
	if err := sys.Push(ctx, db, db.Schema(), nil, true); !errors.Is(err, system.ErrDenied) {
		t.Errorf("push: %v, want ErrDenied", err)
	}
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Get(migration)
		if err != nil || d.StringOr("name", "") != "ada" {
			t.Errorf("users document after refused writes: %v %v", d, err)
		}
		for _, table := range []string{"_migrations", "_schemas"} {
			n, err := tx.Table(table).Count()
			if err != nil || n != 0 {
				t.Errorf("%s holds %d documents (%v) after refused inserts", table, n, err)
			}
		}
		return nil
	})
}

// TestSystemWriteCheck: whatever a package's grant says, the core writes
// only system tables, and only in write transactions.
func TestSystemWriteCheck(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	mutate(t, db, func(tx *strata.Tx) error {
		if err := strata.CheckSystemWrite(tx, "_jobs"); err != nil {
			t.Errorf("system table: %v", err)
		}
		for _, table := range []string{"users", "", "_bad name"} {
			if err := strata.CheckSystemWrite(tx, table); err == nil {
				t.Errorf("%q: accepted", table)
			}
		}
		return nil
	})
	query(t, db, func(tx *strata.Tx) error {
		if err := strata.CheckSystemWrite(tx, "_jobs"); !errors.Is(err, strata.ErrReadOnly) {
			t.Errorf("read-only transaction: %v", err)
		}
		return nil
	})
}

// TestAdoptedRecordsStayPrivate: a decoded record the migration engine
// hands to the transaction (AdoptDecoded) serves updates as the old
// document, but Get returns copies, so a caller that modifies what it got
// changes neither the cache nor what is written.
func TestAdoptedRecordsStayPrivate(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) error {
		var err error
		id, err = tx.Insert("t", strata.Doc{"a": int64(1), "tags": []any{"x"}})
		return err
	})
	mutate(t, db, func(tx *strata.Tx) error {
		ids, recs, done, err := sys.ScanRecordsByID(tx, "t", "", 10)
		if err != nil || len(ids) != 1 || ids[0] != id || !done {
			t.Fatalf("scan: %v %d %v %v", ids, len(recs), done, err)
		}
		adopted := map[string]any{}
		got, err := tx.Get(id)
		if err != nil {
			return err
		}
		for k, x := range got {
			adopted[k] = x
		}
		sys.AdoptDecoded(tx, id, recs[0], adopted)
		d, err := tx.Get(id)
		if err != nil {
			return err
		}
		d["a"] = int64(99)
		d["tags"].([]any)[0] = "changed"
		again, err := tx.Get(id)
		if err != nil {
			return err
		}
		if v, _ := again.Int("a"); v != 1 || again["tags"].([]any)[0] != "x" {
			t.Errorf("a caller's change to a Get result reached the cache: %v", again)
		}
		return tx.Patch(id, strata.Patch{"b": true})
	})
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		if err != nil {
			return err
		}
		if v, _ := d.Int("a"); v != 1 || d["tags"].([]any)[0] != "x" || d["b"] != true {
			t.Errorf("stored document: %v", d)
		}
		return nil
	})
}
