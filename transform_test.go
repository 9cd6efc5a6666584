package strata_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

// TestWriteTransform: while a transform is installed every write to its
// table passes through it before validation (so a write in the old shape
// is accepted by a schema that needs the new one); removing it stops that.
func TestWriteTransform(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "nameLen": v.Optional(v.Int64())}),
		strata.Table("other", v.Object{"name": v.String()}))
	setSchema(t, db, s, err)
	var sawOld []bool
	remove := db.AddWriteTransform("users", func(old, next strata.Doc) (strata.Doc, error) {
		sawOld = append(sawOld, old != nil)
		if next.CreationTime() == 0 || next.ID() == "" {
			return nil, errors.New("system fields missing")
		}
		out := next.Fields()
		out[strata.FieldID], out[strata.FieldCreationTime] = next.ID(), next.CreationTime()
		out["nameLen"] = int64(len(next.StringOr("name", "")))
		return out, nil
	})
	ids := insert(t, db, "users", strata.Doc{"name": "Ada"})
	mutate(t, db, func(tx *strata.Tx) error { return tx.Patch(ids[0], strata.Patch{"name": "Ada Lovelace"}) })
	query(t, db, func(tx *strata.Tx) error {
		d, _ := tx.Get(ids[0])
		if n, _ := d.Int("nameLen"); n != 12 {
			t.Errorf("nameLen = %v", d["nameLen"])
		}
		return nil
	})
	if len(sawOld) != 2 || sawOld[0] || !sawOld[1] {
		t.Errorf("old passed as %v, want [false true]", sawOld)
	}
	other := insert(t, db, "other", strata.Doc{"name": "x"})
	if len(sawOld) != 2 {
		t.Errorf("transform ran for another table")
	}
	_ = other
	remove()
	mutate(t, db, func(tx *strata.Tx) error { return tx.Patch(ids[0], strata.Patch{"name": "A"}) })
	query(t, db, func(tx *strata.Tx) error {
		d, _ := tx.Get(ids[0])
		if n, _ := d.Int("nameLen"); n != 12 {
			t.Errorf("removed transform still ran: %v", d["nameLen"])
		}
		return nil
	})
	// A transform that breaks the rules refuses the write.
	defer db.AddWriteTransform("users", func(old, next strata.Doc) (strata.Doc, error) {
		out := next.Fields()
		out[strata.FieldID] = strata.ID("x")
		return out, nil
	})()
	err = db.Mutation(ctx, func(tx *strata.Tx) error { _, err := tx.Insert("users", strata.Doc{"name": "B"}); return err })
	if err == nil || !strings.Contains(err.Error(), "system field") {
		t.Errorf("transform changing _id: %v", err)
	}
}
