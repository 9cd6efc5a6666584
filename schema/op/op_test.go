package op_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

func seedSchema(t testing.TB) *schema.Schema {
	t.Helper()
	s, err := strata.NewSchema(
		strata.Table("users", v.Object{"userName": v.String(), "email": v.String(), "legacyField": v.Optional(v.String())}).Index("by_email", "email"),
		strata.Table("tasks", v.Object{
			"title":    v.String(),
			"priority": v.Union(v.Literal("low"), v.Literal("medium"), v.Literal("high")),
			"note":     v.String(),
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// expandContract applies op's schema steps to a copy of s and returns the
// expanded and final schemas, both checked.
func expandContract(t *testing.T, o op.Operation, s *schema.Schema) (*schema.Schema, *schema.Schema) {
	t.Helper()
	if err := o.Check(s); err != nil {
		t.Fatalf("check: %v", err)
	}
	exp := op.CopySchema(s)
	if err := o.Expand(exp); err != nil {
		t.Fatal(err)
	}
	fin := op.CopySchema(exp)
	if err := o.Contract(s, fin); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*schema.Schema{exp, fin} {
		if err := x.Check(); err != nil {
			t.Fatalf("schema after %s: %v", o.Kind(), err)
		}
	}
	if s.Tables[o.Table()].Fields["email"] == nil && o.Table() == "users" {
		t.Fatalf("the deployed schema was modified")
	}
	return exp, fin
}

func transform(t *testing.T, o op.Operation, old, doc op.Doc) op.Doc {
	t.Helper()
	out, err := o.Transform(old, doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := o.Transform(old, out)
	if err != nil || !value.Equal(map[string]any(again), map[string]any(out)) {
		t.Fatalf("transform is not idempotent: %v then %v (%v)", out, again, err)
	}
	return out
}

func TestRenameField(t *testing.T) {
	s := seedSchema(t)
	o := op.RenameField{TableName: "users", From: "userName", To: "displayName"}
	exp, fin := expandContract(t, o, s)
	both := op.Doc{"email": "a@x"}
	if err := exp.ValidateDocument("users", op.Doc{"email": "a", "userName": "old"}); err != nil {
		t.Errorf("expanded schema refuses an old-shape doc: %v", err)
	}
	if err := exp.ValidateDocument("users", op.Doc{"email": "a", "displayName": "new"}); err != nil {
		t.Errorf("expanded schema refuses a new-shape doc: %v", err)
	}
	if err := fin.ValidateDocument("users", op.Doc{"email": "a", "userName": "old"}); err == nil {
		t.Errorf("final schema accepts the old field")
	}
	if err := fin.ValidateDocument("users", op.Doc{"email": "a"}); err == nil {
		t.Errorf("final schema does not require displayName")
	}
	_ = both
	stored := op.Doc{"email": "a", "userName": "ada", "displayName": "ada"}
	cases := []struct {
		name      string
		old, doc  op.Doc
		wantFrom  any
		wantTo    any
		wantNoDup bool
	}{
		{"backfill copies", nil, op.Doc{"userName": "ada"}, "ada", "ada", false},
		{"old writer insert", nil, op.Doc{"userName": "bob"}, "bob", "bob", false},
		{"new writer insert", nil, op.Doc{"displayName": "cy"}, "cy", "cy", false},
		{"old writer patch", stored, op.Doc{"email": "a", "userName": "ADA", "displayName": "ada"}, "ADA", "ADA", false},
		{"new writer patch", stored, op.Doc{"email": "a", "userName": "ada", "displayName": "Ada L."}, "Ada L.", "Ada L.", false},
		{"old writer replace", stored, op.Doc{"email": "a", "userName": "x"}, "x", "x", false},
		{"new writer replace", stored, op.Doc{"email": "a", "displayName": "y"}, "y", "y", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := transform(t, o, c.old, c.doc)
			if got["userName"] != c.wantFrom || got["displayName"] != c.wantTo {
				t.Errorf("got userName=%v displayName=%v, want %v %v", got["userName"], got["displayName"], c.wantFrom, c.wantTo)
			}
		})
	}
	if p := o.Cleanup(stored); p == nil || p["userName"] != op.Unset {
		t.Errorf("cleanup: %v", p)
	}
	if p := o.Revert(stored); p == nil || p["displayName"] != op.Unset {
		t.Errorf("revert: %v", p)
	}
}

func TestChangeType(t *testing.T) {
	s := seedSchema(t)
	prio := []op.Pair{{"low", 1.0}, {"medium", 2.0}, {"high", 3.0}}
	o := op.ChangeType{TableName: "tasks", From: "priority", To: "priorityLevel", Type: v.Number(), Map: prio,
		ReverseMap: []op.Pair{{1.0, "low"}, {2.0, "medium"}, {3.0, "high"}}}
	exp, fin := expandContract(t, o, s)
	if err := exp.ValidateDocument("tasks", op.Doc{"title": "t", "note": "n", "priority": "low", "priorityLevel": 1.0}); err != nil {
		t.Error(err)
	}
	if err := fin.ValidateDocument("tasks", op.Doc{"title": "t", "note": "n", "priorityLevel": 1.0}); err != nil {
		t.Error(err)
	}
	if got := transform(t, o, nil, op.Doc{"priority": "high"}); got["priorityLevel"] != 3.0 {
		t.Errorf("backfill: %v", got)
	}
	stored := op.Doc{"priority": "low", "priorityLevel": 1.0}
	if got := transform(t, o, stored, op.Doc{"priority": "medium", "priorityLevel": 1.0}); got["priorityLevel"] != 2.0 {
		t.Errorf("old writer: %v", got)
	}
	if got := transform(t, o, stored, op.Doc{"priority": "low", "priorityLevel": 3.0}); got["priority"] != "high" {
		t.Errorf("new writer: %v", got)
	}
	if got := transform(t, o, nil, op.Doc{"priorityLevel": 2.0}); got["priority"] != "medium" {
		t.Errorf("new writer insert: %v", got)
	}
	// A partial map over a finite type needs a default; a map over an
	// open type is Partial: the documents tell.
	partial := op.ChangeType{TableName: "tasks", From: "priority", To: "p2", Type: v.Number(), Map: prio[:2]}
	if err := partial.Check(s); err == nil || !strings.Contains(err.Error(), `no entry for high`) {
		t.Errorf("partial map: %v", err)
	}
	open := op.ChangeType{TableName: "tasks", From: "note", To: "n2", Type: v.Number(), Map: prio}
	if err := open.Check(s); err != nil || !open.Partial(s) {
		t.Errorf("open type: %v, partial %v", err, open.Partial(s))
	}
	open.HasDefault, open.Default = true, 0.0
	if err := open.Check(s); err != nil || open.Partial(s) {
		t.Errorf("with default: %v", err)
	}
	if got := transform(t, open, nil, op.Doc{"note": "zzz"}); got["n2"] != 0.0 {
		t.Errorf("default: %v", got)
	}
}

func TestAddRemoveField(t *testing.T) {
	s := seedSchema(t)
	add := op.AddField{TableName: "users", Field: "avatarUrl", Type: v.String(), Default: "https://x/default.svg"}
	exp, fin := expandContract(t, add, s)
	if err := exp.ValidateDocument("users", op.Doc{"userName": "a", "email": "e"}); err != nil {
		t.Errorf("expanded: %v", err)
	}
	if err := fin.ValidateDocument("users", op.Doc{"userName": "a", "email": "e"}); err == nil {
		t.Errorf("final schema does not require avatarUrl")
	}
	if got := transform(t, add, nil, op.Doc{"userName": "a"}); got["avatarUrl"] != "https://x/default.svg" {
		t.Errorf("add: %v", got)
	}
	if got := transform(t, add, nil, op.Doc{"avatarUrl": "mine"}); got["avatarUrl"] != "mine" {
		t.Errorf("add keeps an existing value: %v", got)
	}
	derived := op.AddField{TableName: "users", Field: "avatarUrl", Type: v.String(),
		Derive: func(d op.Doc) (any, error) { return "https://x/" + d["userName"].(string), nil }}
	if got := transform(t, derived, nil, op.Doc{"userName": "ada"}); got["avatarUrl"] != "https://x/ada" {
		t.Errorf("derived: %v", got)
	}
	rm := op.RemoveField{TableName: "users", Field: "legacyField"}
	_, fin = expandContract(t, rm, s)
	if err := fin.ValidateDocument("users", op.Doc{"userName": "a", "email": "e", "legacyField": "x"}); err == nil {
		t.Errorf("final schema accepts legacyField")
	}
	if p := rm.Cleanup(op.Doc{"legacyField": "x"}); p["legacyField"] != op.Unset {
		t.Errorf("cleanup: %v", p)
	}
}

func TestOperationChecks(t *testing.T) {
	s := seedSchema(t)
	cases := []struct {
		op   op.Operation
		want string
	}{
		{op.RenameField{TableName: "users", From: "nope", To: "x"}, `no field "nope"`},
		{op.RenameField{TableName: "users", From: "userName", To: "email"}, "existing field"},
		{op.RenameField{TableName: "ghosts", From: "a", To: "b"}, `"ghosts" is not in the deployed schema`},
		{op.RenameField{TableName: "users", From: "userName", To: "_x"}, "reserved"},
		{op.AddField{TableName: "users", Field: "email", Type: v.String(), Default: "x"}, "already has a field"},
		{op.AddField{TableName: "users", Field: "n", Type: v.Int64(), Default: 1.0}, "default does not match"},
		{op.AddField{TableName: "users", Field: "n", Type: v.Int64()}, "default value is required"},
		{op.RemoveField{TableName: "users", Field: "nope"}, `no field "nope"`},
		{op.AddIndex{TableName: "users", Name: "by_email", On: []string{"email"}}, "already has an index"},
		{op.AddIndex{TableName: "users", Name: "by_x", On: []string{"x"}}, `"x"`},
		{op.DropIndex{TableName: "users", Name: "by_nothing"}, "no index"},
		{op.ChangeType{TableName: "tasks", From: "priority", To: "priority", Type: v.Number(), Map: []op.Pair{{"low", 1.0}}}, "new name"},
		{op.ChangeType{TableName: "tasks", From: "priority", To: "p", Type: v.Number(), Map: []op.Pair{{"low", "one"}}}, "does not match the type"},
	}
	for _, c := range cases {
		err := c.op.Check(s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: got %v, want %q", c.op.Kind(), c.op, err, c.want)
		}
	}
}
