package v_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

type validateCase struct {
	name    string
	val     v.Validator
	x       any
	wantErr string // "" means valid; else the exact error text
}

func runValidate(t *testing.T, tests []validateCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkValidate(t, tc.val, tc.x, tc.wantErr)
		})
	}
}

func checkValidate(tb testing.TB, val v.Validator, x any, wantErr string) {
	tb.Helper()
	err := val.Validate(x)
	switch {
	case wantErr == "" && err != nil:
		tb.Errorf("%s.Validate(%#v) = %v, want nil", val, x, err)
	case wantErr != "" && err == nil:
		tb.Errorf("%s.Validate(%#v) = nil, want %q", val, x, wantErr)
	case wantErr != "" && err.Error() != wantErr:
		tb.Errorf("%s.Validate(%#v) = %q, want %q", val, x, err, wantErr)
	}
	if err != nil {
		var ve *v.Error
		if !errors.As(err, &ve) {
			tb.Errorf("error %v is %T, not *v.Error", err, err)
		}
	}
}

func TestValidateBasic(t *testing.T) {
	runValidate(t, []validateCase{
		{"string", v.String(), "hi", ""},
		{"string/empty", v.String(), "", ""},
		{"string/id", v.String(), value.ID("abc"), ""},
		{"string/int64", v.String(), int64(1), "value: expected string, found int64"},
		{"string/nil", v.String(), nil, "value: expected string, found null"},
		{"string/undef", v.String(), value.Undef, "value: expected string, found undefined"},
		{"number", v.Number(), 1.5, ""},
		{"number/nan", v.Number(), math.NaN(), ""},
		{"number/inf", v.Number(), math.Inf(-1), ""},
		{"number/int64", v.Number(), int64(1), "value: expected number, found int64"},
		{"number/go-int", v.Number(), 1, "value: expected number, found Go type int"},
		{"int64", v.Int64(), int64(-7), ""},
		{"int64/float", v.Int64(), 1.0, `value: expected int64, found number (in Go write int64(1); in JSON 1 or {"$integer":"1"})`},
		{"int64/fraction", v.Int64(), 1.5, "value: expected int64, found number (int64 holds whole numbers only)"},
		{"int64/go-int", v.Int64(), 1, "value: expected int64, found Go type int"},
		{"boolean", v.Boolean(), true, ""},
		{"boolean/string", v.Boolean(), "true", "value: expected boolean, found string"},
		{"null", v.Null(), nil, ""},
		{"null/false", v.Null(), false, "value: expected null, found boolean"},
		{"bytes", v.Bytes(), []byte{1, 2}, ""},
		{"bytes/nil-slice", v.Bytes(), []byte(nil), ""},
		{"bytes/string", v.Bytes(), "AQI=", "value: expected bytes, found string"},
		{"any/scalar", v.Any(), int64(3), ""},
		{"any/nested", v.Any(), map[string]any{"a": []any{nil, 1.5, "x", []byte{}}, "b": value.Undef}, ""},
		{"any/undef", v.Any(), value.Undef, "value: expected any, found undefined"},
		{"any/go-int-nested", v.Any(), map[string]any{"a": []any{int64(1), 2}}, "a[1]: expected any, found Go type int"},
		{"any/undef-in-array", v.Any(), []any{value.Undef}, "[0]: expected any, found undefined"},
		{"zero-basic", v.Basic{}, "x", "value: invalid validator (zero Basic)"},
	})
}

func deep(n int) any {
	var x any = "leaf"
	for range n {
		x = []any{x}
	}
	return x
}

func TestValidateAnyDepth(t *testing.T) {
	checkValidate(t, v.Any(), deep(value.MaxDepth), "")
	if err := v.Any().Validate(deep(value.MaxDepth + 1)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("too deep value: err = %v", err)
	}
}

func TestValidateLiteral(t *testing.T) {
	runValidate(t, []validateCase{
		{"string", v.Literal("draft"), "draft", ""},
		{"string/id", v.Literal("draft"), value.ID("draft"), ""},
		{"string/other", v.Literal("draft"), "drafts", `value: expected "draft", found string "drafts"`},
		{"string/type", v.Literal("draft"), int64(1), `value: expected "draft", found int64 1`},
		{"float", v.Literal(1.0), 1.0, ""},
		{"float/int64", v.Literal(1.0), int64(1), `value: expected 1, found int64 1`},
		{"float/negzero", v.Literal(0.0), math.Copysign(0, -1), `value: expected 0, found number -0`},
		{"float/nan", v.Literal(math.NaN()), math.NaN(), ""},
		{"int64", v.Literal(int64(2)), int64(2), ""},
		{"int64/float", v.Literal(int64(2)), 2.0, `value: expected int64(2), found number 2`},
		{"bool", v.Literal(true), true, ""},
		{"bool/false", v.Literal(true), false, `value: expected true, found boolean false`},
		{"unsupported", v.Literal(1), 1, "value: expected invalid literal, found Go type int"},
		{"long", v.Literal("a"), strings.Repeat("b", 100), `value: expected "a", found string "` + strings.Repeat("b", 64) + `"...`},
	})
}

var (
	userID = value.NewID("users")
	postID = value.NewID("posts")
)

func TestValidateID(t *testing.T) {
	runValidate(t, []validateCase{
		{"id-value", v.ID("users"), userID, ""},
		{"string", v.ID("users"), string(userID), ""},
		{"other-table", v.ID("users"), postID, `value: expected id("users"), found id (invalid id "` + string(postID) + `": belongs to table "posts", not "users")`},
		{"other-table-string", v.ID("users"), string(postID), `value: expected id("users"), found string (invalid id "` + string(postID) + `": belongs to table "posts", not "users")`},
		{"malformed", v.ID("users"), "u1", `value: expected id("users"), found string (invalid id "u1": bad length 2)`},
		{"number", v.ID("users"), 1.0, `value: expected id("users"), found number`},
		{"nil", v.ID("users"), nil, `value: expected id("users"), found null`},
	})
}

func TestValidateArray(t *testing.T) {
	runValidate(t, []validateCase{
		{"empty", v.Array(v.String()), []any{}, ""},
		{"strings", v.Array(v.String()), []any{"a", "b"}, ""},
		{"bad-elem", v.Array(v.String()), []any{"a", "b", "c", nil}, "[3]: expected string, found null"},
		{"not-array", v.Array(v.String()), map[string]any{}, "value: expected array<string>, found object"},
		{"go-slice", v.Array(v.String()), []string{"a"}, "value: expected array<string>, found Go type []string"},
		{"nested", v.Array(v.Array(v.Int64())), []any{[]any{}, []any{int64(1), 2.0}}, `[1][1]: expected int64, found number (in Go write int64(2); in JSON 2 or {"$integer":"2"})`},
		{"nil-elem", &v.ArrayType{}, []any{"a"}, "[0]: invalid validator (nil)"},
		{"nil-pointer", (*v.ArrayType)(nil), []any{"a"}, "value: invalid validator (nil or zero *ArrayType)"},
	})
}

var settings = v.Object{"theme": v.String(), "notifications": v.Boolean()}

var user = v.Object{
	"name":      v.String(),
	"avatarUrl": v.Optional(v.String()),
	"settings":  v.Optional(settings),
	"tags":      v.Optional(v.Array(v.String())),
	"my key":    v.Optional(v.Int64()),
}

func TestValidateObject(t *testing.T) {
	runValidate(t, []validateCase{
		{"minimal", user, map[string]any{"name": "a"}, ""},
		{"full", user, map[string]any{"name": "a", "avatarUrl": "u", "settings": map[string]any{"theme": "dark", "notifications": true}, "tags": []any{"x"}, "my key": int64(1)}, ""},
		{"optional-undef", user, map[string]any{"name": "a", "avatarUrl": value.Undef}, ""},
		{"missing", user, map[string]any{}, "name: expected string, found undefined (required field missing)"},
		{"required-undef", user, map[string]any{"name": value.Undef}, "name: expected string, found undefined (required field missing)"},
		{"optional-wrong", user, map[string]any{"name": "a", "avatarUrl": nil}, "avatarUrl: expected string, found null"},
		{"nested", user, map[string]any{"name": "a", "settings": map[string]any{"theme": int64(1), "notifications": true}}, "settings.theme: expected string, found int64"},
		{"nested-missing", user, map[string]any{"name": "a", "settings": map[string]any{"theme": "x"}}, "settings.notifications: expected boolean, found undefined (required field missing)"},
		{"array-in-object", user, map[string]any{"name": "a", "tags": []any{"a", "b", "c", int64(4)}}, "tags[3]: expected string, found int64"},
		{"unknown", user, map[string]any{"name": "a", "legacyField": "x"}, "legacyField: unexpected field (not in the validator)"},
		{"unknown-undef", user, map[string]any{"name": "a", "legacyField": value.Undef}, ""},
		{"system-field", user, map[string]any{"name": "a", "_id": "x"}, "_id: unexpected field (not in the validator)"},
		{"quoted-key", user, map[string]any{"name": "a", "my key": 1.0}, `["my key"]: expected int64, found number (in Go write int64(1); in JSON 1 or {"$integer":"1"})`},
		{"first-in-order", user, map[string]any{"zz": 1.0, "avatarUrl": 1.0}, "avatarUrl: expected string, found number"},
		{"not-object", user, []any{}, "value: expected {avatarUrl?: string, \"my key\"?: int64, name: string, settings?: {notifications: boolean, theme: string}, tags?: array<string>}, found array"},
		{"empty-object", v.Object{}, map[string]any{}, ""},
		{"nil-map", v.Object{}, map[string]any(nil), ""},
		{"nil-field-validator", v.Object{"a": nil}, map[string]any{"a": 1.0}, "a: invalid validator (nil)"},
	})
}

func TestValidateDocument(t *testing.T) {
	doc := map[string]any{"_id": value.ID("x"), "_creationTime": 1.0, "name": "a"}
	if err := user.ValidateDocument(doc); err != nil {
		t.Errorf("ValidateDocument: %v", err)
	}
	if err := user.Validate(doc); err == nil {
		t.Errorf("Validate accepted system fields")
	}
	err := user.ValidateDocument(map[string]any{"_id": "x", "_other": 1.0, "name": "a"})
	if err == nil || err.Error() != "_other: unexpected field (not in the validator)" {
		t.Errorf("ValidateDocument(_other) = %v", err)
	}
	if err := (v.Object{}).ValidateDocument(nil); err != nil {
		t.Errorf("ValidateDocument(nil) = %v", err)
	}
}

func TestValidateRecord(t *testing.T) {
	keys := v.Union(v.Literal("a"), v.Literal("b"))
	runValidate(t, []validateCase{
		{"ok", v.Record(v.String(), v.Any()), map[string]any{"x": 1.0, "y": nil}, ""},
		{"empty", v.Record(v.String(), v.Number()), map[string]any{}, ""},
		{"bad-value", v.Record(v.String(), v.Number()), map[string]any{"x": 1.0, "y": "s"}, "y: expected number, found string"},
		{"literal-keys", v.Record(keys, v.Number()), map[string]any{"a": 1.0, "b": 2.0}, ""},
		{"bad-key", v.Record(keys, v.Number()), map[string]any{"a": 1.0, "c d": 2.0}, `["c d"]: expected "a" | "b", found string "c d" (invalid record key)`},
		{"not-object", v.Record(v.String(), v.Number()), "x", "value: expected record<string, number>, found string"},
	})
}

func TestValidateUnion(t *testing.T) {
	status := v.Union(v.Literal("draft"), v.Literal("published"))
	runValidate(t, []validateCase{
		{"first", status, "draft", ""},
		{"second", status, "published", ""},
		{"none", v.Object{"status": status}, map[string]any{"status": "archived"}, `status: expected "draft" | "published", found string "archived"`},
		{"type", status, nil, `value: expected "draft" | "published", found null`},
		{"nullable", v.Union(v.String(), v.Null()), nil, ""},
		{"nullable-bad", v.Union(v.String(), v.Null()), 1.0, "value: expected string | null, found number"},
		{"object-member", v.Union(settings, v.Null()), map[string]any{"theme": "x", "notifications": 1.0}, "notifications: expected boolean, found number"},
		{"two-objects", v.Union(v.Object{"a": v.String()}, v.Object{"b": v.String()}), map[string]any{"c": "x"}, "value: expected {a: string} | {b: string}, found object"},
		{"empty", v.Union(), "x", "value: expected never, found string"},
		{"nested-union", v.Union(v.Union(v.Int64(), v.Null()), v.String()), nil, ""},
	})
}

func TestValidateOptionalOutsideObject(t *testing.T) {
	runValidate(t, []validateCase{
		{"undef", v.Optional(v.String()), value.Undef, ""},
		{"value", v.Optional(v.String()), "x", ""},
		{"bad", v.Optional(v.String()), 1.0, "value: expected string, found number"},
	})
}

// TestValidateNoAllocs checks that validating a valid document allocates
// nothing: validation runs on every write.
func TestValidateNoAllocs(t *testing.T) {
	post := v.Object{
		"title":       v.String(),
		"status":      v.Union(v.Literal("draft"), v.Literal("published"), v.Literal("archived")),
		"publishedAt": v.Optional(v.Number()),
		"tags":        v.Array(v.String()),
		"meta":        v.Record(v.String(), v.Any()),
		"settings":    v.Optional(settings),
		"n":           v.Union(v.Int64(), v.Null()),
	}
	doc := map[string]any{
		"_id": postID, "_creationTime": 1.0,
		"title": "t", "status": "archived", "n": nil,
		"tags": []any{"a", "b"}, "meta": map[string]any{"k": []any{int64(1)}},
		"settings": map[string]any{"theme": "dark", "notifications": false},
	}
	if err := post.ValidateDocument(doc); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = post.ValidateDocument(doc) }); n != 0 {
		t.Errorf("ValidateDocument allocates %v times per run, want 0", n)
	}
	// An id costs what value.ParseIDFor costs (at most one allocation).
	post["authorId"] = v.ID("users")
	doc["authorId"] = userID
	if n := testing.AllocsPerRun(100, func() { _ = post.ValidateDocument(doc) }); n > 1 {
		t.Errorf("ValidateDocument with an id allocates %v times per run, want <= 1", n)
	}
}

func BenchmarkValidateDocument(b *testing.B) {
	doc := map[string]any{"name": "a", "avatarUrl": "u", "settings": map[string]any{"theme": "dark", "notifications": true}, "tags": []any{"x", "y"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := user.ValidateDocument(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestErrorFields(t *testing.T) {
	err := user.Validate(map[string]any{"name": "a", "settings": map[string]any{"theme": int64(1), "notifications": true}})
	var ve *v.Error
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	want := v.Error{Path: "settings.theme", Expected: "string", Found: "int64"}
	if *ve != want {
		t.Errorf("error = %+v, want %+v", *ve, want)
	}
}
