package migrate_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema"
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
func expandContract(t *testing.T, op migrate.Operation, s *schema.Schema) (*schema.Schema, *schema.Schema) {
	t.Helper()
	if err := op.Check(s); err != nil {
		t.Fatalf("check: %v", err)
	}
	exp := migrate.CopySchema(s)
	if err := op.Expand(exp); err != nil {
		t.Fatal(err)
	}
	fin := migrate.CopySchema(exp)
	if err := op.Contract(s, fin); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*schema.Schema{exp, fin} {
		if err := x.Check(); err != nil {
			t.Fatalf("schema after %s: %v", op.Kind(), err)
		}
	}
	if s.Tables[op.Table()].Fields["email"] == nil && op.Table() == "users" {
		t.Fatalf("the deployed schema was modified")
	}
	return exp, fin
}

func transform(t *testing.T, op migrate.Operation, old, doc strata.Doc) strata.Doc {
	t.Helper()
	out, err := op.Transform(old, doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := op.Transform(old, out)
	if err != nil || !value.Equal(map[string]any(again), map[string]any(out)) {
		t.Fatalf("transform is not idempotent: %v then %v (%v)", out, again, err)
	}
	return out
}

func TestRenameField(t *testing.T) {
	s := seedSchema(t)
	op := migrate.RenameField{TableName: "users", From: "userName", To: "displayName"}
	exp, fin := expandContract(t, op, s)
	both := strata.Doc{"email": "a@x"}
	if err := exp.ValidateDocument("users", strata.Doc{"email": "a", "userName": "old"}); err != nil {
		t.Errorf("expanded schema refuses an old-shape doc: %v", err)
	}
	if err := exp.ValidateDocument("users", strata.Doc{"email": "a", "displayName": "new"}); err != nil {
		t.Errorf("expanded schema refuses a new-shape doc: %v", err)
	}
	if err := fin.ValidateDocument("users", strata.Doc{"email": "a", "userName": "old"}); err == nil {
		t.Errorf("final schema accepts the old field")
	}
	if err := fin.ValidateDocument("users", strata.Doc{"email": "a"}); err == nil {
		t.Errorf("final schema does not require displayName")
	}
	_ = both
	stored := strata.Doc{"email": "a", "userName": "ada", "displayName": "ada"}
	cases := []struct {
		name      string
		old, doc  strata.Doc
		wantFrom  any
		wantTo    any
		wantNoDup bool
	}{
		{"backfill copies", nil, strata.Doc{"userName": "ada"}, "ada", "ada", false},
		{"old writer insert", nil, strata.Doc{"userName": "bob"}, "bob", "bob", false},
		{"new writer insert", nil, strata.Doc{"displayName": "cy"}, "cy", "cy", false},
		{"old writer patch", stored, strata.Doc{"email": "a", "userName": "ADA", "displayName": "ada"}, "ADA", "ADA", false},
		{"new writer patch", stored, strata.Doc{"email": "a", "userName": "ada", "displayName": "Ada L."}, "Ada L.", "Ada L.", false},
		{"old writer replace", stored, strata.Doc{"email": "a", "userName": "x"}, "x", "x", false},
		{"new writer replace", stored, strata.Doc{"email": "a", "displayName": "y"}, "y", "y", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := transform(t, op, c.old, c.doc)
			if got["userName"] != c.wantFrom || got["displayName"] != c.wantTo {
				t.Errorf("got userName=%v displayName=%v, want %v %v", got["userName"], got["displayName"], c.wantFrom, c.wantTo)
			}
		})
	}
	if p := op.Cleanup(stored); p == nil || p["userName"] != strata.Unset {
		t.Errorf("cleanup: %v", p)
	}
	if p := op.Revert(stored); p == nil || p["displayName"] != strata.Unset {
		t.Errorf("revert: %v", p)
	}
}

func TestChangeType(t *testing.T) {
	s := seedSchema(t)
	prio := []migrate.Pair{{"low", 1.0}, {"medium", 2.0}, {"high", 3.0}}
	op := migrate.ChangeType{TableName: "tasks", From: "priority", To: "priorityLevel", Type: v.Number(), Map: prio,
		ReverseMap: []migrate.Pair{{1.0, "low"}, {2.0, "medium"}, {3.0, "high"}}}
	exp, fin := expandContract(t, op, s)
	if err := exp.ValidateDocument("tasks", strata.Doc{"title": "t", "note": "n", "priority": "low", "priorityLevel": 1.0}); err != nil {
		t.Error(err)
	}
	if err := fin.ValidateDocument("tasks", strata.Doc{"title": "t", "note": "n", "priorityLevel": 1.0}); err != nil {
		t.Error(err)
	}
	if got := transform(t, op, nil, strata.Doc{"priority": "high"}); got["priorityLevel"] != 3.0 {
		t.Errorf("backfill: %v", got)
	}
	stored := strata.Doc{"priority": "low", "priorityLevel": 1.0}
	if got := transform(t, op, stored, strata.Doc{"priority": "medium", "priorityLevel": 1.0}); got["priorityLevel"] != 2.0 {
		t.Errorf("old writer: %v", got)
	}
	if got := transform(t, op, stored, strata.Doc{"priority": "low", "priorityLevel": 3.0}); got["priority"] != "high" {
		t.Errorf("new writer: %v", got)
	}
	if got := transform(t, op, nil, strata.Doc{"priorityLevel": 2.0}); got["priority"] != "medium" {
		t.Errorf("new writer insert: %v", got)
	}
	// A partial map over a finite type, and any map over an open type,
	// need a default.
	partial := migrate.ChangeType{TableName: "tasks", From: "priority", To: "p2", Type: v.Number(), Map: prio[:2]}
	if err := partial.Check(s); err == nil || !strings.Contains(err.Error(), `no entry for high`) {
		t.Errorf("partial map: %v", err)
	}
	open := migrate.ChangeType{TableName: "tasks", From: "note", To: "n2", Type: v.Number(), Map: prio}
	if err := open.Check(s); err == nil || !strings.Contains(err.Error(), "not total") {
		t.Errorf("open type: %v", err)
	}
	open.HasDefault, open.Default = true, 0.0
	if err := open.Check(s); err != nil {
		t.Errorf("with default: %v", err)
	}
	if got := transform(t, open, nil, strata.Doc{"note": "zzz"}); got["n2"] != 0.0 {
		t.Errorf("default: %v", got)
	}
}

func TestAddRemoveField(t *testing.T) {
	s := seedSchema(t)
	add := migrate.AddField{TableName: "users", Field: "avatarUrl", Type: v.String(), Default: "https://x/default.svg"}
	exp, fin := expandContract(t, add, s)
	if err := exp.ValidateDocument("users", strata.Doc{"userName": "a", "email": "e"}); err != nil {
		t.Errorf("expanded: %v", err)
	}
	if err := fin.ValidateDocument("users", strata.Doc{"userName": "a", "email": "e"}); err == nil {
		t.Errorf("final schema does not require avatarUrl")
	}
	if got := transform(t, add, nil, strata.Doc{"userName": "a"}); got["avatarUrl"] != "https://x/default.svg" {
		t.Errorf("add: %v", got)
	}
	if got := transform(t, add, nil, strata.Doc{"avatarUrl": "mine"}); got["avatarUrl"] != "mine" {
		t.Errorf("add keeps an existing value: %v", got)
	}
	derived := migrate.AddField{TableName: "users", Field: "avatarUrl", Type: v.String(),
		Derive: func(d strata.Doc) (any, error) { return "https://x/" + d.String("userName"), nil }}
	if got := transform(t, derived, nil, strata.Doc{"userName": "ada"}); got["avatarUrl"] != "https://x/ada" {
		t.Errorf("derived: %v", got)
	}
	rm := migrate.RemoveField{TableName: "users", Field: "legacyField"}
	_, fin = expandContract(t, rm, s)
	if err := fin.ValidateDocument("users", strata.Doc{"userName": "a", "email": "e", "legacyField": "x"}); err == nil {
		t.Errorf("final schema accepts legacyField")
	}
	if p := rm.Cleanup(strata.Doc{"legacyField": "x"}); p["legacyField"] != strata.Unset {
		t.Errorf("cleanup: %v", p)
	}
}

func TestOperationChecks(t *testing.T) {
	s := seedSchema(t)
	cases := []struct {
		op   migrate.Operation
		want string
	}{
		{migrate.RenameField{TableName: "users", From: "nope", To: "x"}, `no field "nope"`},
		{migrate.RenameField{TableName: "users", From: "userName", To: "email"}, "existing field"},
		{migrate.RenameField{TableName: "ghosts", From: "a", To: "b"}, `"ghosts" is not in the deployed schema`},
		{migrate.RenameField{TableName: "users", From: "userName", To: "_x"}, "reserved"},
		{migrate.AddField{TableName: "users", Field: "email", Type: v.String(), Default: "x"}, "already has a field"},
		{migrate.AddField{TableName: "users", Field: "n", Type: v.Int64(), Default: 1.0}, "default does not match"},
		{migrate.AddField{TableName: "users", Field: "n", Type: v.Int64()}, "default value is required"},
		{migrate.RemoveField{TableName: "users", Field: "nope"}, `no field "nope"`},
		{migrate.AddIndex{TableName: "users", Name: "by_email", On: []string{"email"}}, "already has an index"},
		{migrate.AddIndex{TableName: "users", Name: "by_x", On: []string{"x"}}, `"x"`},
		{migrate.DropIndex{TableName: "users", Name: "by_nothing"}, "no index"},
		{migrate.ChangeType{TableName: "tasks", From: "priority", To: "priority", Type: v.Number(), Map: []migrate.Pair{{"low", 1.0}}}, "new name"},
		{migrate.ChangeType{TableName: "tasks", From: "priority", To: "p", Type: v.Number(), Map: []migrate.Pair{{"low", "one"}}}, "does not match the type"},
	}
	for _, c := range cases {
		err := c.op.Check(s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: got %v, want %q", c.op.Kind(), c.op, err, c.want)
		}
	}
}
