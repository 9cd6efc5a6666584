package migrate_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

type oldUser struct {
	Name   string `strata:"name"`
	Visits int    `strata:"visits"`
}

type newUser struct {
	First  string `strata:"first"`
	Last   string `strata:"last,omitempty"`
	Visits int    `strata:"visits"`
}

func splitName(u oldUser) (newUser, error) {
	first, last, _ := strings.Cut(u.Name, " ")
	return newUser{First: first, Last: last, Visits: u.Visits + 1}, nil
}

// TestTypedMigration: a MigrateOne written over structs rewrites each
// document into the new shape (fields set, removed fields unset), and a
// document already in the new shape gets no patch.
func TestTypedMigration(t *testing.T) {
	db := openDB(t)
	mutateN(t, db, strata.Doc{"name": "Ada Lovelace", "visits": int64(0)}, strata.Doc{"name": "Grace", "visits": int64(4)})
	m := migrate.New(db)
	if err := m.Define(migrate.Migration{Name: "split_name", Table: "users", MigrateOne: migrate.Typed(splitName)}); err != nil {
		t.Fatal(err)
	}
	st, err := m.Run(ctx, "split_name")
	if err != nil || st.Changed != 2 {
		t.Fatalf("run: %+v, %v", st, err)
	}
	got := map[string]string{}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		us, err := strata.Collect[strata.Doc](tx.Table("users"))
		for _, u := range us {
			got[u.StringOr("first", "")] = fmt.Sprint(u.Fields())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Ada":   "map[first:Ada last:Lovelace visits:1]",
		"Grace": "map[first:Grace visits:5]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the migration: %v, want %v", got, want)
	}
	// Already in the new shape: no patch.
	same := migrate.Typed(func(u newUser) (newUser, error) { return u, nil })
	p, err := same(strata.Doc{"first": "Ada", "last": "Lovelace", "visits": int64(1)})
	if err != nil || p != nil {
		t.Fatalf("a migration to the same document: %v, %v", p, err)
	}
}

// TestTypedMigrationRefuses: a document that does not fit the old struct
// fails with a *strata.DecodeError naming the document and field; a new
// value that is not an object fails too.
func TestTypedMigrationRefuses(t *testing.T) {
	id := strata.ID("")
	db := openDB(t)
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		var err error
		id, err = tx.Insert("users", strata.Doc{"name": int64(3)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc strata.Doc
	_ = db.Query(ctx, func(tx *strata.Tx) error { doc, err = tx.Get(id); return err })
	_, err = migrate.Typed(splitName)(doc)
	var de *strata.DecodeError
	if !errors.As(err, &de) || de.ID != id || de.Table != "users" || !strings.Contains(err.Error(), "name: found int64, want Go type string") {
		t.Fatalf("mismatched document: %v", err)
	}
	_, err = migrate.Typed(func(oldUser) ([]string, error) { return []string{"x"}, nil })(strata.Doc{"name": "a"})
	if err == nil || !strings.Contains(err.Error(), "must be an object") {
		t.Fatalf("non-object new value: %v", err)
	}
}

func mutateN(t testing.TB, db *strata.DB, docs ...strata.Doc) {
	t.Helper()
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for _, d := range docs {
			if _, err := tx.Insert("users", d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
