package active

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// TestApplyOwnedEqualsApply: for every operation kind and phase, applying
// an operation in place to a document the caller owns gives what Apply
// gives with no old document, and Apply leaves its input alone.
func TestApplyOwnedEqualsApply(t *testing.T) {
	vals := []any{"low", "high", "x", int64(1), int64(2), nil, true}
	fields := []string{"a", "b", "c"}
	ops := []op.Operation{
		op.AddField{TableName: "t", Field: "b", Type: v.String(), Default: "d"},
		op.RenameField{TableName: "t", From: "a", To: "b"},
		op.RemoveField{TableName: "t", Field: "a"},
		op.ChangeType{TableName: "t", From: "a", To: "b", Type: v.Int64(),
			Map: []op.Pair{{From: "low", To: int64(1)}, {From: "high", To: int64(2)}}, Default: int64(0), HasDefault: true},
		op.ChangeType{TableName: "t", From: "a", To: "b", Type: v.Int64(),
			Map:        []op.Pair{{From: "low", To: int64(1)}, {From: "high", To: int64(2)}},
			ReverseMap: []op.Pair{{From: int64(1), To: "low"}, {From: int64(2), To: "high"}}, Default: int64(0), HasDefault: true},
		op.ChangeType{TableName: "t", From: "a", To: "b", Type: v.String(), Convert: "to_string", Default: "?", HasDefault: true, ReverseConvert: "to_int64"},
		op.RequireField{TableName: "t", Field: "a", Type: v.String(), Default: "z", HasDefault: true},
		op.RequireField{TableName: "t", Field: "a", Type: v.String(), From: "c", Convert: "to_string", Default: "z", HasDefault: true},
		op.AddIndex{TableName: "t", Name: "by_a", On: []string{"a"}},
		op.DropIndex{TableName: "t", Name: "by_a"},
	}
	rapid.Check(t, func(t *rapid.T) {
		doc := op.Doc{}
		for _, f := range fields {
			if rapid.Bool().Draw(t, "has "+f) {
				doc[f] = rapid.SampledFrom(vals).Draw(t, f)
			}
		}
		o := rapid.SampledFrom(ops).Draw(t, "op")
		phase := rapid.SampledFrom([]string{Expand, Contract, Rollback}).Draw(t, "phase")
		input := value.Clone(map[string]any(doc)).(map[string]any)
		want, werr := Apply(o, phase, nil, doc)
		if !value.Equal(map[string]any(doc), input) {
			t.Fatalf("Apply changed its input: %v -> %v", input, doc)
		}
		got, gerr := ApplyOwned(o, phase, value.Clone(input).(map[string]any))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s %s on %v: errors differ: Apply %v, ApplyOwned %v", o.Kind(), phase, input, werr, gerr)
		}
		if werr == nil && !value.Equal(map[string]any(want), map[string]any(got)) {
			t.Fatalf("%s %s on %v: Apply %v, ApplyOwned %v", o.Kind(), phase, input, want, got)
		}
	})
}
