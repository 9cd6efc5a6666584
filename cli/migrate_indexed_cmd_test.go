package cli_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
)

// eachCLIBackend runs fn with an env on a fresh SQLite file and one on a
// fresh PostgreSQL schema (internal/pgtest).
func eachCLIBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.db = pgtest.URL(t)
		fn(t, e)
	})
}

// TestMigrateIndexedFieldCLI: migrations on indexed fields never get stuck
// half-done. A remove_field of an indexed field and a file with two
// renames of one field are refused by dry-run and at start, naming the
// index (and the fix) or both operations, with nothing tracked; schema plan turns a
// rename plus an index on the new name into a file that starts and
// completes, carrying the index on the renamed field; and a rename
// interrupted while completing is rolled back by `migrate rollback`.
func TestMigrateIndexedFieldCLI(t *testing.T) {
	t.Parallel()
	eachCLIBackend(t, testMigrateIndexedFieldCLI)
}

func testMigrateIndexedFieldCLI(t *testing.T, e *env) {
	e.ok("schema", "set", e.file("v1.json", `{"tables":{"users":{"fields":{"name":"string","age":"int64","email":"string"},"indexes":{"by_name_age":["name","age"]}}}}`))
	e.ok("import", "users", e.file("u.jsonl", strings.Repeat(`{"name":"ada","age":{"$integer":"36"},"email":"a@x"}`+"\n", 120)))

	refused := []struct {
		file string
		want []string
	}{
		{`{"name":"rm","operations":[{"remove_field":{"table":"users","field":"name"}}]}`,
			[]string{"index by_name_age (name, age) uses the field", "drop the index first"}},
		{`{"name":"two","operations":[{"rename_field":{"table":"users","from":"name","to":"a"}},{"rename_field":{"table":"users","from":"name","to":"b"}}]}`,
			[]string{"operations[0].rename_field (users.name → a)", "operations[1].rename_field (users.name → b)"}},
	}
	for i, c := range refused {
		path := e.file("bad"+string(rune('0'+i))+".json", c.file)
		for _, step := range []string{"dry-run", "start"} {
			_, errOut, err := e.run("migrate", step, path)
			if err == nil {
				t.Errorf("%s %s succeeded", step, c.file)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("%s %s:\n%s\nwant %q", step, c.file, errOut, w)
				}
			}
		}
	}
	if out := e.ok("migrate", "status", "--json"); strings.Contains(out, `"rm"`) || strings.Contains(out, `"two"`) {
		t.Errorf("refused starts are tracked: %s", out)
	}

	// schema plan: a rename plus a new index on the new name.
	target := e.file("v2.json", `{"tables":{"users":{"fields":{"fullName":"string","age":"int64","email":"string"},"indexes":{"by_name_age":["fullName","age"],"by_full":["fullName"]}}}}`)
	out := e.ok("schema", "plan", "--name", "rn", target)
	if !strings.Contains(out, `"rename_field"`) || !strings.Contains(out, `"add_index"`) {
		t.Fatalf("plan: %s", out)
	}
	file := out[strings.Index(out, `{"name"`):]
	path := e.file("rn.json", file[:strings.Index(file, "\n")])

	// Interrupted while completing, then rolled back from the command line.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := op.ParseFile(data)
	if err != nil {
		t.Fatal(err)
	}
	e.withDB(func(db *strata.DB) {
		if _, err := migrate.New(db, migrate.Options{Rewrite: true}).Start(t.Context(), f); err != nil {
			t.Fatal(err)
		}
		ctx, stop := stopAfter(1)
		if _, err := migrate.New(db, migrate.Options{OnProgress: stop}).Complete(ctx, "rn"); err == nil {
			t.Fatal("interrupted complete succeeded")
		}
		if st, _ := migrate.StatusOf(t.Context(), db, "rn"); st.State != migrate.Completing {
			t.Fatalf("interrupted complete: %s, want completing", st.State)
		}
	})
	if out := e.ok("migrate", "rollback", "rn"); !strings.Contains(out, "rolled_back") {
		t.Errorf("rollback of a completing migration: %s", out)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("data", "users", "--limit", "0", "--json")), &docs); err != nil || len(docs) != 120 {
		t.Fatalf("data: %v %d", err, len(docs))
	}
	for _, d := range docs {
		if _, has := d["fullName"]; has || d["name"] != "ada" {
			t.Fatalf("after rollback: %v", d)
		}
	}

	// The same plan under another name starts and completes.
	path2 := e.file("rn2.json", strings.Replace(file[:strings.Index(file, "\n")], `"name":"rn"`, `"name":"rn2"`, 1))
	e.ok("migrate", "start", path2)
	if out := e.ok("migrate", "complete", "rn2"); !strings.Contains(out, "completed") {
		t.Errorf("complete: %s", out)
	}
	docs = nil
	if err := json.Unmarshal([]byte(e.ok("data", "users", "--index", "by_name_age", "--eq", "fullName=ada", "--limit", "0", "--json")), &docs); err != nil || len(docs) != 120 {
		t.Fatalf("data by the carried index: %v %d", err, len(docs))
	}
	if out := e.ok("schema", "plan", target); !strings.Contains(out, "nothing to do") {
		t.Errorf("plan after the migration: %s", out)
	}
}
