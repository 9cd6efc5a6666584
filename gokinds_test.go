package strata_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

type role string

// TestGoKindsAtBoundary: Insert, Patch, Replace, filters and index ranges
// take Go kinds (int, uint16, float32, named types, []string,
// map[string]string, nested Doc, pointers) and store strata's values.
func TestGoKindsAtBoundary(t *testing.T) {
	db := openDB(t)
	s, err := strata.NewSchema(strata.Table("users", v.Object{
		"name":   v.String(),
		"age":    v.Int64(),
		"score":  v.Number(),
		"role":   v.String(),
		"tags":   v.Array(v.String()),
		"labels": v.Record(v.String(), v.String()),
		"prefs":  v.Optional(v.Object{"theme": v.String(), "size": v.Int64()}),
		"nick":   v.Union(v.Null(), v.String()),
	}).Index("by_age", "age"))
	setSchema(t, db, s, err)
	var noNick *string
	ids := insert(t, db, "users", strata.Doc{
		"name": "Ada", "age": 36, "score": float32(0.5), "role": role("admin"),
		"tags": []string{"a", "b"}, "labels": map[string]string{"k": "v"},
		"prefs": strata.Doc{"theme": "dark", "size": uint16(12)}, "nick": noNick,
	})
	want := strata.Doc{
		"name": "Ada", "age": int64(36), "score": 0.5, "role": "admin",
		"tags": []any{"a", "b"}, "labels": map[string]any{"k": "v"},
		"prefs": map[string]any{"theme": "dark", "size": int64(12)}, "nick": nil,
	}
	check := func(want strata.Doc) {
		t.Helper()
		query(t, db, func(tx *strata.Tx) error {
			d, err := tx.Get(ids[0])
			if err != nil {
				return err
			}
			if got := d.Fields(); !reflect.DeepEqual(got, want) {
				t.Fatalf("stored %#v\nwant %#v", got, want)
			}
			for name, q := range map[string]*strata.Query{
				"filter int":    tx.Table("users").Filter(strata.Field("age").Eq(36)),
				"filter named":  tx.Table("users").Filter(strata.Field("role").Eq(role("admin"))),
				"filter []str":  tx.Table("users").Filter(strata.Field("tags").Eq([]string{"a", "b"})),
				"range uint8":   tx.Table("users").WithIndex("by_age", strata.Eq("age", uint8(36))),
				"range int32":   tx.Table("users").WithIndex("by_age", strata.Gt("age", int32(35)), strata.Lt("age", 37)),
				"filter nested": tx.Table("users").Filter(strata.Field("prefs").Eq(strata.Doc{"theme": "dark", "size": 12})),
			} {
				got, err := q.Collect()
				if err != nil || len(got) != 1 {
					t.Errorf("%s: got %d documents, %v; want 1", name, len(got), err)
				}
			}
			return nil
		})
	}
	check(want)
	mutate(t, db, func(tx *strata.Tx) error {
		return tx.Patch(ids[0], strata.Patch{"age": uint32(37), "tags": [2]string{"x", "y"}, "prefs": strata.Unset})
	})
	want["age"], want["tags"] = int64(37), []any{"x", "y"}
	delete(want, "prefs")
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Get(ids[0])
		if err == nil && !reflect.DeepEqual(d.Fields(), want) {
			t.Fatalf("after patch: %#v", d.Fields())
		}
		return err
	})
	mutate(t, db, func(tx *strata.Tx) error {
		return tx.Replace(ids[0], strata.Doc{"name": "Ada", "age": int8(36), "score": float32(0.5), "role": role("admin"),
			"tags": []string{"a", "b"}, "labels": map[string]string{"k": "v"}, "prefs": map[string]any{"theme": "dark", "size": 12}, "nick": noNick})
	})
	want = strata.Doc{
		"name": "Ada", "age": int64(36), "score": 0.5, "role": "admin",
		"tags": []any{"a", "b"}, "labels": map[string]any{"k": "v"},
		"prefs": map[string]any{"theme": "dark", "size": int64(12)}, "nick": nil,
	}
	check(want)
}

// TestGoKindsRefused: a refused Go value fails the write with a
// *WriteError naming the table and the field path, and writes nothing.
func TestGoKindsRefused(t *testing.T) {
	db := openDB(t)
	ids := insert(t, db, "items", strata.Doc{"n": int64(1)})
	before := dump(t, db)
	cases := []struct {
		name string
		run  func(tx *strata.Tx) error
		want []string
	}{
		{"insert chan", func(tx *strata.Tx) error {
			_, err := tx.Insert("items", strata.Doc{"a": map[string]any{"c": make(chan int)}})
			return err
		}, []string{"items", "a.c", "chan int"}},
		{"insert func", func(tx *strata.Tx) error { _, err := tx.Insert("items", strata.Doc{"f": []any{func() {}}}); return err },
			[]string{"items", "f[0]", "func()"}},
		{"insert complex", func(tx *strata.Tx) error { _, err := tx.Insert("items", strata.Doc{"z": 1i}); return err },
			[]string{"items", "z", "complex128"}},
		{"insert time", func(tx *strata.Tx) error { _, err := tx.Insert("items", strata.Doc{"at": time.Now()}); return err },
			[]string{"items", "at", "time.Time", "UnixMilli"}},
		{"insert uint64 overflow", func(tx *strata.Tx) error { _, err := tx.Insert("items", strata.Doc{"n": ^uint64(0)}); return err },
			[]string{"items", "n", "overflows int64"}},
		{"insert int map key", func(tx *strata.Tx) error {
			_, err := tx.Insert("items", strata.Doc{"m": map[int]int{1: 1}})
			return err
		},
			[]string{"items", "m", "map keys must be strings"}},
		{"patch chan", func(tx *strata.Tx) error { return tx.Patch(ids[0], strata.Patch{"c": make(chan int)}) },
			[]string{"items", string(ids[0]), "c", "chan int"}},
		{"replace func", func(tx *strata.Tx) error { return tx.Replace(ids[0], strata.Doc{"n": []func(){nil}}) },
			[]string{"items", string(ids[0]), "n[0]", "func()"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := db.Mutation(ctx, c.run)
			var we *strata.WriteError
			var ve *value.Error
			if !errors.As(err, &we) || !errors.As(err, &ve) {
				t.Fatalf("got %v, want a *WriteError wrapping a *value.Error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if after := dump(t, db); string(after) != string(before) {
		t.Fatal("a refused write changed the database")
	}
}
