package active_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/schema/op"
)

const file = `{"name":"003_rename","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`

func TestRoundTrip(t *testing.T) {
	for _, phase := range []string{active.Expand, active.Contract, active.Rollback} {
		s, err := active.Encode(phase, []byte(file))
		if err != nil {
			t.Fatal(err)
		}
		got, f, err := active.Decode(s)
		if err != nil {
			t.Fatalf("%s: %v", phase, err)
		}
		if got != phase || f.Name != "003_rename" || len(f.Operations) != 1 {
			t.Fatalf("%s: decoded %q %+v", phase, got, f)
		}
	}
}

func TestBadEntries(t *testing.T) {
	if _, err := active.Encode("later", []byte(file)); err == nil {
		t.Fatal("Encode accepted an unknown phase")
	}
	for _, tc := range []struct{ in, want string }{
		{`{"phase":"later","file":` + file + `}`, `unknown phase "later"`},
		{`{"phase":"expand","file":` + file + `,"x":1}`, "unknown field"},
		{`{"phase":"expand","file":` + file + `} {}`, "trailing data"},
		{`{"phase":"expand","file":{"name":"x"}}`, "operation"},
		{`[`, "invalid JSON"},
	} {
		_, _, err := active.Decode(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// TestApplyPhases: each phase runs its own step of the operation.
func TestApplyPhases(t *testing.T) {
	o := op.RenameField{TableName: "users", From: "userName", To: "displayName"}
	in := op.Doc{"userName": "ada"}
	for _, tc := range []struct {
		phase      string
		has, lacks string
	}{
		{active.Expand, "displayName", ""},
		{active.Contract, "displayName", "userName"},
		{active.Rollback, "userName", ""},
	} {
		out, err := active.Apply(o, tc.phase, nil, in)
		if err != nil {
			t.Fatalf("%s: %v", tc.phase, err)
		}
		if out[tc.has] != "ada" {
			t.Errorf("%s: %v lacks %s", tc.phase, out, tc.has)
		}
		if _, ok := out[tc.lacks]; tc.lacks != "" && ok {
			t.Errorf("%s: %v still has %s", tc.phase, out, tc.lacks)
		}
	}
	if _, ok := in["displayName"]; ok {
		t.Fatal("Apply modified its input")
	}
}

func FuzzDecode(f *testing.F) {
	s, _ := active.Encode(active.Expand, []byte(file))
	f.Add(s)
	f.Add(`{"phase":"contract","file":{}}`)
	f.Fuzz(func(t *testing.T, s string) {
		phase, file, err := active.Decode(s)
		if err != nil {
			return
		}
		if file == nil || (phase != active.Expand && phase != active.Contract && phase != active.Rollback) {
			t.Fatalf("Decode(%q) = %q, %v without an error", s, phase, file)
		}
	})
}
