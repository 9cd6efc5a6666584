package v_test

import (
	"math"
	"testing"

	"github.com/strata-db/strata/v"
)

func TestString(t *testing.T) {
	tests := []struct {
		val  v.Validator
		want string
	}{
		{v.String(), "string"},
		{v.Number(), "number"},
		{v.Int64(), "int64"},
		{v.Boolean(), "boolean"},
		{v.Null(), "null"},
		{v.Bytes(), "bytes"},
		{v.Any(), "any"},
		{v.Basic{}, "invalid"},
		{v.Literal("draft"), `"draft"`},
		{v.Literal(1.5), "1.5"},
		{v.Literal(math.Inf(-1)), "-Infinity"},
		{v.Literal(int64(3)), "int64(3)"},
		{v.Literal(false), "false"},
		{v.Literal(1), "invalid literal"},
		{v.ID("users"), `id("users")`},
		{v.Array(v.String()), "array<string>"},
		{v.Array(v.Union(v.String(), v.Null())), "array<string | null>"},
		{v.Object{}, "{}"},
		{v.Object{"theme": v.String(), "notifications": v.Boolean()}, "{notifications: boolean, theme: string}"},
		{v.Object{"avatarUrl": v.Optional(v.String()), "a-b": v.Int64()}, `{"a-b": int64, avatarUrl?: string}`},
		{v.Record(v.String(), v.Any()), "record<string, any>"},
		{v.Union(v.String(), v.Null()), "string | null"},
		{v.Union(), "never"},
		{v.Optional(v.String()), "optional<string>"},
		{v.Array(nil), "array<invalid>"},
		{(*v.UnionType)(nil), "invalid"},
	}
	for _, tc := range tests {
		if got := tc.val.String(); got != tc.want {
			t.Errorf("String() = %s, want %s", got, tc.want)
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		val  v.Validator
		want v.Kind
	}{
		{v.String(), v.KindString},
		{v.Any(), v.KindAny},
		{v.Basic{}, v.KindInvalid},
		{v.Literal("x"), v.KindLiteral},
		{v.ID("t"), v.KindID},
		{v.Array(v.Null()), v.KindArray},
		{v.Object{}, v.KindObject},
		{v.Record(v.String(), v.Null()), v.KindRecord},
		{v.Union(), v.KindUnion},
		{v.Optional(v.Null()), v.KindOptional},
		{(*v.OptionalType)(nil), v.KindInvalid},
	}
	for _, tc := range tests {
		if got := tc.val.Kind(); got != tc.want {
			t.Errorf("%s.Kind() = %v, want %v", tc.val, got, tc.want)
		}
	}
	if s := v.KindRecord.String(); s != "record" {
		t.Errorf("KindRecord.String() = %q", s)
	}
	if s := v.Kind(200).String(); s != "Kind(200)" {
		t.Errorf("Kind(200).String() = %q", s)
	}
}
