package strata_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

func TestInsertGetPatchReplaceDelete(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) error {
		var err error
		id, err = tx.Insert("users", strata.Doc{
			"name":  "Ada",
			"age":   int64(36),
			"score": 1.5,
			"tags":  []any{"a", int64(1)},
			"blob":  []byte{0, 1, 2},
			"meta":  map[string]any{"x": nil},
		})
		return err
	})
	if tbl, err := id.Table(); err != nil || tbl != "users" {
		t.Fatalf("id %q: table %q, %v", id, tbl, err)
	}
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		if err != nil {
			return err
		}
		if d.ID() != id || d.CreationTime() <= 0 {
			t.Errorf("system fields: %v %v", d.ID(), d.CreationTime())
		}
		if got, _ := d.Int("age"); got != 36 {
			t.Errorf("age = %v", d["age"])
		}
		if _, isFloat := d.Float("age"); isFloat {
			t.Errorf("int64 came back as float64")
		}
		if !value.Equal(d["blob"], []byte{0, 1, 2}) || !value.Equal(d["tags"], []any{"a", int64(1)}) {
			t.Errorf("values not round-tripped: %#v", d)
		}
		return nil
	})
	mutate(t, db, func(tx *strata.Tx) error {
		return tx.Patch(id, strata.Patch{"age": strata.Unset, "email": "ada@example.com"})
	})
	query(t, db, func(tx *strata.Tx) error {
		d, _ := tx.Get(id)
		if d.Has("age") || d.StringOr("email", "") != "ada@example.com" || d.StringOr("name", "") != "Ada" {
			t.Errorf("after patch: %#v", d)
		}
		return nil
	})
	var ct float64
	mutate(t, db, func(tx *strata.Tx) error {
		d, _ := tx.Get(id)
		ct = d.CreationTime()
		return tx.Replace(id, strata.Doc{"name": "Ada L."})
	})
	query(t, db, func(tx *strata.Tx) error {
		d, _ := tx.Get(id)
		if len(d) != 3 || d.StringOr("name", "") != "Ada L." || d.ID() != id || d.CreationTime() != ct {
			t.Errorf("after replace: %#v", d)
		}
		return nil
	})
	mutate(t, db, func(tx *strata.Tx) error { return tx.Delete(id) })
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		if d != nil || err != nil {
			t.Errorf("after delete: %v, %v", d, err)
		}
		return nil
	})
	err := db.Mutation(ctx, func(tx *strata.Tx) error { return tx.Delete(id) })
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("delete of a deleted document: %v", err)
	}
}

func TestCreationTimeStrictlyIncreasing(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	var docs []strata.Doc
	for i := 0; i < 300; i++ {
		docs = append(docs, strata.Doc{"i": int64(i)})
	}
	insert(t, db, "t", docs[:150]...)
	insert(t, db, "t", docs[150:]...)
	query(t, db, func(tx *strata.Tx) error {
		all, err := tx.Table("t").Collect()
		if err != nil {
			return err
		}
		if len(all) != 300 {
			t.Fatalf("got %d docs", len(all))
		}
		for i := 1; i < len(all); i++ {
			if !(all[i].CreationTime() > all[i-1].CreationTime()) {
				t.Fatalf("creation times not strictly increasing at %d: %v then %v", i, all[i-1].CreationTime(), all[i].CreationTime())
			}
			if n, _ := all[i].Int("i"); n != int64(i) {
				t.Fatalf("doc %d out of insertion order: %v", i, n)
			}
		}
		return nil
	})
}

func TestSchemaValidatesWrites(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	s, err := strata.NewSchema(strata.Table("users", v.Object{
		"name":     v.String(),
		"settings": v.Optional(v.Object{"theme": v.String()}),
	}))
	setSchema(t, db, s, err)
	ids := insert(t, db, "users", strata.Doc{"name": "Ada"})
	before := dump(t, db)

	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		if _, err := tx.Insert("users", strata.Doc{"name": "ok"}); err != nil {
			return err
		}
		return tx.Patch(ids[0], strata.Patch{"settings": map[string]any{"theme": int64(1)}})
	})
	var we *strata.WriteError
	if !errors.As(err, &we) {
		t.Fatalf("want *WriteError, got %v", err)
	}
	if we.Table != "users" || we.ID != ids[0] || !strings.Contains(err.Error(), "settings.theme: expected string, found int64") {
		t.Errorf("error does not name table, document and path: %v", err)
	}
	if !bytesEqual(before, dump(t, db)) {
		t.Errorf("a refused transaction changed the database")
	}
	// With a schema, a table it does not declare cannot be written, and
	// the error names the declared tables; reading it (empty) is an error
	// too, so a typo is never an empty result.
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("free", strata.Doc{"anything": []any{nil, true}})
		return err
	})
	if !errors.As(err, &we) || !errors.Is(err, strata.ErrUnknownTable) || we.Table != "free" || !strings.Contains(err.Error(), "declares users") {
		t.Errorf("insert into an undeclared table: %v, want a *WriteError wrapping ErrUnknownTable naming users", err)
	}
	err = db.Query(ctx, func(tx *strata.Tx) error { _, err := tx.Table("usres").Collect(); return err })
	if !errors.Is(err, strata.ErrUnknownTable) || !strings.Contains(err.Error(), "declares users") {
		t.Errorf("read of an undeclared table: %v", err)
	}
	if !bytesEqual(before, dump(t, db)) {
		t.Errorf("a refused transaction changed the database")
	}
	// Without a schema, tables accept anything.
	insert(t, openDB(t), "free", strata.Doc{"anything": []any{nil, true}})
}

func TestRollbackOnErrorAndPanic(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	before := dump(t, db)
	sentinel := errors.New("boom")
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		tx.Insert("t", strata.Doc{"x": 1.0})
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("error not returned: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("panic swallowed")
			}
		}()
		db.Mutation(ctx, func(tx *strata.Tx) error {
			tx.Insert("t", strata.Doc{"x": 2.0})
			panic("boom")
		})
	}()
	if !bytesEqual(before, dump(t, db)) {
		t.Errorf("rolled-back transactions left data behind")
	}
	// The database still works after a panic.
	insert(t, db, "t", strata.Doc{"x": 3.0})
}

func TestQueryIsReadOnly(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	err := db.Query(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("t", strata.Doc{})
		return err
	})
	if !errors.Is(err, strata.ErrReadOnly) {
		t.Errorf("insert in Query: %v", err)
	}
}

func TestNaNAndNegativeZeroRoundTrip(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ids := insert(t, db, "t", strata.Doc{"nan": math.NaN(), "negz": math.Copysign(0, -1), "inf": math.Inf(-1)})
	query(t, db, func(tx *strata.Tx) error {
		d, _ := tx.Get(ids[0])
		if f, _ := d.Float("nan"); !math.IsNaN(f) {
			t.Errorf("NaN: %v", f)
		}
		if f, _ := d.Float("negz"); f != 0 || !math.Signbit(f) {
			t.Errorf("-0: %v", f)
		}
		if f, _ := d.Float("inf"); !math.IsInf(f, -1) {
			t.Errorf("-Inf: %v", f)
		}
		return nil
	})
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
