package v_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata/v"
)

func TestCheck(t *testing.T) {
	cyclic := v.Object{}
	cyclic["self"] = cyclic
	tests := []struct {
		name string
		val  v.Validator
		want []string // every error message, in order; nil means valid
	}{
		{"string", v.String(), nil},
		{"object-optional-fields", v.Object{"a": v.Optional(v.String()), "b": v.Optional(v.Object{"c": v.Optional(v.Int64())})}, nil},
		{"record-literal-keys", v.Record(v.Union(v.Literal("a"), v.ID("t")), v.Any()), nil},
		{"system-table-id", v.ID("_schemas"), nil},
		{"nil", nil, []string{"validator: invalid validator (nil)"}},
		{"zero-basic", v.Basic{}, []string{"validator: invalid validator (nil or zero Basic)"}},
		{"nil-pointer", (*v.IDType)(nil), []string{"validator: invalid validator (nil or zero *IDType)"}},
		{"optional-root", v.Optional(v.String()), []string{"validator: optional is allowed only as the type of an object field"}},
		{"optional-in-array", v.Array(v.Optional(v.String())), []string{"validator: array: optional is allowed only as the type of an object field"}},
		{"optional-in-union", v.Object{"a": v.Union(v.Optional(v.String()), v.Null())}, []string{"validator: object.a.union[0]: optional is allowed only as the type of an object field"}},
		{"optional-optional", v.Object{"a": v.Optional(v.Optional(v.String()))}, []string{"validator: object.a.optional: optional is allowed only as the type of an object field"}},
		{"optional-record-value", v.Record(v.String(), v.Optional(v.String())), []string{"validator: record[1]: optional is allowed only as the type of an object field"}},
		{"empty-union", v.Object{"s": v.Union()}, []string{"validator: object.s.union: empty union accepts nothing"}},
		{"literal-int", v.Literal(1), []string{"validator: literal: literal of unsupported type int (use string, float64, int64 or bool)"}},
		{"literal-nil", v.Literal(nil), []string{"validator: literal: literal of unsupported type nil (use string, float64, int64 or bool)"}},
		{"literal-bad-utf8", v.Literal("\xff"), []string{"validator: literal: string literal is not valid UTF-8"}},
		{"record-number-key", v.Record(v.Number(), v.Any()), []string{"validator: record[0]: record key validator number cannot validate strings (use string, an id, a string literal or a union of those)"}},
		{"record-any-key", v.Record(v.Any(), v.Any()), []string{"validator: record[0]: record key validator any cannot validate strings (use string, an id, a string literal or a union of those)"}},
		{"record-mixed-key", v.Record(v.Union(v.Literal("a"), v.Literal(int64(1))), v.Any()), []string{`validator: record[0]: record key validator "a" | int64(1) cannot validate strings (use string, an id, a string literal or a union of those)`}},
		{"id-empty", v.ID(""), []string{"validator: id: empty table name"}},
		{"id-space", v.ID("a b"), []string{`validator: id: invalid table name "a b" (use letters, digits and _, not starting with a digit)`}},
		{"id-digit", v.ID("1a"), []string{`validator: id: invalid table name "1a" (use letters, digits and _, not starting with a digit)`}},
		{"id-underscores", v.ID("__"), []string{`validator: id: invalid table name "__"`}},
		{"id-long", v.ID(strings.Repeat("a", 65)), []string{`validator: id: table name "` + strings.Repeat("a", 64) + `"... is longer than 64 bytes`}},
		{"field-names", v.Object{"": v.String(), "$x": v.String(), "\xff": v.String()}, []string{
			`validator: object[""]: empty field name`,
			`validator: object.$x: field name "$x" starts with "$" (reserved for the JSON form)`,
			`validator: object["\xff"]: field name "\xff" is not valid UTF-8`,
		}},
		{"several", v.Object{"a": v.Union(), "b": v.Array(nil)}, []string{
			"validator: object.a.union: empty union accepts nothing",
			"validator: object.b.array: invalid validator (nil)",
		}},
		{"cyclic", cyclic, []string{"validator: " + strings.Repeat("object.self.", 128)[:len(strings.Repeat("object.self.", 128))-1] + ".object.self: validator nested too deeply"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errorList(v.Check(tc.val))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Check(%v):\n got %q\nwant %q", tc.val, got, tc.want)
			}
		})
	}
}

// errorList splits a joined error into its messages.
func errorList(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, errorList(e)...)
		}
		return out
	}
	var de *v.DefinitionError
	if !errors.As(err, &de) {
		return []string{"not a *v.DefinitionError: " + err.Error()}
	}
	return []string{err.Error()}
}

func TestCheckField(t *testing.T) {
	if err := v.CheckField(v.Optional(v.String())); err != nil {
		t.Errorf("CheckField(optional) = %v", err)
	}
	if err := v.CheckField(v.Optional(v.Union())); err == nil || err.Error() != "validator: optional.union: empty union accepts nothing" {
		t.Errorf("CheckField(optional<never>) = %v", err)
	}
}

func TestWalk(t *testing.T) {
	val := v.Object{
		"b": v.Optional(v.Union(v.ID("users"), v.Null())),
		"a": v.Record(v.String(), v.Array(v.ID("posts"))),
	}
	var paths []string
	v.Walk(val, func(path string, val v.Validator) bool {
		paths = append(paths, path+"="+val.Kind().String())
		return true
	})
	want := []string{
		"=object",
		"object.a=record",
		"object.a.record[0]=string",
		"object.a.record[1]=array",
		"object.a.record[1].array=id",
		"object.b=optional",
		"object.b.optional=union",
		"object.b.optional.union[0]=id",
		"object.b.optional.union[1]=null",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("Walk paths:\n got %q\nwant %q", paths, want)
	}
	n := 0
	v.Walk(val, func(string, v.Validator) bool { n++; return false })
	if n != 1 {
		t.Errorf("Walk with fn returning false visited %d validators, want 1", n)
	}
	cyclic := v.Object{}
	cyclic["self"] = cyclic
	v.Walk(cyclic, func(string, v.Validator) bool { return true }) // terminates
}
