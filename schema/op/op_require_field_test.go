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

func profileSchema(t testing.TB) *schema.Schema {
	t.Helper()
	s, err := strata.NewSchema(strata.Table("users", v.Object{
		"name":     v.String(),
		"age":      v.Optional(v.Int64()),
		"ageText":  v.Optional(v.String()),
		"nickname": v.Optional(v.String()),
		"verified": v.Boolean(),
		"email":    v.Optional(v.String()),
	}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRequireField: a missing field gets the default, or the value
// converted from another field (the default where that fails); a present
// one is kept; the final schema has the field required; rollback keeps
// the filled values.
func TestRequireField(t *testing.T) {
	t.Parallel()
	s := profileSchema(t)
	f, err := op.ParseFile([]byte(`{"name": "req", "operations": [
		// age from its old text form, 0 where that is missing or not a number
		{"require_field": {"table": "users", "field": "age", "type": "int64", "from": "ageText", "convert": "to_int64", "default": 0}},
		{"require_field": {"table": "users", "field": "nickname", "type": "string", "from": "name"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	age, nick := f.Operations[0], f.Operations[1]
	if d := age.(op.RequireField).Default; d != int64(0) {
		t.Fatalf("default read as %T %v, want int64 0", d, d)
	}
	exp, fin := expandContract(t, age, s)
	if _, ok := exp.Tables["users"].Fields["age"].(*v.OptionalType); !ok {
		t.Errorf("expanded: age is %v, want optional", exp.Tables["users"].Fields["age"])
	}
	if got := fin.Tables["users"].Fields["age"]; !v.Equal(got, v.Int64()) {
		t.Errorf("final: age is %v, want int64", got)
	}
	cases := []struct {
		name string
		o    op.Operation
		doc  op.Doc
		want any
	}{
		{"converted", age, op.Doc{"name": "a", "ageText": "42"}, int64(42)},
		{"not a number", age, op.Doc{"name": "a", "ageText": "old"}, int64(0)},
		{"no source", age, op.Doc{"name": "a"}, int64(0)},
		{"kept", age, op.Doc{"name": "a", "age": int64(7), "ageText": "42"}, int64(7)},
		{"copied", nick, op.Doc{"name": "ada"}, "ada"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := transform(t, c.o, nil, c.doc)
			field := c.o.(op.RequireField).Field
			if !value.Equal(got[field], c.want) {
				t.Errorf("%s = %v, want %v", field, got[field], c.want)
			}
			if again := transform(t, c.o, nil, got); !value.Equal(again[field], got[field]) {
				t.Errorf("not idempotent: %v then %v", got[field], again[field])
			}
			if p := c.o.Revert(got); p != nil {
				t.Errorf("revert = %v, want nil (filled values are kept)", p)
			}
		})
	}
	if _, err := nick.Transform(nil, op.Doc{"verified": true}); err == nil || !strings.Contains(err.Error(), "no default") {
		t.Errorf("no source and no default: %v", err)
	}
}

func TestRequireFieldErrors(t *testing.T) {
	t.Parallel()
	s := profileSchema(t)
	cases := []struct{ name, in, want string }{
		{"no default", `{"table": "users", "field": "age", "type": "int64"}`, "give a default"},
		{"already required", `{"table": "users", "field": "name", "type": "string", "default": ""}`, "already required"},
		{"other type", `{"table": "users", "field": "age", "type": "string", "default": ""}`, "is not the field's type"},
		{"optional type", `{"table": "users", "field": "age", "type": {"optional": "int64"}, "default": 0}`, "optional"},
		{"bad default", `{"table": "users", "field": "age", "type": "int64", "default": "x"}`, "default does not match"},
		{"fraction", `{"table": "users", "field": "age", "type": "int64", "default": 1.5}`, "whole numbers"},
		{"unknown field", `{"table": "users", "field": "agee", "type": "int64", "default": 0}`, `no field "agee"`},
		{"optional source", `{"table": "users", "field": "nickname", "type": "string", "from": "ageText"}`, "give a default"},
		{"partial conversion", `{"table": "users", "field": "age", "type": "int64", "from": "name", "convert": "to_int64"}`, "not total"},
		{"convert without from", `{"table": "users", "field": "age", "type": "int64", "convert": "to_int64", "default": 0}`, "convert needs from"},
		{"unknown conversion", `{"table": "users", "field": "age", "type": "int64", "from": "name", "convert": "to_age", "default": 0}`, "unknown conversion"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := op.ParseFile([]byte(`{"name": "x", "operations": [{"require_field": ` + c.in + `}]}`))
			if err == nil {
				err = f.Operations[0].Check(s)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestRequireFieldMarshal: a file with require_field written by
// MarshalFile parses back to the same operation.
func TestRequireFieldMarshal(t *testing.T) {
	t.Parallel()
	in := &op.File{Name: "m", Operations: []op.Operation{
		op.RequireField{TableName: "users", Field: "age", Type: v.Int64(), Default: int64(3), HasDefault: true, From: "ageText", Convert: "to_int64"},
	}}
	text, err := op.MarshalFile(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := op.ParseFile(text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	got := out.Operations[0].(op.RequireField)
	want := in.Operations[0].(op.RequireField)
	if got.TableName != want.TableName || got.Field != want.Field || !v.Equal(got.Type, want.Type) || got.Default != want.Default ||
		!got.HasDefault || got.From != want.From || got.Convert != want.Convert {
		t.Errorf("round trip: %+v, want %+v", got, want)
	}
}
