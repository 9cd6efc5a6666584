package strata_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

type Settings struct {
	Theme string `strata:"theme"`
}

type Audit struct {
	Version int64 `strata:"version"`
}

type User struct {
	ID       strata.ID `strata:"_id"`
	Created  float64   `strata:"_creationTime"`
	Name     string    `strata:"name"`
	Age      int       `strata:"age"`
	Email    *string   `strata:"email,omitempty"`
	Tags     []string  `strata:"tags,omitempty"`
	Settings *Settings `strata:"settings,omitempty"`
	Audit
}

func userSchema(t testing.TB, db *strata.DB) {
	s, err := strata.NewSchema(strata.Table("users", v.Object{
		"name":     v.String(),
		"age":      v.Int64(),
		"email":    v.Optional(v.String()),
		"tags":     v.Optional(v.Array(v.String())),
		"settings": v.Optional(v.Object{"theme": v.String()}),
		"version":  v.Int64(),
	}).Index("by_name", "name"))
	setSchema(t, db, s, err)
}

// TestStructDocuments: a struct goes in through tx.Insert, strata.Insert
// and tx.Replace, and comes back through Get, Decode, Collect, First,
// Unique and Paginate, with its _id and _creationTime.
func TestStructDocuments(t *testing.T) {
	db := openDB(t)
	userSchema(t, db)
	email := "ada@example.com"
	var ada, grace strata.ID
	mutate(t, db, func(tx *strata.Tx) error {
		var err error
		if ada, err = tx.Insert("users", User{Name: "Ada", Age: 36, Email: &email, Tags: []string{"math"}, Audit: Audit{1}}); err != nil {
			return err
		}
		grace, err = strata.Insert(tx, "users", &User{Name: "Grace", Age: 45, Settings: &Settings{"dark"}})
		return err
	})
	query(t, db, func(tx *strata.Tx) error {
		u, err := strata.Get[User](tx, ada)
		if err != nil {
			return err
		}
		if u.ID != ada || u.Created <= 0 || u.Name != "Ada" || u.Age != 36 || *u.Email != email || !reflect.DeepEqual(u.Tags, []string{"math"}) || u.Settings != nil || u.Version != 1 {
			t.Fatalf("Get: %+v", u)
		}
		all, err := strata.Collect[User](tx.Table("users").WithIndex("by_name"))
		if err != nil || len(all) != 2 || all[0].Name != "Ada" || all[1].Settings.Theme != "dark" || all[1].Email != nil {
			t.Fatalf("Collect: %+v, %v", all, err)
		}
		first, err := strata.First[User](tx.Table("users").WithIndex("by_name", strata.Eq("name", "Grace")))
		if err != nil || first.ID != grace {
			t.Fatalf("First: %+v, %v", first, err)
		}
		one, err := strata.Unique[User](tx.Table("users").WithIndex("by_name", strata.Eq("name", "Ada")))
		if err != nil || one.ID != ada {
			t.Fatalf("Unique: %+v, %v", one, err)
		}
		p, err := strata.Paginate[User](tx.Table("users").WithIndex("by_name"), 1, "")
		if err != nil || len(p.Page) != 1 || p.IsDone || p.Page[0].Name != "Ada" || p.CursorAfter(0) != p.ContinueCursor {
			t.Fatalf("Paginate: %+v, %v", p, err)
		}
		p, err = strata.Paginate[User](tx.Table("users").WithIndex("by_name"), 5, p.ContinueCursor)
		if err != nil || len(p.Page) != 1 || !p.IsDone || p.Page[0].Name != "Grace" {
			t.Fatalf("Paginate page 2: %+v, %v", p, err)
		}
		doc, err := tx.Get(grace)
		if err != nil {
			return err
		}
		var g User
		if err := strata.Decode(doc, &g); err != nil || g.Age != 45 {
			t.Fatalf("Decode: %+v, %v", g, err)
		}
		return nil
	})
	// Read, change, write back: the struct keeps its _id and _creationTime.
	mutate(t, db, func(tx *strata.Tx) error {
		u, err := strata.Get[User](tx, ada)
		if err != nil {
			return err
		}
		u.Age++
		u.Email = nil
		return tx.Replace(u.ID, u)
	})
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Get(ada)
		if err != nil {
			return err
		}
		if n, _ := d.Int("age"); n != 37 || d.Has("email") {
			t.Fatalf("after Replace: %v", d)
		}
		return nil
	})
}

// TestStructErrors: a missing document is ErrNotFound; a document that
// does not fit the struct is a *DecodeError naming table, document and
// field path; a struct that breaks the schema or sets _id is refused.
func TestStructErrors(t *testing.T) {
	db := openDB(t)
	ids := insert(t, db, "people", strata.Doc{"name": "Ada", "age": "old"})
	type person struct {
		Name string `strata:"name"`
		Age  int    `strata:"age"`
	}
	query(t, db, func(tx *strata.Tx) error {
		missing := value.NewID("people")
		if _, err := strata.Get[person](tx, missing); !errors.Is(err, strata.ErrNotFound) || !strings.Contains(err.Error(), string(missing)) {
			t.Errorf("Get of a missing document: %v", err)
		}
		if _, err := strata.First[person](tx.Table("people").Filter(strata.Field("name").Eq("nobody"))); !errors.Is(err, strata.ErrNotFound) {
			t.Errorf("First of nothing: %v", err)
		}
		if _, err := strata.Unique[person](tx.Table("people").Filter(strata.Field("name").Eq("nobody"))); !errors.Is(err, strata.ErrNotFound) {
			t.Errorf("Unique of nothing: %v", err)
		}
		_, err := strata.Get[person](tx, ids[0])
		var de *strata.DecodeError
		var ve *value.Error
		if !errors.As(err, &de) || !errors.As(err, &ve) || de.Table != "people" || de.ID != ids[0] || ve.Path != "age" ||
			!strings.Contains(err.Error(), "found string, want Go type int") || !strings.Contains(err.Error(), "strata_test.person") {
			t.Errorf("Get of a mismatched document: %v", err)
		}
		if _, err := strata.Collect[person](tx.Table("people")); !errors.As(err, &de) {
			t.Errorf("Collect of a mismatched document: %v", err)
		}
		return nil
	})
	db2 := openDB(t)
	userSchema(t, db2)
	for name, c := range map[string]struct {
		doc  any
		want string
	}{
		"schema": {struct {
			Name    int `strata:"name"`
			Age     int `strata:"age"`
			Version int `strata:"version"`
		}{1, 2, 3}, "name: expected string, found int64"},
		"system field":  {User{ID: ids[0], Name: "x"}, "system field _id cannot be set"},
		"not an object": {[]string{"a"}, "a document must be an object"},
		"tag error": {struct {
			A int `strata:"a,bogus"`
		}{}, `unknown tag option "bogus"`},
	} {
		err := db2.Mutation(ctx, func(tx *strata.Tx) error { _, err := tx.Insert("users", c.doc); return err })
		var we *strata.WriteError
		if !errors.As(err, &we) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "users") {
			t.Errorf("%s: got %v, want a *WriteError containing %q", name, err, c.want)
		}
	}
}

// TestTableFor: a schema derived from a struct accepts the struct and
// refuses documents of another shape; a type with no strata meaning is an
// error naming the table and field.
func TestTableFor(t *testing.T) {
	db := openDB(t)
	users, err := strata.TableFor[User]("users")
	if err != nil {
		t.Fatal(err)
	}
	s, err := strata.NewSchema(users.Index("by_name", "name"))
	setSchema(t, db, s, err)
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) error {
		id, err = tx.Insert("users", User{Name: "Ada", Age: 36, Audit: Audit{2}})
		return err
	})
	query(t, db, func(tx *strata.Tx) error {
		u, err := strata.Get[User](tx, id)
		if err != nil || u.Name != "Ada" || u.Version != 2 {
			t.Fatalf("Get: %+v, %v", u, err)
		}
		return nil
	})
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("users", strata.Doc{"name": "Bob", "age": 3.5, "version": 1})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "age: expected int64, found number") {
		t.Fatalf("a document of another shape: %v", err)
	}
	type bad struct {
		When chan int `strata:"when"`
	}
	if _, err := strata.TableFor[bad]("events"); err == nil || !strings.Contains(err.Error(), "table events") || !strings.Contains(err.Error(), "when: unsupported Go type chan int") {
		t.Fatalf("TableFor[bad]: %v", err)
	}
}
