package cli_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestSchemaPlanSteps: plan numbers its steps from 1; a field made
// required needs --default, then plans require_field; -o writes a
// migration file (and the schema to push first) that run as they are;
// the result is the target schema, with the default in documents that
// lacked the field and a plain whole number read as int64.
func TestSchemaPlanSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", `{"tables":{"users":{"fields":{"name":"string","age":{"optional":"int64"}}}}}`))
	e.ok("import", "users", e.file("u.jsonl", "{\"name\":\"ada\",\"age\":36}\n{\"name\":\"bob\"}\n"))

	// Only safe changes: one step, the push of the file itself.
	widen := e.file("widen.json", `{"tables":{"users":{"fields":{"name":"string","age":{"optional":"int64"},"nick":{"optional":"string"}}}}}`)
	if out := e.ok("schema", "plan", widen); !strings.HasPrefix(out, "1. push the new schema") {
		t.Errorf("plan of a safe change:\n%s", out)
	}

	target := e.file("v2.json", `{"tables":{"users":{"fields":{"name":"string","age":"int64","nick":{"optional":"string"}},"indexes":{"by_nick":["nick"]}}}}`)
	out, _, err := e.run("schema", "plan", target)
	if err == nil || !strings.Contains(out, "--default users.age=JSON") || strings.Contains(out, "2. migration") {
		t.Errorf("plan without a default: %v\n%s", err, out)
	}
	file := e.dir + "/req.json"
	out = e.ok("schema", "plan", target, "--default", "users.age=0", "--name", "req", "-o", file)
	if !strings.HasPrefix(out, "1. push the safe changes first (written to "+e.dir+"/req.push.json)") || !strings.Contains(out, "3. start it") {
		t.Errorf("plan -o:\n%s", out)
	}
	text, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(text), `"require_field":{"default":{"$integer":"0"},"field":"age","table":"users","type":"int64"}`) {
		t.Fatalf("written file: %v\n%s", err, text)
	}
	if _, _, err := e.run("schema", "plan", target, "--default", "users.age=0", "--name", "req", "-o", file); err == nil {
		t.Errorf("plan -o over an existing file succeeded")
	}
	e.ok("schema", "push", e.dir+"/req.push.json")
	e.ok("migrate", "start", file)
	e.ok("migrate", "complete", "req")
	if out := e.ok("schema", "diff", target); !strings.Contains(out, "no changes") {
		t.Errorf("after the plan the schema differs from the target:\n%s", out)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("data", "users", "--json")), &docs); err != nil {
		t.Fatal(err)
	}
	ages := map[string]any{}
	for _, d := range docs {
		ages[d["name"].(string)] = d["age"]
	}
	if a, _ := json.Marshal(ages); string(a) != `{"ada":{"$integer":"36"},"bob":{"$integer":"0"}}` {
		t.Errorf("ages after the migration: %s", a)
	}
}
