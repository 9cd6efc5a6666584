package op_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// TestReverseMapKeys: a reverse_map whose keys the new type refuses is
// refused when the file is parsed (a JSON object's keys are strings, so
// for a number type its entries would never match and new-shape writers
// would leave the old field unset); pairs of the new type are accepted.
func TestReverseMapKeys(t *testing.T) {
	for _, tc := range []struct {
		reverse, want string
	}{
		{`{"3":"low"}`, `reverse_map key 3 does not match the type`},
		{`[["3","low"]]`, `reverse_map key 3 does not match the type`},
		{`[[3,"low"]]`, ``},
	} {
		text := `{"name":"c","operations":[{"change_type":{"table":"items","from":"prio","to":"n","type":"number","map":{"low":3},"reverse_map":` + tc.reverse + `,"default":0}}]}`
		_, err := op.ParseFile([]byte(text))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("reverse_map %s: %v", tc.reverse, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("reverse_map %s: error %v, want one containing %q", tc.reverse, err, tc.want)
		}
	}
}

// TestLossyReverseMapKeepsOldValue: with a reverse map that is not
// one-to-one (low and medium both map to 3; 3 maps back to low), a write
// that sets the new field to what the old value already maps to keeps the
// old value — as the rewriting path's backfill patch does — instead of
// overwriting medium with low.
func TestLossyReverseMapKeepsOldValue(t *testing.T) {
	o := op.ChangeType{TableName: "items", From: "prio", To: "n", Type: v.Int64(),
		Map:        []op.Pair{{From: "low", To: int64(3)}, {From: "medium", To: int64(3)}},
		ReverseMap: []op.Pair{{From: int64(3), To: "low"}}, Default: int64(0), HasDefault: true}
	old := op.Doc{"prio": "medium"}
	got, err := o.Transform(old, op.Doc{"prio": "medium", "n": int64(3)})
	if err != nil || got["prio"] != "medium" {
		t.Fatalf("backfill patch: %v %v", got, err)
	}
	// A new writer that sets the new field to a value the old one does not
	// map to still has the old field filled in.
	old = op.Doc{"prio": "medium", "n": int64(3)}
	got, err = o.Transform(old, op.Doc{"prio": "medium", "n": int64(0)})
	if err != nil || got["prio"] != "medium" {
		// 0 has no reverse entry: the old field stays.
		t.Fatalf("new writer, unmapped: %v %v", got, err)
	}
	o.ReverseMap = append(o.ReverseMap, op.Pair{From: int64(7), To: "high"})
	got, err = o.Transform(old, op.Doc{"prio": "medium", "n": int64(7)})
	if err != nil || got["prio"] != "high" {
		t.Fatalf("new writer: %v %v", got, err)
	}
}
