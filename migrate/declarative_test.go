package migrate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

func parseFile(t *testing.T, text string) *op.File {
	t.Helper()
	f, err := op.ParseFile([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// writer counts the application's writes and the ones refused.
type writer struct {
	t       *testing.T
	db      *strata.DB
	refused []error
}

func (w *writer) do(fn func(tx *strata.Tx) error) {
	if err := w.db.Mutation(ctx, fn); err != nil {
		w.refused = append(w.refused, err)
	}
}

// TestSeedRenameLifecycle is the seed's userName → displayName rename as
// one declarative migration: writers of the old shape (userName only) and
// of the new shape (displayName only) keep writing through start, ready
// and complete without a refused write; after complete every document has
// displayName and none has userName.
func TestSeedRenameLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, testSeedRenameLifecycle)
}

func testSeedRenameLifecycle(t *testing.T, db *strata.DB) {
	s, _ := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	w := &writer{t: t, db: db}
	var ids []strata.ID
	oldWriter := func(i int) {
		w.do(func(tx *strata.Tx) error {
			id, err := tx.Insert("users", strata.Doc{"userName": "old" + string(rune('a'+i%26)), "email": "o@x"})
			if err == nil {
				ids = append(ids, id)
			}
			return err
		})
		if len(ids) > 0 {
			w.do(func(tx *strata.Tx) error { return tx.Patch(ids[i%len(ids)], strata.Patch{"userName": "renamedByOld"}) })
		}
	}
	newWriter := func(i int) {
		w.do(func(tx *strata.Tx) error {
			_, err := tx.Insert("users", strata.Doc{"displayName": "new", "email": "n@x"})
			return err
		})
	}
	for i := 0; i < 300; i++ {
		oldWriter(i)
	}
	f := parseFile(t, `{"name":"003_rename_user_name","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)
	batches := 0
	m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
		batches++
		oldWriter(batches)
		newWriter(batches)
	}})
	st, err := m.Start(ctx, f)
	if err != nil || st.State != migrate.Ready {
		t.Fatalf("start: %+v %v", st, err)
	}
	// Ready: both shapes are readable; old and new readers agree.
	err = db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			if !d.Has("userName") || d.StringOr("userName", "") != d.StringOr("displayName", "") {
				t.Errorf("ready: fields not in step: %v", d)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := m.Start(ctx, f); err != nil || !strings.Contains(again.Message, "ready") {
		t.Errorf("second start: %+v %v", again, err)
	}
	for i := 0; i < 5; i++ {
		oldWriter(i)
		newWriter(i)
	}
	st, err = m.Complete(ctx, f.Name)
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("complete: %+v %v", st, err)
	}
	if len(w.refused) != 0 {
		t.Errorf("%d application writes were refused, first: %v", len(w.refused), w.refused[0])
	}
	n := 0
	err = db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			n++
			if d.Has("userName") || d.StringOr("displayName", "") == "" {
				t.Errorf("after complete: %v", d)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if fld := db.Schema().Tables["users"].Fields; fld["userName"] != nil || fld["displayName"] == nil {
		t.Errorf("final schema: %v", db.Schema().Tables["users"])
	}
	// The new shape is now required: an old-shape write is refused.
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("users", strata.Doc{"userName": "late", "email": "x"})
		return err
	})
	if err == nil {
		t.Errorf("old-shape write accepted after complete")
	}
	if n < 300 {
		t.Errorf("only %d documents", n)
	}
}

// TestSeedScenariosDeclarative: add a required field, change a type with a
// map, remove a deprecated field, add an index then query with it.
func TestSeedScenariosDeclarative(t *testing.T) {
	t.Parallel()
	eachBackend(t, testSeedScenariosDeclarative)
}

func testSeedScenariosDeclarative(t *testing.T, db *strata.DB) {
	s, _ := strata.NewSchema(
		strata.Table("users", v.Object{"name": v.String()}),
		strata.Table("tasks", v.Object{"title": v.String(), "priority": v.Union(v.Literal("low"), v.Literal("medium"), v.Literal("high"))}),
		strata.Table("posts", v.Object{"title": v.String(), "status": v.String(), "publishedAt": v.Optional(v.Number()), "legacyField": v.Optional(v.String())}),
	)
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		prios := []string{"low", "medium", "high"}
		for i := 0; i < 60; i++ {
			if _, err := tx.Insert("users", strata.Doc{"name": "u"}); err != nil {
				return err
			}
			if _, err := tx.Insert("tasks", strata.Doc{"title": "t", "priority": prios[i%3]}); err != nil {
				return err
			}
			p := strata.Doc{"title": "p", "status": "draft", "legacyField": "x"}
			if i%2 == 0 {
				p["status"], p["publishedAt"] = "published", float64(i)
			}
			if _, err := tx.Insert("posts", p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := migrate.New(db)
	files := []string{
		`{"name":"001_avatar","operations":[{"add_field":{"table":"users","field":"avatarUrl","type":"string","default":"https://x/default.svg"}}]}`,
		`{"name":"002_priority","operations":[{"change_type":{"table":"tasks","from":"priority","to":"priorityLevel","type":"number","map":{"low":1,"medium":2,"high":3}}}]}`,
		`{"name":"003_legacy","operations":[{"remove_field":{"table":"posts","field":"legacyField"}}]}`,
		`{"name":"004_index","operations":[{"add_index":{"table":"posts","name":"by_status_and_published","fields":["status","publishedAt"]}}]}`,
	}
	for _, text := range files {
		f := parseFile(t, text)
		if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
			t.Fatalf("start %s: %+v %v", f.Name, st, err)
		}
		if st, err := m.Complete(ctx, f.Name); err != nil || st.State != migrate.Completed {
			t.Fatalf("complete %s: %+v %v", f.Name, st, err)
		}
	}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		users, _ := tx.Table("users").Collect()
		for _, u := range users {
			if u.StringOr("avatarUrl", "") != "https://x/default.svg" {
				t.Errorf("user: %v", u)
			}
		}
		tasks, _ := tx.Table("tasks").Collect()
		for _, tk := range tasks {
			if tk.Has("priority") || !tk.Has("priorityLevel") {
				t.Errorf("task: %v", tk)
			}
		}
		posts, _ := tx.Table("posts").WithIndex("by_status_and_published", strata.Eq("status", "published")).Order(strata.Desc).Take(10)
		if len(posts) != 10 {
			t.Errorf("index query: %d posts", len(posts))
		}
		for _, p := range posts {
			if p.Has("legacyField") {
				t.Errorf("post still has legacyField: %v", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !isRequired(db, "users", "avatarUrl") || !isRequired(db, "tasks", "priorityLevel") {
		t.Errorf("fields not required after complete: %v %v", db.Schema().Tables["users"], db.Schema().Tables["tasks"])
	}
}

func isRequired(db *strata.DB, table, field string) bool {
	x := db.Schema().Tables[table].Fields[field]
	_, opt := x.(*v.OptionalType)
	return x != nil && !opt
}

// TestRollbackAndConflicts: a second migration touching a field of an
// active one is refused, naming it; rollback of a ready rename (with a
// new-shape write made while ready) leaves only the old field, in
// documents and schema, and a rolled-back migration cannot complete.
func TestRollbackAndConflicts(t *testing.T) {
	t.Parallel()
	eachBackend(t, testRollbackAndConflicts)
}

func testRollbackAndConflicts(t *testing.T, db *strata.DB) {
	s, _ := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String()}))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := 0; i < 50; i++ {
			if _, err := tx.Insert("users", strata.Doc{"userName": "u"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := migrate.New(db)
	f := parseFile(t, `{"name":"r1","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)
	if _, err := m.Start(ctx, f); err != nil {
		t.Fatal(err)
	}
	other := parseFile(t, `{"name":"r2","operations":[{"remove_field":{"table":"users","field":"userName"}}]}`)
	if _, err := m.Start(ctx, other); err == nil || !strings.Contains(err.Error(), `"r1"`) {
		t.Errorf("conflicting migration: %v, want a refusal naming r1", err)
	}
	// A new-shape write while ready, then roll back.
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("users", strata.Doc{"displayName": "new"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st, err := m.Rollback(ctx, "r1")
	if err != nil || st.State != migrate.RolledBack {
		t.Fatalf("rollback: %+v %v", st, err)
	}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			if d.Has("displayName") || d.StringOr("userName", "") == "" {
				t.Errorf("after rollback: %v", d)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if db.Schema().Tables["users"].Fields["displayName"] != nil {
		t.Errorf("schema after rollback: %v", db.Schema().Tables["users"])
	}
	if _, err := m.Complete(ctx, "r1"); err == nil {
		t.Errorf("complete after rollback succeeded")
	}
	if _, err := m.Complete(ctx, "nope"); !errors.Is(err, migrate.ErrUnknown) {
		t.Errorf("complete of an unknown migration: %v", err)
	}
}
