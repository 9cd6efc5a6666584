package strata_test

import (
	"errors"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

func TestOnCommit(t *testing.T) {
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
