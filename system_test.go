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

func TestSystemWrites(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) error {
		var err error
		if id, err = system.Insert(tx, "_jobs", map[string]any{"state": "pending"}); err != nil {
			return err
		}
		if err := system.Patch(tx, id, map[string]any{"state": "done"}); err != nil {
			return err
		}
		if _, err := system.Insert(tx, "users", map[string]any{}); err == nil {
			t.Errorf("system.Insert into an application table succeeded")
		}
		return nil
	})
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		if err != nil || d.String("state") != "done" {
			t.Errorf("system doc: %v %v", d, err)
		}
		return nil
	})
	err := db.Mutation(ctx, func(tx *strata.Tx) error { return tx.Delete(id) })
	if err == nil {
		t.Errorf("application delete of a system document succeeded")
	}
	mutate(t, db, func(tx *strata.Tx) error { return system.Delete(tx, id) })
}

// TestAdoptedRecordsStayPrivate: a decoded record the migration engine
// hands to the transaction (system.AdoptDecoded) serves updates as the old
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
		ids, recs, done, err := system.ScanRecordsByID(tx, "t", "", 10)
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
		system.AdoptDecoded(tx, id, recs[0], adopted)
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
