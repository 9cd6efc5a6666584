package cli_test

import (
	"strings"
	"testing"
)

// TestWholeNumbersCLI: a plain whole number is an int64 wherever the
// target type is int64 and not number — an imported document's field, a
// migration map and default, a function argument, data --eq — while
// {"$integer"} still works; a fraction is refused with the form to write;
// the table view prints int64 values as plain numbers.
func TestWholeNumbersCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", `{"tables":{
		"people":{"fields":{"name":"string","age":"int64","score":{"optional":"number"},"priority":"string","rank":{"optional":{"object":{"level":"int64"}}}},"indexes":{"by_age":["age"],"by_level":["rank.level"]}},
		"notes":{"fields":{"text":"string","n":{"optional":"int64"}}}}}`))
	e.ok("import", "people", e.file("p.jsonl", `{"name":"ada","age":30,"score":2,"priority":"low"}
{"name":"bob","age":{"$integer":"41"},"priority":"high","rank":{"level":2}}
`))
	out := e.ok("data", "people", "--json")
	if !strings.Contains(out, `"age":{"$integer":"30"}`) || !strings.Contains(out, `"score":2`) {
		t.Errorf("imported documents: %s", out)
	}
	if out := e.ok("data", "people"); !strings.Contains(out, "  30  ") || !strings.Contains(out, `{"level":2}`) || strings.Contains(out, "$integer") {
		t.Errorf("table view:\n%s", out)
	}
	if out := e.ok("data", "people", "--index", "by_age", "--eq", "age=30", "--json"); !strings.Contains(out, `"ada"`) {
		t.Errorf("data --eq age=30: %s", out)
	}
	if out := e.ok("data", "people", "--index", "by_level", "--eq", "rank.level=2", "--json"); !strings.Contains(out, `"bob"`) {
		t.Errorf("data --eq rank.level=2: %s", out)
	}
	_, errOut, err := e.run("import", "people", e.file("bad.jsonl", `{"name":"cy","age":30.5,"priority":"low"}`+"\n"))
	if err == nil || !strings.Contains(errOut, "bad.jsonl:1") || !strings.Contains(errOut, "int64 holds whole numbers only") {
		t.Errorf("a fraction for an int64: %v %s", err, errOut)
	}

	// A change_type map and default into an int64 field.
	m := e.file("m.json", `{"name":"levels","operations":[{"change_type":{"table":"people","from":"priority","to":"level","type":"int64","map":[["low",1],["high",3]],"default":2}}]}`)
	e.ok("migrate", "start", m)
	if out := e.ok("data", "people", "--json"); !strings.Contains(out, `"level":{"$integer":"1"}`) || !strings.Contains(out, `"level":{"$integer":"3"}`) {
		t.Errorf("after change_type: %s", out)
	}
	e.ok("migrate", "complete", "levels")

	// A map from an int64 field written with plain numbers cannot match:
	// the error says which form to write.
	back := e.file("back.json", `{"name":"back","operations":[{"change_type":{"table":"people","from":"level","to":"label","type":"string","map":[[1,"low"],[3,"high"]],"default":"medium"}}]}`)
	if _, errOut, err := e.run("migrate", "start", back); err == nil || !strings.Contains(errOut, `write it as {"$integer":"1"}`) {
		t.Errorf("map from int64 with plain numbers: %v %s", err, errOut)
	}

	// A function argument.
	app := fnApp()
	e.okFn(app, "run", "notes:add", `{"text":"hi","n":3}`)
	if out := e.ok("data", "notes", "--json"); !strings.Contains(out, `"n":{"$integer":"3"}`) {
		t.Errorf("function argument: %s", out)
	}
}
