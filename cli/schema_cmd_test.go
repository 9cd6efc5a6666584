package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	avatarOptional = `{"tables":{"users":{"fields":{"name":"string","avatarUrl":{"optional":"string"}}}}}`
	avatarRequired = `{"tables":{"users":{"fields":{"name":"string","avatarUrl":"string"},"indexes":{"by_name":["name"]}}}}`
)

func TestSchemaDiffPush(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", avatarOptional))
	e.ok("import", "users", e.file("u.jsonl", "{\"name\":\"ada\"}\n{\"name\":\"grace\",\"avatarUrl\":\"g.png\"}\n"))
	v2 := e.file("v2.json", avatarRequired)

	out := e.ok("schema", "diff", v2)
	for _, want := range []string{
		"[needs data] field avatarUrl becomes required",
		"instead: keep it optional, backfill it with a migration, then make it required",
		"[safe] add index by_name",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	var d struct {
		Class   string `json:"class"`
		Changes []struct {
			Kind, Class, Summary, Fix string
		} `json:"changes"`
		Check []string `json:"check"`
	}
	if err := json.Unmarshal([]byte(e.ok("schema", "diff", v2, "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Class != "needs_data" || len(d.Changes) != 2 || len(d.Check) != 1 || d.Changes[0].Kind != "make_required" {
		t.Errorf("diff --json = %+v", d)
	}

	// Refused: the count and the fix, one line on stderr, nothing changes.
	before := e.ok("schema", "show", "--json")
	_, errOut, err := e.run("schema", "push", v2)
	if err == nil || !strings.HasPrefix(errOut, "strata: ") || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "field avatarUrl is required but 1 document lacks it") || !strings.Contains(errOut, "backfill it with a migration") {
		t.Errorf("push refused: %v\n%s", err, errOut)
	}
	out, _, err = e.run("schema", "push", v2, "--json")
	var refused struct {
		Refused bool  `json:"refused"`
		Count   int64 `json:"offending_documents"`
		Samples []struct{ ID, Path string }
	}
	if err == nil || json.Unmarshal([]byte(out), &refused) != nil || !refused.Refused || refused.Count != 1 || len(refused.Samples) != 1 || refused.Samples[0].Path != "avatarUrl" {
		t.Errorf("push --json refused: %v %s", err, out)
	}
	if after := e.ok("schema", "show", "--json"); after != before {
		t.Errorf("a refused push changed the schema:\n%s", after)
	}
	if _, errOut, err := e.run("schema", "push", v2, "--dry-run"); err == nil || !strings.Contains(errOut, "refused") {
		t.Errorf("dry run: %v %s", err, errOut)
	}

	// Fix the data, then push and wait for the index.
	e2 := newEnv(t)
	e2.ok("schema", "push", e2.file("v1.json", avatarOptional))
	e2.ok("import", "users", e2.file("u.jsonl", "{\"name\":\"ada\",\"avatarUrl\":\"a.png\"}\n"))
	out = e2.ok("schema", "push", e2.file("v2.json", avatarRequired), "--wait", "--comment", "avatars")
	for _, want := range []string{"checked users: 1 documents conform", "index users.by_name: ready", "schema pushed"} {
		if !strings.Contains(out, want) {
			t.Errorf("push lacks %q:\n%s", want, out)
		}
	}
	if out := e2.ok("data", "users", "--index", "by_name", "--eq", "name=ada", "--json"); !strings.Contains(out, "a.png") {
		t.Errorf("query through the new index: %s", out)
	}
	if out := e2.ok("schema", "push", e2.file("v2b.json", avatarRequired)); !strings.Contains(out, "no changes") {
		t.Errorf("second push: %s", out)
	}
}

// TestSchemaPushBadFiles: every bad schema file is one clear error line
// and changes nothing.
func TestSchemaPushBadFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", avatarOptional))
	many := `{"tables":{"t":{"fields":{"a":"string"},"indexes":{`
	for i := range 33 {
		if i > 0 {
			many += ","
		}
		many += `"by_` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":["a"]`
	}
	many += `}}}}`
	cases := []struct{ name, file, want string }{
		{"not JSON", `{tables:`, "bad.json"},
		{"empty", ``, "bad.json"},
		{"unknown id table", `{"tables":{"posts":{"fields":{"authorId":{"id":"people"}}}}}`, `references table "people"`},
		{"index unknown field", `{"tables":{"users":{"fields":{"name":"string"},"indexes":{"by_email":["email"]}}}}`, `field "email" not in the document validator`},
		{"repeated table", `{"tables":{"users":{"fields":{}},"users":{"fields":{}}}}`, "users"},
		{"repeated field", `{"tables":{"users":{"fields":{"a":"string","a":"string"}}}}`, "a"},
		{"repeated index field", `{"tables":{"users":{"fields":{"a":"string"},"indexes":{"by_a":["a","a"]}}}}`, "appears twice"},
		{"too many indexes", many, "more than the limit of 32"},
		{"long table name", `{"tables":{"` + strings.Repeat("t", 65) + `":{"fields":{}}}}`, "longer than 64"},
		{"unknown type", `{"tables":{"users":{"fields":{"a":"strin"}}}}`, "strin"},
		{"system field", `{"tables":{"users":{"fields":{"_id":"string"}}}}`, "_id"},
	}
	before := e.ok("schema", "show", "--json")
	for _, c := range cases {
		for _, cmd := range []string{"push", "diff"} {
			_, errOut, err := e.run("schema", cmd, e.file("bad.json", c.file))
			if err == nil {
				t.Errorf("%s %s: no error", cmd, c.name)
				continue
			}
			if !strings.HasPrefix(errOut, "strata: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("%s %s: stderr %q, want one line naming %q", cmd, c.name, errOut, c.want)
			}
		}
	}
	if after := e.ok("schema", "show", "--json"); after != before {
		t.Errorf("bad files changed the schema")
	}
}

// TestSchemaPushWaitsByDefault: push returns with its new indexes built;
// with --no-wait a new index stays staged, schema status shows it with
// the command that builds it, and schema wait builds it.
func TestSchemaPushWaitsByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", avatarOptional))
	e.ok("import", "users", e.file("u.jsonl", "{\"name\":\"ada\",\"avatarUrl\":\"a.png\"}\n{\"name\":\"bob\",\"avatarUrl\":\"b.png\"}\n"))
	if out := e.ok("schema", "push", e.file("v2.json", avatarRequired)); !strings.Contains(out, "index users.by_name: ready (2 documents indexed)") {
		t.Errorf("push:\n%s", out)
	}
	if out := e.ok("data", "users", "--index", "by_name", "--eq", "name=bob", "--json"); !strings.Contains(out, "b.png") {
		t.Errorf("query through the new index: %s", out)
	}
	v3 := e.file("v3.json", `{"tables":{"users":{"fields":{"name":"string","avatarUrl":"string"},"indexes":{"by_name":["name"],"by_avatar":["avatarUrl"]}}}}`)
	if out := e.ok("schema", "push", "--no-wait", v3); !strings.Contains(out, "index users.by_avatar: staged") || !strings.Contains(out, "strata schema wait") {
		t.Errorf("push --no-wait:\n%s", out)
	}
	if _, errOut, err := e.run("data", "users", "--index", "by_avatar"); err == nil || !strings.Contains(errOut, "not ready") {
		t.Errorf("query on the staged index: %v %s", err, errOut)
	}
	if out := e.ok("schema", "status"); !strings.Contains(out, "index users.by_avatar: being built, 0 documents indexed so far") || !strings.Contains(out, "schema wait") {
		t.Errorf("status:\n%s", out)
	}
	if out := e.ok("schema", "wait"); !strings.Contains(out, "index users.by_avatar: ready (2 documents indexed)") {
		t.Errorf("wait:\n%s", out)
	}
	if out := e.ok("schema", "status"); !strings.Contains(out, "every index is ready") || !strings.Contains(out, "migrations: none in progress") {
		t.Errorf("status after wait:\n%s", out)
	}
	if out := e.ok("schema", "wait"); !strings.Contains(out, "nothing to wait for") {
		t.Errorf("second wait:\n%s", out)
	}
	e.ok("data", "users", "--index", "by_avatar")
}

// TestPushDuringMigration: a push refused while a declarative migration
// is in progress on the table says so and names the command that
// finishes it, instead of guessing at a rename.
func TestPushDuringMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", `{"tables":{"users":{"fields":{"userName":"string","email":"string"}}}}`))
	e.ok("import", "users", e.file("u.jsonl", `{"userName":"ada","email":"a@x"}`+"\n"))
	e.ok("migrate", "start", e.file("r.json", `{"name":"r1","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`))
	_, errOut, err := e.run("schema", "push", e.file("v2.json", `{"tables":{"users":{"fields":{"displayName":"string","email":"string"}}}}`))
	if err == nil || !strings.Contains(errOut, "migration r1 is in progress on table users") || !strings.Contains(errOut, "migrate complete r1") || strings.Contains(errOut, "looks like renaming") {
		t.Errorf("push during the migration: %v\n%s", err, errOut)
	}
	if out := e.ok("schema", "status"); !strings.Contains(out, "migration r1 on users: ready") || !strings.Contains(out, "next: strata --db") {
		t.Errorf("status:\n%s", out)
	}
}
