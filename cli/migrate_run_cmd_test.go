package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMigrateLifecycleCLI: the seed's rename through the command line —
// schema plan finds it, dry-run reports it, start leaves it ready,
// complete finishes it — with plain progress lines (stdout is not a
// terminal here).
func TestMigrateLifecycleCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "set", e.file("v1.json", `{"tables":{"users":{"fields":{"userName":"string","email":"string"},"indexes":{}}}}`))
	lines := strings.Repeat(`{"userName":"ada","email":"a@x"}`+"\n", 250)
	e.ok("import", "users", e.file("u.jsonl", lines))

	target := e.file("v2.json", `{"tables":{"users":{"fields":{"displayName":"string","email":"string"},"indexes":{}}}}`)
	out := e.ok("schema", "plan", "--name", "003_rename_user_name", target)
	if !strings.Contains(out, `"rename_field":{"table":"users","from":"userName","to":"displayName"}`) {
		t.Fatalf("plan: %s", out)
	}
	// The planned file, as printed, is a valid migration file.
	file := out[strings.Index(out, `{"name"`):]
	file = file[:strings.Index(file, "\n")]
	path := e.file("003.json", file)

	out = e.ok("migrate", "dry-run", path)
	if !strings.Contains(out, "250 would change") || !strings.Contains(out, "satisfied: true") {
		t.Errorf("dry-run: %s", out)
	}
	out = e.ok("migrate", "start", "--rewrite", path)
	if !strings.Contains(out, "ready") || !strings.Contains(out, "start 003_rename_user_name: 250/250") {
		t.Errorf("start: %s", out)
	}
	out = e.ok("migrate", "complete", "003_rename_user_name")
	if !strings.Contains(out, "completed") {
		t.Errorf("complete: %s", out)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("data", "users", "--limit", "0", "--json")), &docs); err != nil || len(docs) != 250 {
		t.Fatalf("data: %v %d", err, len(docs))
	}
	for _, d := range docs {
		if _, ok := d["userName"]; ok || d["displayName"] != "ada" {
			t.Fatalf("document after complete: %v", d)
		}
	}
	if out := e.ok("schema", "plan", target); !strings.Contains(out, "nothing to do") {
		t.Errorf("plan after the migration: %s", out)
	}
	// Bad input: a file that is not JSON, a rename of an unknown field.
	if _, errOut, err := e.run("migrate", "start", e.file("bad.json", "{nope")); err == nil || !strings.Contains(errOut, "bad.json") {
		t.Errorf("bad file: %v %s", err, errOut)
	}
	unknown := e.file("u2.json", `{"name":"x","operations":[{"rename_field":{"table":"users","from":"nick","to":"n"}}]}`)
	if _, errOut, err := e.run("migrate", "start", unknown); err == nil || !strings.Contains(errOut, `no field "nick"`) {
		t.Errorf("unknown field: %v %s", err, errOut)
	}
	if _, errOut, err := e.run("migrate", "complete", "nope"); err == nil || !strings.Contains(errOut, "never been started") {
		t.Errorf("unknown migration: %v %s", err, errOut)
	}
}
