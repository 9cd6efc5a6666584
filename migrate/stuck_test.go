package migrate_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// indexedUsers gives db the schema users{name, age} with the index
// by_name_age (name, age) and n documents.
func indexedUsers(t *testing.T, db *strata.DB, n int) {
	t.Helper()
	s, _ := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "age": v.Int64()}).Index("by_name_age", "name", "age"))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range n {
			if _, err := tx.Insert("users", strata.Doc{"name": "u" + string(rune('a'+i%26)), "age": int64(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// usersNamed returns how many users have each of the given fields.
func usersWith(t *testing.T, db *strata.DB, fields ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	eachUser(t, db, func(d strata.Doc) {
		for _, f := range fields {
			if d.Has(f) {
				out[f]++
			}
		}
	})
	return out
}

// TestStartRefusesWhatCompleteWouldRefuse: every check the final push of
// Complete makes runs at Start, which refuses before anything changes
// (no tracking document, the schema and the documents as they were): a
// remove_field of an indexed field names the index to drop first, and the
// same file with a drop_index of it is accepted and completes; a Go-built
// file with two renames of one field is refused naming both.
func TestStartRefusesWhatCompleteWouldRefuse(t *testing.T) {
	t.Parallel()
	eachBackend(t, testStartRefusesWhatCompleteWouldRefuse)
}

func testStartRefusesWhatCompleteWouldRefuse(t *testing.T, db *strata.DB) {
	indexedUsers(t, db, 60)
	m := migrate.New(db)
	before := db.Schema()
	cases := []struct {
		name string
		file *op.File
		want []string
	}{
		{"remove_indexed", &op.File{Name: "rm_name", Operations: []op.Operation{op.RemoveField{TableName: "users", Field: "name"}}},
			[]string{"remove_field users.name", "index by_name_age (name, age)", "drop the index first"}},
		{"change_type_of_indexed", &op.File{Name: "ct_age", Operations: []op.Operation{op.ChangeType{TableName: "users", From: "age", To: "ageText", Type: v.String(), Convert: "to_string"}}},
			[]string{"change_type users.age", "index by_name_age", "drop the index first"}},
		{"two_renames", &op.File{Name: "two", Operations: []op.Operation{
			op.RenameField{TableName: "users", From: "name", To: "a"}, op.RenameField{TableName: "users", From: "name", To: "b"}}},
			[]string{"operations[0].rename_field (users.name → a)", "operations[1].rename_field (users.name → b)", "field users.name"}},
	}
	for _, c := range cases {
		_, err := m.Start(ctx, c.file)
		if err == nil {
			t.Errorf("%s: start succeeded", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant it to contain %q", c.name, err, w)
			}
		}
		if _, err := m.Status(ctx, c.file.Name); !errors.Is(err, migrate.ErrUnknown) {
			t.Errorf("%s: a refused start left a tracking document: %v", c.name, err)
		}
	}
	if !slices.Equal(db.Schema().Tables["users"].Indexes[0].Fields, before.Tables["users"].Indexes[0].Fields) || len(db.Schema().Tables["users"].Fields) != 2 {
		t.Errorf("schema changed by refused starts: %+v", db.Schema().Tables["users"])
	}
	if got := usersWith(t, db, "name", "age"); got["name"] != 60 || got["age"] != 60 {
		t.Errorf("documents changed by refused starts: %v", got)
	}

	// With the index dropped in the same file, the removal goes through.
	f := parseFile(t, `{"name":"rm_name2","operations":[{"drop_index":{"table":"users","name":"by_name_age"}},{"remove_field":{"table":"users","field":"name"}}]}`)
	if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
		t.Fatalf("start with drop_index: %+v %v", st, err)
	}
	if st, err := m.Complete(ctx, "rm_name2"); err != nil || st.State != migrate.Completed {
		t.Fatalf("complete with drop_index: %+v %v", st, err)
	}
	if got := usersWith(t, db, "name"); got["name"] != 0 || len(db.Schema().Tables["users"].Indexes) != 0 {
		t.Errorf("after complete: %v %+v", got, db.Schema().Tables["users"])
	}
}

// TestRenameCarriesIndexes: renaming a field that an index uses carries
// the index to the new name; Complete succeeds (it used to fail at the
// final push, leaving the migration completing with the old field removed
// from every document), and the index answers queries on the new field
// for every document.
func TestRenameCarriesIndexes(t *testing.T) {
	t.Parallel()
	eachBackend(t, testRenameCarriesIndexes)
}

func testRenameCarriesIndexes(t *testing.T, db *strata.DB) {
	indexedUsers(t, db, 260)
	m := migrate.New(db)
	f := parseFile(t, `{"name":"rn","operations":[{"rename_field":{"table":"users","from":"name","to":"fullName"}}]}`)
	if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
		t.Fatalf("start: %+v %v", st, err)
	}
	st, err := m.Complete(ctx, "rn")
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("complete: %+v %v", st, err)
	}
	ix, ok := db.Schema().Tables["users"].IndexByName("by_name_age")
	if !ok || !slices.Equal(ix.Fields, []string{"fullName", "age"}) {
		t.Fatalf("index after complete: %+v %v", ix, ok)
	}
	if got := usersWith(t, db, "name", "fullName"); got["name"] != 0 || got["fullName"] != 260 {
		t.Errorf("documents: %v", got)
	}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		docs, err := tx.Table("users").WithIndex("by_name_age", strata.Eq("fullName", "ua")).Collect()
		if err != nil {
			return err
		}
		if len(docs) != 10 {
			t.Errorf("by_name_age fullName=ua: %d documents, want 10", len(docs))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompletingCanRollBack: a rename interrupted while completing (some
// documents have lost the old field) rolls back: every document has the
// old field again with its value, none has the new one, and the schema is
// the one from before. A completing remove_field of a required field
// cannot be rolled back (the data is gone): Rollback says so, changes
// nothing, and Complete finishes it.
func TestCompletingCanRollBack(t *testing.T) {
	t.Parallel()
	eachBackend(t, testCompletingCanRollBack)
}

func testCompletingCanRollBack(t *testing.T, db *strata.DB) {
	indexedUsers(t, db, 300)
	f := parseFile(t, `{"name":"rn","operations":[{"rename_field":{"table":"users","from":"name","to":"fullName"}}]}`)
	if _, err := migrate.New(db, rewrite).Start(ctx, f); err != nil {
		t.Fatal(err)
	}
	c, stop := contextAfterBatches(1)
	if st, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Complete(c, "rn"); err == nil || st.State == migrate.Completed {
		t.Fatalf("interrupted complete: %+v %v", st, err)
	}
	if st, _ := migrate.New(db, rewrite).Status(ctx, "rn"); st.State != migrate.Completing {
		t.Fatalf("state %s, want completing", st.State)
	}
	if got := usersWith(t, db, "name"); got["name"] == 300 {
		t.Fatalf("the interrupted complete removed nothing: %v", got)
	}
	st, err := migrate.New(db, rewrite).Rollback(ctx, "rn")
	if err != nil || st.State != migrate.RolledBack {
		t.Fatalf("rollback of a completing rename: %+v %v", st, err)
	}
	eachUser(t, db, func(d strata.Doc) {
		if d.Has("fullName") || !strings.HasPrefix(d.StringOr("name", ""), "u") {
			t.Errorf("after rollback: %v", d)
		}
	})
	ix, _ := db.Schema().Tables["users"].IndexByName("by_name_age")
	if _, has := db.Schema().Tables["users"].Fields["fullName"]; has || !slices.Equal(ix.Fields, []string{"name", "age"}) {
		t.Errorf("schema after rollback: %+v", db.Schema().Tables["users"])
	}

	// A completing removal of a required field: rollback refused, complete finishes.
	g := parseFile(t, `{"name":"rm_age","operations":[{"drop_index":{"table":"users","name":"by_name_age"}},{"remove_field":{"table":"users","field":"age"}}]}`)
	if _, err := migrate.New(db, rewrite).Start(ctx, g); err != nil {
		t.Fatal(err)
	}
	c, stop = contextAfterBatches(1)
	if _, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Complete(c, "rm_age"); err == nil {
		t.Fatal("interrupted complete succeeded")
	}
	left := usersWith(t, db, "age")["age"]
	if _, err := migrate.New(db, rewrite).Rollback(ctx, "rm_age"); err == nil || !strings.Contains(err.Error(), "run complete") {
		t.Errorf("rollback of a completing removal: %v, want a refusal saying to run complete", err)
	}
	if st, _ := migrate.New(db, rewrite).Status(ctx, "rm_age"); st.State != migrate.Completing || usersWith(t, db, "age")["age"] != left {
		t.Errorf("refused rollback changed something: %s", st.State)
	}
	if st, err := migrate.New(db, rewrite).Complete(ctx, "rm_age"); err != nil || st.State != migrate.Completed {
		t.Fatalf("complete after refused rollback: %+v %v", st, err)
	}
}

// TestCompletingRecordedBeforeChecks: a removal of an indexed field that
// an older version let start and left completing (its documents have lost
// the field, so it cannot be rolled back) is finished by Complete, which
// drops the index that can index nothing any more and says so.
func TestCompletingRecordedBeforeChecks(t *testing.T) {
	t.Parallel()
	eachBackend(t, testCompletingRecordedBeforeChecks)
}

func testCompletingRecordedBeforeChecks(t *testing.T, db *strata.DB) {
	indexedUsers(t, db, 250)
	g := parseFile(t, `{"name":"rm","operations":[{"drop_index":{"table":"users","name":"by_name_age"}},{"remove_field":{"table":"users","field":"age"}}]}`)
	if _, err := migrate.New(db, rewrite).Start(ctx, g); err != nil {
		t.Fatal(err)
	}
	c, stop := contextAfterBatches(1)
	if _, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Complete(c, "rm"); err == nil {
		t.Fatal("interrupted complete succeeded")
	}
	// What an older version recorded: the removal without the drop_index.
	forge(t, db, "rm", map[string]any{"file": `{"name":"rm","operations":[{"remove_field":{"table":"users","field":"age"}}]}`})
	if _, err := migrate.New(db, rewrite).Rollback(ctx, "rm"); err == nil {
		t.Errorf("rollback of a completing removal of a required field succeeded")
	}
	st, err := migrate.New(db, rewrite).Complete(ctx, "rm")
	if err != nil || st.State != migrate.Completed || !strings.Contains(st.Message, "users.by_name_age") {
		t.Fatalf("complete: %+v %v", st, err)
	}
	if tb := db.Schema().Tables["users"]; len(tb.Indexes) != 0 || tb.Fields["age"] != nil {
		t.Errorf("schema after complete: %+v", tb)
	}
	if got := usersWith(t, db, "age", "name"); got["age"] != 0 || got["name"] != 250 {
		t.Errorf("documents after complete: %v", got)
	}
}

// TestSchemalessRenameCompletes: a rename on a database without a schema
// starts and completes (Complete used to panic on the missing schema,
// leaving the migration completing).
func TestSchemalessRenameCompletes(t *testing.T) {
	t.Parallel()
	eachBackend(t, testSchemalessRenameCompletes)
}

func testSchemalessRenameCompletes(t *testing.T, db *strata.DB) {
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for range 30 {
			if _, err := tx.Insert("users", strata.Doc{"name": "a"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := migrate.New(db)
	f := parseFile(t, `{"name":"rn","operations":[{"rename_field":{"table":"users","from":"name","to":"fullName"}}]}`)
	if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
		t.Fatalf("start: %+v %v", st, err)
	}
	if st, err := m.Complete(ctx, "rn"); err != nil || st.State != migrate.Completed {
		t.Fatalf("complete: %+v %v", st, err)
	}
	if got := usersWith(t, db, "name", "fullName"); got["name"] != 0 || got["fullName"] != 30 {
		t.Errorf("documents: %v", got)
	}
}
