package value

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// ascending lists values in strictly increasing order.
var ascending = []any{
	Undef,
	nil,
	int64(math.MinInt64), int64(-1), int64(0), int64(1), int64(math.MaxInt64),
	math.Float64frombits(0xFFFFFFFFFFFFFFFF), // negative quiet NaN, largest payload
	math.Float64frombits(0xFFF8000000000001), math.Float64frombits(0xFFF8000000000000),
	math.Float64frombits(0xFFF0000000000001), // negative signalling NaN
	math.Inf(-1), -math.MaxFloat64, -1.0, -math.SmallestNonzeroFloat64, negZero, 0.0,
	math.SmallestNonzeroFloat64, 0.5, 1.0, math.MaxFloat64, math.Inf(1),
	math.Float64frombits(0x7FF0000000000001), // signalling NaN
	math.Float64frombits(0x7FF8000000000000), // quiet NaN (JavaScript's, LegacyNaNKey)
	math.NaN(),                               // 0x7FF8000000000001
	math.Float64frombits(0x7FFFFFFFFFFFFFFF),
	false, true,
	"", "\x00", "\x00\x00", "\x01", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "é", "\uffff", "\U0010ffff",
	[]byte{}, []byte{0}, []byte{0, 0}, []byte{0, 0xFF}, []byte{1}, []byte{0xFF}, []byte{0xFF, 0},
	[]any{}, []any{nil}, []any{nil, nil}, []any{int64(1)}, []any{int64(1), int64(2)}, []any{1.0},
	[]any{[]any{}}, []any{map[string]any{}},
	map[string]any{}, map[string]any{"a": nil}, map[string]any{"a": int64(1)},
	map[string]any{"a": int64(1), "b": int64(0)}, map[string]any{"a": int64(2)},
	map[string]any{"a\x00": int64(0)}, map[string]any{"b": nil},
	map[string]any{"b": nil, "c": nil},
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

func TestCompareOrder(t *testing.T) {
	for i, a := range ascending {
		for j, b := range ascending {
			want := sign(i - j)
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%#v, %#v) = %d, want %d", a, b, got, want)
			}
			if got := Equal(a, b); got != (want == 0) {
				t.Errorf("Equal(%#v, %#v) = %v", a, b, got)
			}
		}
	}
}

func TestCompareSpecialCases(t *testing.T) {
	nanA, nanB := math.NaN(), math.Float64frombits(0xFFF8000000000001)
	tests := []struct {
		a, b any
		want int
	}{
		{nanA, nanB, 1}, // IEEE totalOrder: negative NaNs first
		{nanA, math.Inf(1), 1},
		{nanB, math.Inf(-1), -1},
		{nanA, math.Float64frombits(LegacyNaNKey), 1}, // distinct payloads
		{nanA, -nanA, 1},
		{[]any{nanA}, []any{math.Float64frombits(LegacyNaNKey)}, 1},
		{negZero, 0.0, -1},
		{int64(1), 1.0, -1}, // kind first
		{int64(math.MaxInt64), -1e300, -1},
		{1.0, false, -1},
		{ID("abc"), "abc", 0},
		{ID("abd"), "abc", 1},
		{"zzz", []byte{}, -1},
		{[]byte("a"), []any{}, -1},
		{[]any{int64(5)}, map[string]any{}, -1},
		{[]any(nil), []any{}, 0},
		{map[string]any(nil), map[string]any{}, 0},
		{[]byte(nil), []byte{}, 0},
		{map[string]any{"b": int64(1)}, map[string]any{"a": int64(9), "c": nil}, 1}, // key "a" < "b"
		{map[string]any{"a": int64(1)}, map[string]any{"a": 1.0}, -1},
		{map[string]any{"a": negZero}, map[string]any{"a": 0.0}, -1},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%#v, %#v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Compare(tt.b, tt.a); got != -tt.want {
			t.Errorf("Compare(%#v, %#v) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
		if got := Equal(tt.a, tt.b); got != (tt.want == 0) {
			t.Errorf("Equal(%#v, %#v) = %v", tt.a, tt.b, got)
		}
	}
}

func TestCompareUnsupportedTypes(t *testing.T) {
	// Never panics; unsupported values sort after objects; Equal is false.
	bad := []any{1, float32(1), struct{}{}, []string{"a"}, map[string]int{}}
	for _, x := range bad {
		if c := Compare(x, map[string]any{"z": nil}); c != 1 {
			t.Errorf("Compare(%#v, object) = %d, want 1", x, c)
		}
		if Equal(x, x) {
			t.Errorf("Equal(%#v, itself) = true, want false", x)
		}
		if c := Compare([]any{x}, []any{int64(1)}); c != 1 {
			t.Errorf("Compare([%#v], [1]) = %d", x, c)
		}
	}
}

func TestCompareTotalOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genAny().Draw(t, "a")
		b := genAny().Draw(t, "b")
		c := genAny().Draw(t, "c")
		if Compare(a, a) != 0 || !Equal(a, a) {
			t.Fatalf("not reflexive: %#v", a)
		}
		ab, ba := Compare(a, b), Compare(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: Compare(a,b)=%d Compare(b,a)=%d", ab, ba)
		}
		if Equal(a, b) != (ab == 0) {
			t.Fatalf("Equal(a,b)=%v but Compare=%d", Equal(a, b), ab)
		}
		bc, ac := Compare(b, c), Compare(a, c)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("not transitive: a<=b, b<=c, a>c")
		}
		if ab >= 0 && bc >= 0 && ac < 0 {
			t.Fatalf("not transitive: a>=b, b>=c, a<c")
		}
		if ab == 0 && sign(ac) != sign(bc) {
			t.Fatalf("equal values compare differently with c")
		}
	})
}

func TestCheck(t *testing.T) {
	deep := any(int64(1))
	for range MaxDepth {
		deep = []any{deep}
	}
	tooDeep := any([]any{deep})
	deepObj := any(nil)
	for range MaxDepth + 1 {
		deepObj = map[string]any{"k": deepObj}
	}
	tests := []struct {
		x    any
		want string // "" for valid
	}{
		{nil, ""},
		{Undef, ""},
		{ID("x"), ""},
		{deep, ""},
		{map[string]any{"a": []any{int64(1), "x", []byte{0xFF}, map[string]any{"_id": ID("k")}}}, ""},
		{1, "value: unsupported Go type int"},
		{float32(1), "value: unsupported Go type float32"},
		{map[string]any{"settings": map[string]any{"tags": []any{"a", "b", "c", 3}}}, "value: settings.tags[3]: unsupported Go type int"},
		{[]any{Undef}, "value: [0]: undefined inside an array"},
		{map[string]any{"a": Undef}, "value: a: undefined as a field value (omit the field instead)"},
		{map[string]any{"": nil}, "value: empty object key"},
		{map[string]any{"x": map[string]any{"$integer": "1"}}, `value: x: object key "$integer" starts with "$" (reserved for the JSON form)`},
		{"\xff", "value: string is not valid UTF-8"},
		{[]any{ID("\xff")}, "value: [0]: string is not valid UTF-8"},
		{map[string]any{"a\xff": nil}, `value: object key "a\xff" is not valid UTF-8`},
		{map[string]any{"a.b": []any{struct{}{}}}, `value: ["a.b"][0]: unsupported Go type struct {}`},
		{tooDeep, "value: " + strings.Repeat("[0]", MaxDepth) + ": nesting deeper than 64"},
		{deepObj, "value: " + strings.TrimPrefix(strings.Repeat(".k", MaxDepth), ".") + ": nesting deeper than 64"},
	}
	for _, tt := range tests {
		err := Check(tt.x)
		got := ""
		if err != nil {
			got = err.Error()
			if _, ok := err.(*Error); !ok {
				t.Errorf("Check(%#v): error type %T, want *Error", tt.x, err)
			}
		}
		if got != tt.want {
			t.Errorf("Check(%.60#v) = %q, want %q", tt.x, got, tt.want)
		}
	}
}

func TestCheckGenerated(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if err := Check(genAny().Draw(t, "x")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestClone(t *testing.T) {
	orig := map[string]any{"a": []any{[]byte{1, 2}, map[string]any{"b": "c"}}, "n": nil}
	c := Clone(orig).(map[string]any)
	if !identical(orig, c) {
		t.Fatalf("clone differs: %#v", c)
	}
	c["a"].([]any)[0].([]byte)[0] = 9
	c["a"].([]any)[1].(map[string]any)["b"] = "changed"
	c["new"] = true
	if !identical(orig, map[string]any{"a": []any{[]byte{1, 2}, map[string]any{"b": "c"}}, "n": nil}) {
		t.Fatalf("mutating the clone changed the original: %#v", orig)
	}
	if Clone([]any(nil)).([]any) != nil || Clone([]byte(nil)).([]byte) != nil || Clone(map[string]any(nil)).(map[string]any) != nil {
		t.Error("nil containers not preserved")
	}
	if Clone(Undef) != Undef {
		t.Error("Clone(Undef)")
	}
	rapid.Check(t, func(t *rapid.T) {
		x := genAny().Draw(t, "x")
		if !identical(Clone(x), x) {
			t.Fatalf("Clone(%#v) not identical", x)
		}
	})
}

func BenchmarkCompare(b *testing.B) {
	x, y := benchDoc(), benchDoc()
	y["tags"] = []any{"math", "poetry", "enginez"}
	b.ReportAllocs()
	for b.Loop() {
		if Compare(x, y) >= 0 {
			b.Fatal("bad order")
		}
	}
}

func BenchmarkCompareScalars(b *testing.B) {
	vals := []any{int64(5), 2.5, "hello", "help", ID("hello"), true, nil}
	b.ReportAllocs()
	for b.Loop() {
		for i := range vals {
			Compare(vals[i], vals[(i+1)%len(vals)])
		}
	}
}

// TestFloatTotalOrder checks Compare on floats against IEEE 754
// totalOrder written from its definition (Rust's f64::total_cmp), and
// the key encoding against Compare, over arbitrary bit patterns.
func TestFloatTotalOrder(t *testing.T) {
	totalCmp := func(a, b float64) int {
		x, y := int64(math.Float64bits(a)), int64(math.Float64bits(b))
		x ^= int64(uint64(x>>63) >> 1)
		y ^= int64(uint64(y>>63) >> 1)
		return cmpInt(x, y)
	}
	bits := rapid.OneOf(rapid.Uint64(), rapid.Map(genNaN(), math.Float64bits), rapid.Map(rapid.SampledFrom(specialFloats), math.Float64bits))
	rapid.Check(t, func(t *rapid.T) {
		a := math.Float64frombits(bits.Draw(t, "a"))
		b := math.Float64frombits(bits.Draw(t, "b"))
		if got, want := Compare(a, b), totalCmp(a, b); got != want {
			t.Fatalf("Compare(%x, %x) = %d, totalOrder = %d", math.Float64bits(a), math.Float64bits(b), got, want)
		}
		if got, want := Equal(a, b), math.Float64bits(a) == math.Float64bits(b); got != want {
			t.Fatalf("Equal(%x, %x) = %v", math.Float64bits(a), math.Float64bits(b), got)
		}
		if !math.IsNaN(a) && !math.IsNaN(b) && (a < b) != (Compare(a, b) < 0) && !(a == 0 && b == 0) {
			t.Fatalf("Compare(%v, %v) disagrees with <", a, b)
		}
	})
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
