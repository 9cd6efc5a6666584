package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaInit: schema init writes a commented starter schema that
// pushes as it is: an example for an empty database, the fields guessed
// from the documents of a database without a schema, the active schema
// otherwise; it does not overwrite a file without --force.
func TestSchemaInit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	empty := filepath.Join(e.dir, "empty.json")
	if out := e.ok("schema", "init", empty); !strings.Contains(out, "wrote "+empty) || !strings.Contains(out, "schema push "+empty) {
		t.Errorf("init: %s", out)
	}
	text, err := os.ReadFile(empty)
	if err != nil || !strings.Contains(string(text), `// "tasks": {`) || !strings.Contains(string(text), "docs/file-formats.md") {
		t.Fatalf("starter for an empty database: %v\n%s", err, text)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "cli.db")); err == nil {
		t.Errorf("schema init of a database that does not exist created it")
	}
	if _, errOut, err := e.run("schema", "init", empty); err == nil || !strings.Contains(errOut, "already exists") {
		t.Errorf("init over an existing file: %v %s", err, errOut)
	}

	e.ok("import", "users", e.file("u.jsonl", `{"name":"ada","age":{"$integer":"36"},"tags":["x"]}
{"name":"bob","nick":"b"}
`))
	guessed := filepath.Join(e.dir, "guessed.json")
	e.ok("schema", "init", guessed)
	text, _ = os.ReadFile(guessed)
	for _, want := range []string{`// users: guessed from 2 document(s)`, `"age": {"optional":"int64"}`, `"name": "string"`, `"tags": {"optional":{"array":"any"}}`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("guessed schema lacks %s:\n%s", want, text)
		}
	}
	e.ok("schema", "push", guessed)

	out := e.ok("schema", "init", "-")
	if !strings.Contains(out, "// This is the database's active schema.") || !strings.Contains(out, `"nick": {"optional":"string"}`) {
		t.Errorf("init of the active schema:\n%s", out)
	}
	if out := e.ok("schema", "diff", e.file("again.json", out)); !strings.Contains(out, "no changes") {
		t.Errorf("the written schema is not the active one:\n%s", out)
	}
}

// TestMigrateNew: migrate new writes a skeleton with every operation;
// with one uncommented it runs.
func TestMigrateNew(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", `{"tables":{"users":{"fields":{"name":"string","age":{"optional":"int64"}}}}}`))
	e.ok("import", "users", e.file("u.jsonl", `{"name":"ada"}`+"\n"))
	path := filepath.Join(e.dir, "004.json")
	if out := e.ok("migrate", "new", "004_require_age", "-o", path); !strings.Contains(out, "wrote "+path) {
		t.Errorf("new: %s", out)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"add_field", "require_field", "remove_field", "rename_field", "change_type", "add_index", "drop_index"} {
		if !strings.Contains(string(text), `{"`+kind+`": {`) {
			t.Errorf("the skeleton lacks %s", kind)
		}
	}
	if _, errOut, err := e.run("migrate", "start", path); err == nil || !strings.Contains(errOut, "at least one operation") {
		t.Errorf("start of the bare skeleton: %v %s", err, errOut)
	}
	edited := strings.Replace(string(text), `// {"require_field": {"table": "users", "field": "age", "type": "int64", "default": 0}},`,
		`{"require_field": {"table": "users", "field": "age", "type": "int64", "default": 0}}`, 1)
	e.file("004.json", edited)
	e.ok("migrate", "start", path)
	e.ok("migrate", "complete", "004_require_age")
	if out := e.ok("data", "users"); !strings.Contains(out, "  0  ") {
		t.Errorf("after the migration:\n%s", out)
	}
	if _, errOut, err := e.run("migrate", "new", "bad name"); err == nil || !strings.Contains(errOut, "want 1-128 letters") {
		t.Errorf("bad name: %v %s", err, errOut)
	}
}
