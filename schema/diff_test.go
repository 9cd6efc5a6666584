package schema_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

func TestAccepts(t *testing.T) {
	lit := v.Literal
	obj := func(o v.Object) v.Validator { return o }
	cases := []struct {
		name     string
		new, old v.Validator
		want     bool
	}{
		{"same", v.String(), v.String(), true},
		{"any", v.Any(), v.Array(v.Int64()), true},
		{"other basic", v.Number(), v.Int64(), false},
		{"string accepts literal", v.String(), lit("a"), true},
		{"number rejects int literal", v.Number(), lit(int64(1)), false},
		{"string accepts id", v.String(), v.ID("users"), true},
		{"id other table", v.ID("posts"), v.ID("users"), false},
		{"widen union", v.Union(lit("a"), lit("b"), lit("c")), v.Union(lit("a"), lit("b")), true},
		{"narrow union", v.Union(lit("a")), v.Union(lit("a"), lit("b")), false},
		{"union of basics", v.Union(v.String(), v.Null()), v.String(), true},
		{"literal to union", v.Union(lit("a"), v.Null()), lit("a"), true},
		{"array elem widen", v.Array(v.Union(v.String(), v.Null())), v.Array(v.String()), true},
		{"array elem narrow", v.Array(v.String()), v.Array(v.Union(v.String(), v.Null())), false},
		{"object add optional", obj(v.Object{"a": v.String(), "b": v.Optional(v.String())}), obj(v.Object{"a": v.String()}), true},
		{"object add required", obj(v.Object{"a": v.String(), "b": v.String()}), obj(v.Object{"a": v.String()}), false},
		{"object remove field", obj(v.Object{"a": v.String()}), obj(v.Object{"a": v.String(), "b": v.Optional(v.String())}), false},
		{"object make optional", obj(v.Object{"a": v.Optional(v.String())}), obj(v.Object{"a": v.String()}), true},
		{"object make required", obj(v.Object{"a": v.String()}), obj(v.Object{"a": v.Optional(v.String())}), false},
		{"record widen value", v.Record(v.String(), v.Any()), v.Record(v.String(), v.Number()), true},
		{"record accepts object", v.Record(v.String(), v.Number()), obj(v.Object{"x": v.Number(), "y": v.Optional(v.Number())}), true},
		{"record rejects object", v.Record(v.String(), v.Number()), obj(v.Object{"x": v.String()}), false},
		{"nil", nil, v.String(), false},
		{"invalid", v.String(), &v.ArrayType{}, false},
	}
	for _, c := range cases {
		if got := schema.Accepts(c.new, c.old); got != c.want {
			t.Errorf("%s: Accepts(%v, %v) = %v, want %v", c.name, c.new, c.old, got, c.want)
		}
	}
}

func mustSchema(t *testing.T, tables ...*schema.Table) *schema.Schema {
	t.Helper()
	s, err := schema.New(tables...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCompareClassifies(t *testing.T) {
	base := func() *schema.Table {
		return schema.Define("users", v.Object{
			"name":      v.String(),
			"avatarUrl": v.Optional(v.String()),
			"status":    v.Union(v.Literal("a"), v.Literal("b")),
		}).Index("by_name", "name")
	}
	old := mustSchema(t, base())
	cases := []struct {
		name    string
		new     *schema.Table
		kind    schema.ChangeKind
		class   schema.Class
		check   bool
		summary string // substring
		fix     string // substring
	}{
		{"add optional", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b")), "bio": v.Optional(v.String())}).Index("by_name", "name"),
			schema.AddField, schema.Safe, false, "add optional field bio", ""},
		{"add required", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b")), "bio": v.String()}).Index("by_name", "name"),
			schema.AddField, schema.NeedsData, true, "add required field bio", "add it as optional"},
		{"make required", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.String(), "status": v.Union(v.Literal("a"), v.Literal("b"))}).Index("by_name", "name"),
			schema.MakeRequired, schema.NeedsData, true, "field avatarUrl becomes required", "keep it optional, backfill it with a migration, then make it required"},
		{"make optional", schema.Define("users", v.Object{"name": v.Optional(v.String()), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b"))}).Index("by_name", "name"),
			schema.MakeOptional, schema.Safe, false, "field name becomes optional", ""},
		{"widen union", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b"), v.Literal("c"))}).Index("by_name", "name"),
			schema.WidenField, schema.Safe, false, "field status widens", ""},
		{"narrow union", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"))}).Index("by_name", "name"),
			schema.ChangeField, schema.NeedsData, true, `no longer accepts "b"`, "migrate the documents"},
		{"change type", schema.Define("users", v.Object{"name": v.Int64(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b"))}).Index("by_name", "name"),
			schema.ChangeField, schema.NeedsData, true, "changes type from string to int64", "add a new optional field"},
		{"remove field", schema.Define("users", v.Object{"name": v.String(), "status": v.Union(v.Literal("a"), v.Literal("b"))}).Index("by_name", "name"),
			schema.RemoveField, schema.NeedsData, true, "remove field avatarUrl", "remove it from every document"},
		{"add index", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b"))}).Index("by_name", "name").Index("by_status", "status"),
			schema.AddIndex, schema.Safe, false, "add index by_status", ""},
		{"drop index", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b"))}),
			schema.DropIndex, schema.Destructive, false, "drop index by_name", "no longer queries"},
		{"change index", schema.Define("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String()), "status": v.Union(v.Literal("a"), v.Literal("b"))}).Index("by_name", "name", "status"),
			schema.ChangeIndex, schema.Destructive, false, "changes fields", "new name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := schema.Compare(old, mustSchema(t, c.new))
			if len(d.Changes) != 1 {
				t.Fatalf("changes = %v, want one", d.Changes)
			}
			ch := d.Changes[0]
			if ch.Kind != c.kind || ch.Class != c.class || !strings.Contains(ch.Summary, c.summary) || !strings.Contains(ch.Fix, c.fix) || (c.fix == "") != (ch.Fix == "") {
				t.Errorf("change = %+v\nwant kind %s class %s summary ~%q fix ~%q", ch, c.kind, c.class, c.summary, c.fix)
			}
			if got := len(d.Check) == 1; got != c.check {
				t.Errorf("check = %v, want check %v", d.Check, c.check)
			}
			if d.Class() != c.class {
				t.Errorf("Class() = %v", d.Class())
			}
		})
	}
}

func TestCompareTablesAndRename(t *testing.T) {
	old := mustSchema(t, schema.Define("users", v.Object{"userName": v.String(), "displayName": v.Optional(v.String())}),
		schema.Define("gone", v.Object{"x": v.String()}))
	// The seed's rename step 4.
	next := mustSchema(t, schema.Define("users", v.Object{"displayName": v.String()}),
		schema.Define("posts", v.Object{"title": v.String()}).Index("by_title", "title"))
	d := schema.Compare(old, next)
	var kinds []string
	for _, c := range d.Changes {
		kinds = append(kinds, string(c.Kind)+":"+c.Table+"."+c.Field+c.Index)
	}
	want := "remove_table:gone. add_table:posts. add_index:posts.by_title make_required:users.displayName remove_field:users.userName"
	if strings.Join(kinds, " ") != want {
		t.Errorf("changes = %v\nwant %s", kinds, want)
	}
	if strings.Join(d.Check, ",") != "posts,users" {
		t.Errorf("check = %v", d.Check)
	}
	if d.Class() != schema.NeedsData {
		t.Errorf("class = %v", d.Class())
	}
	if d := schema.Compare(next, next); !d.Empty() || len(d.Check) != 0 {
		t.Errorf("self diff = %+v", d)
	}
	if d := schema.Compare(nil, next); len(d.Check) != 2 {
		t.Errorf("from nil: %+v", d)
	}
}

func TestCompareRenameHint(t *testing.T) {
	old := mustSchema(t, schema.Define("tasks", v.Object{"title": v.String(), "priority": v.String()}))
	next := mustSchema(t, schema.Define("tasks", v.Object{"title": v.String(), "priorityLevel": v.Number()}))
	d := schema.Compare(old, next)
	if len(d.Changes) != 2 {
		t.Fatalf("%v", d.Changes)
	}
	for _, c := range d.Changes {
		if !strings.Contains(c.Fix, "keep (or add) priorityLevel as optional, backfill it from priority") {
			t.Errorf("%s: fix %q", c.Summary, c.Fix)
		}
	}
}

// TestAcceptsIsSound checks Accepts against Validate: whenever
// Accepts(a, b), every sample value b accepts, a accepts too.
func TestAcceptsIsSound(t *testing.T) {
	id := string(value.NewID("users"))
	vals := []v.Validator{
		v.String(), v.Number(), v.Int64(), v.Boolean(), v.Null(), v.Bytes(), v.Any(),
		v.Literal("a"), v.Literal("b"), v.Literal(1.0), v.Literal(int64(1)), v.Literal(true),
		v.ID("users"), v.ID("posts"),
		v.Array(v.String()), v.Array(v.Any()), v.Array(v.Union(v.String(), v.Null())),
		v.Object{"a": v.String()}, v.Object{"a": v.Optional(v.String())}, v.Object{"a": v.String(), "b": v.Optional(v.Int64())},
		v.Object{}, v.Record(v.String(), v.String()), v.Record(v.String(), v.Any()),
		v.Union(v.String(), v.Null()), v.Union(v.Literal("a"), v.Literal("b")), v.Union(v.Int64(), v.Number()),
		v.Union(v.Object{"a": v.String()}, v.Null()),
	}
	samples := []any{
		"a", "b", "", id, 1.0, 2.5, int64(1), int64(2), true, false, nil, []byte("x"),
		[]any{}, []any{"a"}, []any{"a", nil}, []any{1.0},
		map[string]any{}, map[string]any{"a": "x"}, map[string]any{"a": "x", "b": int64(3)}, map[string]any{"b": int64(3)},
		map[string]any{"a": 1.0}, map[string]any{"c": "x"},
	}
	for _, a := range vals {
		for _, b := range vals {
			if !schema.Accepts(a, b) {
				continue
			}
			for _, x := range samples {
				if b.Validate(x) == nil && a.Validate(x) != nil {
					t.Errorf("Accepts(%v, %v) but %v accepts %#v and %v does not", a, b, b, x, a)
				}
			}
		}
		if !schema.Accepts(a, a) {
			t.Errorf("Accepts(%v, %v) = false", a, a)
		}
	}
}

// FuzzCompare diffs two parsed schemas: Compare never panics, a schema
// compared with itself has no changes, and a table whose new validator
// accepts the old one is not checked.
func FuzzCompare(f *testing.F) {
	f.Add(`{"tables":{"users":{"fields":{"name":"string","a":{"optional":"string"}},"indexes":{"by_name":["name"]}}}}`,
		`{"tables":{"users":{"fields":{"name":"string","a":"string","s":{"union":[{"literal":"x"},"null"]}}}}}`)
	f.Add(`{"tables":{"t":{"fields":{"x":{"array":{"record":["string","any"]}}}}}}`, `{"tables":{}}`)
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, err := schema.Parse([]byte(a))
		if err != nil {
			return
		}
		sb, err := schema.Parse([]byte(b))
		if err != nil {
			return
		}
		if d := schema.Compare(sa, sa); !d.Empty() || len(d.Check) != 0 {
			t.Fatalf("self diff: %+v", d)
		}
		d := schema.Compare(sa, sb)
		_ = d.Class()
		for _, name := range d.Check {
			if ta, tb := sa.Tables[name], sb.Tables[name]; ta != nil && schema.Accepts(tb.Fields, ta.Fields) {
				t.Fatalf("table %s checked although it widens", name)
			}
		}
		for _, c := range d.Changes {
			if c.Class != schema.Safe && c.Fix == "" && c.Kind != schema.RemoveTable {
				t.Fatalf("change without a fix: %+v", c)
			}
		}
	})
}
