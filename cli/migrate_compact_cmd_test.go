package cli_test

import (
	"strings"
	"testing"
)

// TestMigrateCompactCLI: an instant rename leaves old records; compact
// rewrites them all once, a second compact has nothing to do, and the
// documents and indexes read the same before and after.
func TestMigrateCompactCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "set", e.file("v1.json", `{"tables":{"users":{"fields":{"userName":"string"},"indexes":{"by_name":["userName"]}}}}`))
	e.ok("import", "users", e.file("u.jsonl", strings.Repeat(`{"userName":"ada"}`+"\n", 120)))
	file := e.file("m.json", `{"name":"m1","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)
	if out := e.ok("migrate", "start", file); !strings.Contains(out, "instant") {
		t.Fatalf("start: %s", out)
	}
	e.ok("migrate", "complete", "m1")
	before := e.ok("data", "users", "--index", "by_name", "--json")
	if !strings.Contains(before, `"displayName"`) || strings.Contains(before, `"userName"`) {
		t.Fatalf("data after complete: %.300s", before)
	}
	if out := e.ok("migrate", "compact", "users"); !strings.Contains(out, "compacted: 120 of 120 records rewritten") {
		t.Fatalf("compact: %s", out)
	}
	if out := e.ok("migrate", "compact"); !strings.Contains(out, "nothing to compact") {
		t.Fatalf("second compact: %s", out)
	}
	if after := e.ok("data", "users", "--index", "by_name", "--json"); after != before {
		t.Fatalf("documents changed by compact:\n%.300s\nvs\n%.300s", after, before)
	}
	if _, errOut, err := e.run("migrate", "compact", "nope"); err == nil || !strings.Contains(errOut, `no table "nope"`) {
		t.Fatalf("compact of an unknown table: %v %s", err, errOut)
	}
	if out := e.ok("check"); !strings.Contains(out, "ok: no problems found") {
		t.Fatalf("check: %s", out)
	}
}
