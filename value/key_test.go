package value

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func key(t fataler, x any) []byte {
	t.Helper()
	b, err := AppendKey(nil, x)
	if err != nil {
		t.Fatalf("AppendKey(%#v): %v", x, err)
	}
	return b
}

func TestKeyFixedOrder(t *testing.T) {
	for i := 1; i < len(ascending); i++ {
		a, b := key(t, ascending[i-1]), key(t, ascending[i])
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("key(%#v)=%x >= key(%#v)=%x", ascending[i-1], a, ascending[i], b)
		}
	}
}

func TestKeyLayout(t *testing.T) {
	tests := []struct {
		x    any
		want []byte
	}{
		{Undef, []byte{0x10}},
		{nil, []byte{0x20}},
		{int64(0), []byte{0x30, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{int64(-1), []byte{0x30, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{0.0, []byte{0x40, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{negZero, []byte{0x40, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{math.Float64frombits(0xFFF0000000000001), []byte{0x40, 0x00, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE}},
		{math.Float64frombits(LegacyNaNKey), []byte{0x40, 0xFF, 0xF8, 0, 0, 0, 0, 0, 0}},
		{math.NaN(), []byte{0x40, 0xFF, 0xF8, 0, 0, 0, 0, 0, 1}},
		{false, []byte{0x50}},
		{true, []byte{0x51}},
		{"a\x00b", []byte{0x60, 'a', 0, 0xFF, 'b', 0, 1}},
		{ID("id"), []byte{0x60, 'i', 'd', 0, 1}},
		{[]byte{0, 0xFF}, []byte{0x70, 0, 0xFF, 0xFF, 0, 1}},
		{[]any{nil, true}, []byte{0x80, 0x20, 0x51, 0}},
		{map[string]any{"b": nil, "a": false}, []byte{0x90, 1, 'a', 0, 1, 0x50, 1, 'b', 0, 1, 0x20, 0}},
	}
	for _, tt := range tests {
		if got := key(t, tt.x); !bytes.Equal(got, tt.want) {
			t.Errorf("AppendKey(%#v) = %x, want %x", tt.x, got, tt.want)
		}
	}
}

func TestKeyOrderMatchesCompare(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genAny().Draw(t, "a")
		b := genAny().Draw(t, "b")
		ka, kb := key(t, a), key(t, b)
		if got, want := bytes.Compare(ka, kb), Compare(a, b); got != want {
			t.Fatalf("bytes.Compare(%x, %x) = %d, Compare = %d", ka, kb, got, want)
		}
		if len(ka) < len(kb) && bytes.HasPrefix(kb, ka) || len(kb) < len(ka) && bytes.HasPrefix(ka, kb) {
			t.Fatalf("one key is a proper prefix of the other: %x %x", ka, kb)
		}
	})
}

func TestKeyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := genAny().Draw(t, "x")
		suffix := rapid.SliceOfN(rapid.Byte(), 0, 3).Draw(t, "suffix")
		k := key(t, x)
		got, rest, err := DecodeKey(append(k, suffix...))
		if err != nil {
			t.Fatalf("DecodeKey(%x): %v", k, err)
		}
		if !Equal(got, x) {
			t.Fatalf("DecodeKey = %#v, want %#v", got, x)
		}
		if !bytes.Equal(rest, suffix) {
			t.Fatalf("rest = %x, want %x", rest, suffix)
		}
		if _, isID := got.(ID); isID {
			t.Fatal("DecodeKey returned an ID")
		}
		if !bytes.Equal(key(t, got), k) {
			t.Fatal("re-encoding differs")
		}
	})
}

func TestKeyTuples(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a1, a2 := genAny().Draw(t, "a1"), genAny().Draw(t, "a2")
		b1, b2 := genAny().Draw(t, "b1"), genAny().Draw(t, "b2")
		if rapid.Bool().Draw(t, "sameFirst") {
			b1 = a1
		}
		ka := append(key(t, a1), key(t, a2)...)
		kb := append(key(t, b1), key(t, b2)...)
		want := Compare(a1, b1)
		if want == 0 {
			want = Compare(a2, b2)
		}
		if got := bytes.Compare(ka, kb); got != want {
			t.Fatalf("tuple keys compare %d, tuples %d", got, want)
		}
		// Decoding a tuple gives back its elements.
		x1, rest, err := DecodeKey(ka)
		if err != nil {
			t.Fatal(err)
		}
		x2, rest, err := DecodeKey(rest)
		if err != nil || len(rest) != 0 || !Equal(x1, a1) || !Equal(x2, a2) {
			t.Fatalf("tuple decode: %v %#v %#v %x", err, x1, x2, rest)
		}
	})
}

func TestAppendKeyErrors(t *testing.T) {
	tests := []struct {
		x    any
		want string
	}{
		{int(1), "value: key: unsupported Go type int"},
		{[]any{Undef}, "value: key: [0]: undefined inside an array"},
		{map[string]any{"a": []any{"\xff"}}, "value: key: a[0]: string is not valid UTF-8"},
		{map[string]any{"$a": nil}, `value: key: object key "$a" starts with "$"`},
	}
	for _, tt := range tests {
		out, err := AppendKey([]byte("p"), tt.x)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("AppendKey(%#v) error = %v, want %q", tt.x, err, tt.want)
		}
		if string(out) != "p" {
			t.Errorf("AppendKey(%#v) on error returned %q", tt.x, out)
		}
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "value: key: offset 0: truncated key"},
		{"unknown tag", []byte{0x11}, "unknown tag 0x11"},
		{"terminator", []byte{0x00}, "unknown tag 0x0"},
		{"short int", []byte{0x30, 1, 2}, "truncated number"},
		{"short float", []byte{0x40, 0xFF, 0xF8, 0, 0, 0, 0, 0}, "truncated number"},
		{"unterminated", []byte{0x60, 'a'}, "unterminated string"},
		{"half terminator", []byte{0x60, 'a', 0}, "unterminated string"},
		{"bad escape", []byte{0x60, 'a', 0, 2}, "bad escape in string"},
		{"invalid utf8", []byte{0x60, 0xFF, 0, 1}, "string is not valid UTF-8"},
		{"unterminated array", []byte{0x80, 0x20}, "truncated key"},
		{"undefined in array", []byte{0x80, 0x10, 0}, "[0]: offset 2: undefined inside an array"},
		{"bad field marker", []byte{0x90, 0x02}, "bad object field marker"},
		{"key order", []byte{0x90, 1, 'b', 0, 1, 0x20, 1, 'a', 0, 1, 0x20, 0}, `object key "a" out of order or duplicated`},
		{"dup key", []byte{0x90, 1, 'a', 0, 1, 0x20, 1, 'a', 0, 1, 0x20, 0}, `out of order or duplicated`},
		{"empty key", []byte{0x90, 1, 0, 1, 0x20, 0}, "empty object key"},
		{"undefined field", []byte{0x90, 1, 'a', 0, 1, 0x10, 0}, "undefined as a field value"},
		{"nested", []byte{0x90, 1, 'a', 0, 1, 0x80, 0x33}, "value: key: a[0]: offset 6: unknown tag 0x33"},
		{"too deep", bytes.Repeat([]byte{0x80}, MaxDepth+1), "nesting deeper than 64"},
	}
	for _, tt := range tests {
		_, rest, err := DecodeKey(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: DecodeKey(%x) error = %v, want %q", tt.name, tt.in, err, tt.want)
		}
		if !bytes.Equal(rest, tt.in) {
			t.Errorf("%s: rest on error = %x", tt.name, rest)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want []byte }{
		{nil, nil},
		{[]byte{}, nil},
		{[]byte{0xFF}, nil},
		{[]byte{0xFF, 0xFF}, nil},
		{[]byte{0}, []byte{1}},
		{[]byte{1, 2, 3}, []byte{1, 2, 4}},
		{[]byte{1, 0xFF}, []byte{2}},
		{[]byte{1, 0xFE, 0xFF, 0xFF}, []byte{1, 0xFF}},
	}
	for _, tt := range tests {
		in := bytes.Clone(tt.in)
		got := PrefixEnd(in)
		if !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", tt.in, got, tt.want)
		}
		if !bytes.Equal(in, tt.in) {
			t.Errorf("PrefixEnd modified its input")
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 0xFE, 0xFF}), 0, 4).Draw(t, "p")
		s := rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 0xFE, 0xFF}), 0, 6).Draw(t, "s")
		end := PrefixEnd(p)
		hasPrefix := bytes.HasPrefix(s, p)
		if end == nil {
			return
		}
		if hasPrefix && bytes.Compare(s, end) >= 0 {
			t.Fatalf("%x has prefix %x but is not below the end %x", s, p, end)
		}
		if !hasPrefix && bytes.Compare(s, p) > 0 && bytes.Compare(s, end) < 0 {
			t.Fatalf("%x without prefix %x lies in [p, end=%x)", s, p, end)
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	for _, x := range ascending {
		f.Add(key(f, x))
	}
	f.Add(append(key(f, "a"), key(f, int64(3))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, rest, err := DecodeKey(b)
		if err != nil {
			if !bytes.Equal(rest, b) {
				t.Fatal("rest on error is not the input")
			}
			return
		}
		if _, isUndef := x.(UndefinedValue); !isUndef {
			if err := Check(x); err != nil {
				t.Fatalf("DecodeKey(%x) returned an invalid value: %v", b, err)
			}
		}
		k, err := AppendKey(nil, x)
		if err != nil {
			t.Fatalf("DecodeKey(%x) = %#v does not re-encode: %v", b, x, err)
		}
		if !bytes.Equal(k, b[:len(b)-len(rest)]) {
			t.Fatalf("DecodeKey(%x) = %#v re-encodes to %x", b, x, k)
		}
	})
}

func BenchmarkAppendKey(b *testing.B) {
	vals := []any{"user@example.com", 1718000000123.5, ID("01hq3k9c4b7x2m8w5r6t0yza9c1n3s5v7users0aq")}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, v := range vals {
			buf, _ = AppendKey(buf, v)
		}
	}
}

func TestKeyHasNaN(t *testing.T) {
	legacy := []byte{0x40, 0xFF, 0xF8, 0, 0, 0, 0, 0, 0} // every NaN in index key format 1
	tests := []struct {
		key  []byte
		want bool
	}{
		{nil, false},
		{key(t, 1.5), false},
		{key(t, math.Inf(1)), false},
		{legacy, true},
		{key(t, math.NaN()), true},
		{key(t, math.Float64frombits(0xFFF8000000000123)), true},
		{append(key(t, "a"), legacy...), true},
		{key(t, []any{int64(1), []any{math.NaN()}}), true},
		{key(t, map[string]any{"x": map[string]any{"y": math.NaN()}}), true},
		{key(t, map[string]any{"x": "NaN"}), false},
		{append(append(key(t, 1.0), key(t, 2.0)...), key(t, "id")...), false},
	}
	for _, tt := range tests {
		if got, err := KeyHasNaN(tt.key); err != nil || got != tt.want {
			t.Errorf("KeyHasNaN(%x) = %v, %v, want %v", tt.key, got, err, tt.want)
		}
	}
	if _, err := KeyHasNaN([]byte{0x40, 1}); err == nil {
		t.Error("KeyHasNaN of a truncated key: no error")
	}
	// A format-1 key decodes (as the positive quiet NaN) and re-encodes
	// to itself.
	x, rest, err := DecodeKey(legacy)
	if err != nil || len(rest) != 0 || math.Float64bits(x.(float64)) != LegacyNaNKey {
		t.Fatalf("DecodeKey(legacy NaN) = %v, %x, %v", x, rest, err)
	}
}
