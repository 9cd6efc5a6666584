package op_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/schema/op"
)

func TestParseFile(t *testing.T) {
	f, err := op.ParseFile([]byte(`{"name": "003_rename_user_name",
	 "operations": [
	   {"rename_field": {"table": "users", "from": "userName", "to": "displayName"}},
	   {"add_field": {"table": "users", "field": "avatarUrl", "type": "string", "default": ""}},
	   {"remove_field": {"table": "posts", "field": "legacyField"}},
	   {"change_type": {"table": "tasks", "from": "priority", "to": "priorityLevel", "type": "number",
	     "map": {"low": 1, "medium": 2, "high": 3}, "reverse_map": [[1, "low"], [2, "medium"], [3, "high"]]}},
	   {"add_index": {"table": "posts", "name": "by_status_and_published", "fields": ["status", "publishedAt"]}},
	   {"drop_index": {"table": "posts", "name": "by_status"}}
	 ]}`))
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{"rename_field", "add_field", "remove_field", "change_type", "add_index", "drop_index"}
	if f.Name != "003_rename_user_name" || len(f.Operations) != len(kinds) {
		t.Fatalf("parsed %+v", f)
	}
	for i, k := range kinds {
		if f.Operations[i].Kind() != k {
			t.Errorf("operation %d: %s, want %s", i, f.Operations[i].Kind(), k)
		}
	}
	ct := f.Operations[3].(op.ChangeType)
	if len(ct.Map) != 3 || len(ct.ReverseMap) != 3 {
		t.Errorf("change_type maps: %+v", ct)
	}
}

func TestParseFileErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`not json`, "invalid JSON"},
		{`{"name": "x", "operations": []}`, "at least one operation"},
		{`{"operations": [{"remove_field": {"table": "t", "field": "f"}}]}`, "name"},
		{`{"name": "bad name!", "operations": [{"remove_field": {"table": "t", "field": "f"}}]}`, "name"},
		{`{"name": "x", "operations": [{"remove_field": {"table": "t", "field": "f"}}], "extra": 1}`, "extra"},
		{`{"name": "x", "operations": [{"explode": {}}]}`, "operations[0].explode: unknown operation"},
		{`{"name": "x", "operations": [{"remove_field": {"table": "t"}, "add_index": {}}]}`, "exactly one key"},
		{`{"name": "x", "operations": [{"rename_field": {"table": "t", "from": "a", "to": "a"}}]}`, "operations[0].rename_field"},
		{`{"name": "x", "operations": [{"rename_field": {"table": "t", "from": "a", "too": "b"}}]}`, "too"},
		{`{"name": "x", "operations": [{"add_field": {"table": "t", "field": "f", "type": "strin", "default": "x"}}]}`, "strin"},
		{`{"name": "x", "operations": [{"add_field": {"table": "t", "field": "f", "type": "int64", "default": 1.5}}]}`, "default does not match"},
		{`{"name": "x", "operations": [{"change_type": {"table": "t", "from": "a", "to": "b", "type": "number"}}]}`, "map: missing"},
		{`{"name": "x", "operations": [{"change_type": {"table": "t", "from": "a", "to": "b", "type": "number", "map": [[1]]}}]}`, "pair"},
		{`{"name": "x", "operations": [{"change_type": {"table": "t", "from": "a", "to": "b", "type": "number", "map": [["a", 1], ["a", 2]]}}]}`, "mapped twice"},
		{`{"name": "x", "operations": [{"add_index": {"table": "t", "name": "by_a", "fields": []}}]}`, "at least one field"},
		{`{"name": "x", "operations": [{"drop_index": {"table": "_sys", "name": "by_a"}}]}`, "invalid table"},
		{`{"name": "x", "operations": [{"rename_field": {"table": "users", "from": "name", "to": "a"}}, {"rename_field": {"table": "users", "from": "name", "to": "b"}}]}`,
			"operations[0].rename_field (users.name → a) and operations[1].rename_field (users.name → b) both change field users.name"},
		{`{"name": "x", "operations": [{"add_field": {"table": "users", "field": "a", "type": "string", "default": ""}}, {"rename_field": {"table": "users", "from": "name", "to": "a"}}]}`,
			"operations[0].add_field (users.a) and operations[1].rename_field (users.name → a) both change field users.a"},
		{`{"name": "x", "operations": [{"remove_field": {"table": "users", "field": "name"}}, {"change_type": {"table": "users", "from": "name", "to": "n", "type": "number", "convert": "to_number"}}]}`,
			"both change field users.name"},
		{`{"name": "x", "operations": [{"add_index": {"table": "users", "name": "by_a", "fields": ["a"]}}, {"drop_index": {"table": "users", "name": "by_a"}}]}`,
			"both change index users.by_a"},
	}
	for _, c := range cases {
		_, err := op.ParseFile([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.in, err, c.want)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add(`{"name": "a", "operations": [{"rename_field": {"table": "users", "from": "userName", "to": "displayName"}}]}`)
	f.Add(`{"name": "b", "operations": [{"change_type": {"table": "t", "from": "a", "to": "b", "type": "number", "map": [["x", 1]], "default": 0}}]}`)
	f.Add(`{"name": "c", "operations": [{"change_type": {"table": "t", "from": "a", "to": "b", "type": "number", "convert": "to_number", "reverse_convert": "to_string", "default": 0}}]}`)
	f.Add(`{"name": "c", "operations": [{"add_field": {"table": "t", "field": "f", "type": {"optional": "string"}, "default": null}}]}`)
	f.Add(`// comment
{"name": "d", "operations": [{"require_field": {"table": "t", "field": "f", "type": "int64", "from": "g", "convert": "to_int64", "default": 0}}]}`)
	f.Add(`{"name": "e", "operations": [{"change_type": {"table": "t", "from": "a", "to": "b", "type": {"array": "int64"}, "map": {"x": [1, 2]}, "default": [3]}}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		file, err := op.ParseFile([]byte(in))
		if err != nil {
			return
		}
		if file.Name == "" || len(file.Operations) == 0 {
			t.Fatalf("accepted an empty migration: %+v", file)
		}
		for _, op := range file.Operations {
			if op.Table() == "" {
				t.Fatalf("operation without a table: %+v", op)
			}
		}
	})
}

func TestMarshalFileRoundTrip(t *testing.T) {
	in := `{"name":"x","operations":[
	  {"rename_field":{"table":"users","from":"userName","to":"displayName"}},
	  {"add_field":{"table":"users","field":"n","type":"int64","default":{"$integer":"5"}}},
	  {"remove_field":{"table":"posts","field":"legacyField"}},
	  {"change_type":{"table":"tasks","from":"priority","to":"priorityLevel","type":"number","map":[["low",1],["high",3]],"reverse_map":[[1,"low"]],"default":2}},
	  {"add_index":{"table":"posts","name":"by_a","fields":["a","b"]}},
	  {"drop_index":{"table":"posts","name":"by_c"}},
	  {"require_field":{"table":"posts","field":"views","type":"int64","from":"viewsText","convert":"to_int64","default":0}}]}`
	f, err := op.ParseFile([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	b, err := op.MarshalFile(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := op.ParseFile(b)
	if err != nil {
		t.Fatalf("re-parse %s: %v", b, err)
	}
	b2, _ := op.MarshalFile(g)
	if string(b) != string(b2) {
		t.Errorf("not stable:\n%s\n%s", b, b2)
	}
	if _, err := op.MarshalFile(&op.File{Name: "d", Operations: []op.Operation{op.AddField{TableName: "t", Field: "f", Derive: func(op.Doc) (any, error) { return nil, nil }}}}); err == nil {
		t.Errorf("Derive marshaled")
	}
}
