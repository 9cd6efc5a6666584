package v_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/strata-db/strata/v"
)

// jsonCases pairs a validator of every kind with its canonical JSON form.
var jsonCases = []struct {
	val  v.Validator
	json string
}{
	{v.String(), `"string"`},
	{v.Number(), `"number"`},
	{v.Int64(), `"int64"`},
	{v.Boolean(), `"boolean"`},
	{v.Null(), `"null"`},
	{v.Bytes(), `"bytes"`},
	{v.Any(), `"any"`},
	{v.Literal("draft"), `{"literal":"draft"}`},
	{v.Literal("<&>\u2028"), `{"literal":"\u003c\u0026\u003e\u2028"}`},
	{v.Literal(1.5), `{"literal":1.5}`},
	{v.Literal(1.0), `{"literal":1}`},
	{v.Literal(1e21), `{"literal":1e+21}`},
	{v.Literal(1e-7), `{"literal":1e-7}`},
	{v.Literal(math.Copysign(0, -1)), `{"literal":{"$float":"-0"}}`},
	{v.Literal(math.NaN()), `{"literal":{"$float":"NaN"}}`},
	{v.Literal(math.Inf(1)), `{"literal":{"$float":"Infinity"}}`},
	{v.Literal(math.Inf(-1)), `{"literal":{"$float":"-Infinity"}}`},
	{v.Literal(int64(1)), `{"literal":{"$integer":"1"}}`},
	{v.Literal(int64(math.MinInt64)), `{"literal":{"$integer":"-9223372036854775808"}}`},
	{v.Literal(true), `{"literal":true}`},
	{v.Literal(false), `{"literal":false}`},
	{v.ID("users"), `{"id":"users"}`},
	{v.ID("_scheduled_functions"), `{"id":"_scheduled_functions"}`},
	{v.Array(v.String()), `{"array":"string"}`},
	{v.Array(v.Array(v.Null())), `{"array":{"array":"null"}}`},
	{v.Object{}, `{"object":{}}`},
	{v.Object{"theme": v.String(), "notifications": v.Boolean()}, `{"object":{"notifications":"boolean","theme":"string"}}`},
	{v.Object{"b": v.Optional(v.Object{"z": v.Int64(), "a": v.Bytes()}), "a": v.Any()}, `{"object":{"a":"any","b":{"optional":{"object":{"a":"bytes","z":"int64"}}}}}`},
	{v.Record(v.String(), v.Any()), `{"record":["string","any"]}`},
	{v.Record(v.Union(v.Literal("a"), v.Literal("b")), v.Number()), `{"record":[{"union":[{"literal":"a"},{"literal":"b"}]},"number"]}`},
	{v.Record(v.ID("users"), v.Boolean()), `{"record":[{"id":"users"},"boolean"]}`},
	{v.Union(v.Number(), v.Null()), `{"union":["number","null"]}`},
	{v.Union(v.String()), `{"union":["string"]}`},
	{v.Union(v.Literal("draft"), v.Literal("published")), `{"union":[{"literal":"draft"},{"literal":"published"}]}`},
	{v.Object{"x": v.Optional(v.Union(v.Object{"k": v.Literal("a")}, v.Array(v.ID("t"))))}, `{"object":{"x":{"optional":{"union":[{"object":{"k":{"literal":"a"}}},{"array":{"id":"t"}}]}}}}`},
}

func TestJSONRoundTrip(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.json, func(t *testing.T) {
			b, err := v.MarshalJSON(tc.val)
			if err != nil {
				t.Fatalf("MarshalJSON(%s): %v", tc.val, err)
			}
			if string(b) != tc.json {
				t.Errorf("MarshalJSON(%s) = %s, want %s", tc.val, b, tc.json)
			}
			// Validators are json.Marshalers with the same output.
			b2, err := json.Marshal(tc.val)
			if err != nil || string(b2) != tc.json {
				t.Errorf("json.Marshal(%s) = %s, %v; want %s", tc.val, b2, err, tc.json)
			}
			got, err := v.ParseJSON([]byte(tc.json))
			if err != nil {
				t.Fatalf("ParseJSON(%s): %v", tc.json, err)
			}
			if !v.Equal(got, tc.val) {
				t.Errorf("ParseJSON(%s) = %s, want %s", tc.json, got, tc.val)
			}
			if got.String() != tc.val.String() {
				t.Errorf("String after round trip = %s, want %s", got, tc.val)
			}
			// Whitespace and key order do not matter.
			indented, _ := json.MarshalIndent(json.RawMessage(tc.json), "", "  ")
			if got, err := v.ParseJSON(indented); err != nil || !v.Equal(got, tc.val) {
				t.Errorf("ParseJSON(indented) = %v, %v", got, err)
			}
		})
	}
}

func TestParseFieldJSON(t *testing.T) {
	val, err := v.ParseFieldJSON([]byte(`{"optional": "string"}`))
	if err != nil || val.String() != "optional<string>" {
		t.Fatalf("ParseFieldJSON(optional) = %v, %v", val, err)
	}
	if _, err := v.ParseJSON([]byte(`{"optional": "string"}`)); err == nil {
		t.Errorf("ParseJSON accepted an optional at the root")
	}
	if _, err := v.ParseFieldJSON([]byte(`{"optional": {"optional": "string"}}`)); err == nil {
		t.Errorf("ParseFieldJSON accepted a nested optional")
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{``, "validator: invalid JSON: unexpected end of JSON input"},
		{`{"array": "string"`, "validator: invalid JSON: unexpected end of JSON input"},
		{`"string" x`, "validator: invalid JSON: invalid character 'x' after top-level value"},
		{`"strin"`, `validator: unknown type name "strin"`},
		{`{"object": {"settings": {"optional": {"object": {"theme": "strin"}}}}}`, `validator: object.settings.optional.object.theme: unknown type name "strin"`},
		{`"array"`, `validator: type "array" needs a parameter: write {"array": ...}`},
		{`42`, "validator: expected a type name or a validator object, found number"},
		{`["string"]`, "validator: expected a type name or a validator object, found array"},
		{`{}`, "validator: a validator object has exactly one key (literal, id, array, object, record, union or optional), found 0: {}"},
		{`{"array": "string", "id": "x"}`, `validator: a validator object has exactly one key (literal, id, array, object, record, union or optional), found 2: {"array", "id"}`},
		{`{"list": "string"}`, `validator: unknown validator key "list" (want literal, id, array, object, record, union or optional)`},
		{`{"id": 1}`, "validator: id: expected a table name string, found number"},
		{`{"id": ""}`, "validator: id: empty table name"},
		{`{"id": "my table"}`, `validator: id: invalid table name "my table" (use letters, digits and _, not starting with a digit)`},
		{`{"object": []}`, "validator: object: expected a JSON object of fields, found array"},
		{`{"object": {"a": "string", "a": "int64"}}`, `validator: object: duplicate key "a"`},
		{`{"object": {"$a": "string"}}`, `validator: object.$a: field name "$a" starts with "$" (reserved for the JSON form)`},
		{`{"object": {"": "string"}}`, `validator: object[""]: empty field name`},
		{`{"record": ["string"]}`, "validator: record: expected [key, value], found 1 elements"},
		{`{"record": {"k": "string"}}`, "validator: record: expected a JSON array, found object"},
		{`{"record": ["number", "any"]}`, "validator: record[0]: record key validator number cannot validate strings (use string, an id, a string literal or a union of those)"},
		{`{"union": []}`, "validator: union: empty union accepts nothing"},
		{`{"union": ["string", "nul"]}`, `validator: union[1]: unknown type name "nul"`},
		{`{"union": ["string", {"optional": "null"}]}`, "validator: union[1]: optional is allowed only as the type of an object field"},
		{`{"optional": "string"}`, "validator: optional is allowed only as the type of an object field"},
		{`{"array": {"optional": "string"}}`, "validator: array: optional is allowed only as the type of an object field"},
		{`{"literal": null}`, `validator: literal: null is not a literal: use the type "null"`},
		{`{"literal": [1]}`, `validator: literal: literal of unsupported type array (use a string, number, boolean or int64)`},
		{`{"literal": {"$bytes": "AA=="}}`, `validator: literal: literal of unsupported type bytes (use a string, number, boolean or int64)`},
		{`{"literal": {"$integer": "1.5"}}`, `validator: literal: invalid $integer "1.5"`},
		{`{"literal": {"$integer": "+1"}}`, `validator: literal: invalid $integer "+1"`},
		{`{"literal": {"$integer": 1}}`, `validator: literal: $integer takes a string`},
		{`{"literal": {"$float": "nan"}}`, `validator: literal: invalid $float "nan"`},
		{`{"literal": 1e400}`, `validator: literal: number "1e400" is out of the float64 range`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			val, err := v.ParseJSON([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseJSON(%s) = %s, want error %q", tc.in, val, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("ParseJSON(%s) error:\n got %s\nwant %s", tc.in, err, tc.want)
			}
			var de *v.DefinitionError
			if !errors.As(err, &de) {
				t.Errorf("error is %T, not *v.DefinitionError", err)
			}
		})
	}
}

func TestParseJSONDepth(t *testing.T) {
	in := strings.Repeat(`{"array":`, 200) + `"string"` + strings.Repeat(`}`, 200)
	if _, err := v.ParseJSON([]byte(in)); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("ParseJSON(deep) error = %v", err)
	}
	in = strings.Repeat(`{"array":`, 100) + `"string"` + strings.Repeat(`}`, 100)
	if _, err := v.ParseJSON([]byte(in)); err != nil {
		t.Errorf("ParseJSON(100 levels) = %v", err)
	}
}

func TestMarshalJSONInvalid(t *testing.T) {
	tests := []struct {
		val  v.Validator
		want string
	}{
		{nil, "validator: invalid validator (nil)"},
		{v.Basic{}, "validator: invalid validator (nil or zero Basic)"},
		{v.Array(nil), "validator: array: invalid validator (nil)"},
		{v.Object{"a": v.Literal(1)}, "validator: object.a.literal: literal of unsupported type int (use string, float64, int64 or bool)"},
	}
	for _, tc := range tests {
		_, err := v.MarshalJSON(tc.val)
		if err == nil || err.Error() != tc.want {
			t.Errorf("MarshalJSON(%v) error = %v, want %s", tc.val, err, tc.want)
		}
	}
	cyclic := v.Object{}
	cyclic["self"] = cyclic
	if _, err := v.MarshalJSON(cyclic); err == nil {
		t.Errorf("MarshalJSON(cyclic) succeeded")
	}
	if v.Equal(nil, nil) {
		t.Errorf("Equal(nil, nil) = true")
	}
}

// FuzzParseJSON checks that ParseJSON never panics and that whatever it
// accepts marshals to a canonical form that parses back to itself.
func FuzzParseJSON(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add([]byte(tc.json))
	}
	f.Add([]byte(`{"object": {"settings": {"optional": {"object": {"theme": "strin"}}}}}`))
	f.Add([]byte(`{"literal": {"$integer": "-12"}}`))
	f.Add([]byte(`{"union": [{"optional": "string"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) (v.Validator, error){v.ParseJSON, v.ParseFieldJSON} {
			val, err := parse(data)
			if err != nil {
				continue
			}
			_ = val.String()
			_ = val.Validate(map[string]any{"a": []any{"x", 1.5}})
			b, err := v.MarshalJSON(val)
			if err != nil {
				t.Fatalf("MarshalJSON after parse of %q: %v", data, err)
			}
			val2, err := parse(b)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", b, err)
			}
			b2, err := v.MarshalJSON(val2)
			if err != nil || string(b2) != string(b) {
				t.Fatalf("not canonical: %s then %s (%v)", b, b2, err)
			}
		}
	})
}
