package value

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := genValue(4).Draw(t, "x")
		enc, err := Encode(x)
		if err != nil {
			t.Fatal(err)
		}
		if enc[0] != CodecVersion {
			t.Fatalf("version byte %d", enc[0])
		}
		got, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(%x): %v", enc, err)
		}
		if !identical(got, x) {
			t.Fatalf("round trip: got %#v, want %#v", got, x)
		}
		enc2, _ := Encode(got)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func TestCodecDocRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := rapid.MapOfN(genKey(), genValue(3), 0, 10).Draw(t, "doc")
		enc, err := EncodeDoc(doc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeDoc(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !identical(got, doc) {
			t.Fatalf("round trip: got %#v, want %#v", got, doc)
		}
		prefix := []byte("xyz")
		app, err := AppendDoc(prefix, doc)
		if err != nil || !bytes.Equal(app[:3], prefix) || !bytes.Equal(app[3:], enc) {
			t.Fatalf("AppendDoc: %v", err)
		}
	})
}

func TestCodecExactBits(t *testing.T) {
	for _, f := range specialFloats {
		enc, err := Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(got.(float64)) != math.Float64bits(f) {
			t.Errorf("float %x decoded as %x", math.Float64bits(f), math.Float64bits(got.(float64)))
		}
	}
	doc := benchDoc()
	enc, _ := EncodeDoc(doc)
	got, _ := DecodeDoc(enc)
	if _, ok := got["_id"].(ID); !ok {
		t.Errorf("_id decoded as %T, want ID", got["_id"])
	}
	if _, ok := got["age"].(int64); !ok {
		t.Errorf("age decoded as %T, want int64", got["age"])
	}
}

func TestCodecDeterministic(t *testing.T) {
	doc := benchDoc()
	first, _ := EncodeDoc(doc)
	for range 20 {
		enc, _ := EncodeDoc(Clone(doc).(map[string]any))
		if !bytes.Equal(enc, first) {
			t.Fatal("encoding not deterministic")
		}
	}
}

func TestCodecDecodeDoesNotAliasInput(t *testing.T) {
	enc, _ := EncodeDoc(map[string]any{"s": "hello", "b": []byte("world")})
	got, err := DecodeDoc(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		enc[i] = 0
	}
	if got["s"] != "hello" || string(got["b"].([]byte)) != "world" {
		t.Fatalf("decoded values changed with the input: %#v", got)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		x    any
		want string
	}{
		{Undef, "value: encode: undefined cannot be encoded"},
		{1, "value: encode: unsupported Go type int"},
		{map[string]any{"settings": map[string]any{"tags": []any{"a", "b", "c", 3}}}, "value: encode: settings.tags[3]: unsupported Go type int"},
		{map[string]any{"a": Undef}, "value: encode: a: undefined as a field value (omit the field instead)"},
		{[]any{nil, Undef}, "value: encode: [1]: undefined inside an array"},
		{map[string]any{"$x": nil}, `value: encode: object key "$x" starts with "$" (reserved for the JSON form)`},
		{map[string]any{"a": "\xc3"}, "value: encode: a: string is not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := Encode(tt.x)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Encode(%#v) error = %v, want %q", tt.x, err, tt.want)
		}
	}
	dst := []byte("keep")
	out, err := AppendDoc(dst, map[string]any{"a": 1})
	if err == nil || string(out) != "keep" {
		t.Errorf("AppendDoc on error = %q, %v", out, err)
	}
}

func enc(t testing.TB, x any) []byte {
	t.Helper()
	b, err := Encode(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string // substring of the error
	}{
		{"empty", nil, "value: decode: empty input"},
		{"version 0", []byte{0, tagNull}, "unknown codec version 0"},
		{"version 2", []byte{2, tagNull}, "unknown codec version 2"},
		{"no value", []byte{1}, "offset 1: truncated input"},
		{"trailing", []byte{1, tagNull, tagNull}, "1 trailing bytes at offset 2"},
		{"unknown tag", []byte{1, 0x7F}, "offset 1: unknown tag 0x7f"},
		{"zero tag", []byte{1, 0}, "unknown tag 0x0"},
		{"truncated float", []byte{1, tagFloat, 1, 2, 3}, "truncated float64"},
		{"bad varint", []byte{1, tagInt64, 0x80}, "bad int64"},
		{"varint overflow", append([]byte{1, tagInt64}, bytes.Repeat([]byte{0xFF}, 10)...), "bad int64"},
		{"string too long", []byte{1, tagString, 5, 'a'}, "string length 5 exceeds the remaining input"},
		{"huge string", append([]byte{1, tagString}, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F), "exceeds the remaining input"},
		{"huge array", []byte{1, tagArray, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, "array length 4294967295 exceeds"},
		{"huge object", []byte{1, tagObject, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, "object size 4294967295 exceeds"},
		{"invalid utf8", []byte{1, tagString, 1, 0xFF}, "offset 3: string is not valid UTF-8"},
		{"invalid utf8 id", []byte{1, tagID, 2, 0xC3, 0x28}, "string is not valid UTF-8"},
		{"array elem", []byte{1, tagArray, 2, tagNull, 0x33}, "value: decode: [1]: offset 4: unknown tag 0x33"},
		{"dup key", []byte{1, tagObject, 2, 1, 'a', tagNull, 1, 'a', tagNull}, `offset 7: duplicate object key "a"`},
		{"key order", []byte{1, tagObject, 2, 1, 'b', tagNull, 1, 'a', tagNull}, `object key "a" out of order`},
		{"empty key", []byte{1, tagObject, 1, 0, tagNull, 0}, "empty object key"},
		{"dollar key", []byte{1, tagObject, 1, 2, '$', 'a', tagNull}, `object key "$a" starts with "$"`},
		{"bad key utf8", []byte{1, tagObject, 1, 1, 0xFF, tagNull}, "is not valid UTF-8"},
		{"nested path", []byte{1, tagObject, 1, 1, 'a', tagArray, 1, tagString, 1, 0xFF}, "value: decode: a[0]: offset 9: string is not valid UTF-8"},
		{"too deep", append(append([]byte{1}, bytes.Repeat([]byte{tagArray, 1}, MaxDepth+1)...), tagNull), "nesting deeper than 64"},
	}
	for _, tt := range tests {
		_, err := Decode(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Decode(%x) error = %v, want %q", tt.name, tt.in, err, tt.want)
		}
	}
	// The deepest allowed nesting decodes.
	ok := append(append([]byte{1}, bytes.Repeat([]byte{tagArray, 1}, MaxDepth)...), tagNull)
	if _, err := Decode(ok); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	if _, err := DecodeDoc(enc(t, []any{})); err == nil || !strings.Contains(err.Error(), "not a document") {
		t.Errorf("DecodeDoc(array) error = %v", err)
	}
}

func TestDecodeTruncated(t *testing.T) {
	// Every proper prefix of an encoding is an error, and so is every
	// encoding with a byte appended.
	full, _ := EncodeDoc(benchDoc())
	for i := range full {
		if _, err := DecodeDoc(full[:i]); err == nil {
			t.Errorf("prefix of length %d decoded", i)
		}
	}
	if _, err := DecodeDoc(append(full, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
}

func TestDecodeCorruptNeverPanics(t *testing.T) {
	full, _ := EncodeDoc(benchDoc())
	buf := make([]byte, len(full))
	for i := range full {
		for _, v := range []byte{0, 1, 0x7F, 0x80, 0xFF, full[i] ^ 1} {
			copy(buf, full)
			buf[i] = v
			if x, err := DecodeDoc(buf); err == nil {
				checkReencodes(t, buf, x)
			}
		}
	}
}

func checkReencodes(t testing.TB, in []byte, x any) {
	t.Helper()
	if err := Check(x); err != nil {
		t.Fatalf("Decode(%x) returned an invalid value: %v", in, err)
	}
	re, err := Encode(x)
	if err != nil {
		t.Fatalf("Decode(%x) = %#v does not re-encode: %v", in, x, err)
	}
	y, err := Decode(re)
	if err != nil {
		t.Fatalf("re-encoding %x of %x does not decode: %v", re, in, err)
	}
	if !identical(x, y) {
		t.Fatalf("re-decoded %#v, want %#v", y, x)
	}
}

func FuzzDecode(f *testing.F) {
	full, _ := EncodeDoc(benchDoc())
	f.Add(full)
	f.Add([]byte{1, tagNull})
	f.Add(enc(f, []any{int64(-5), 1.5, "x", ID("y"), []byte{0}, map[string]any{"k": true}}))
	f.Add(enc(f, math.NaN()))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Decode(b)
		if err != nil {
			return
		}
		checkReencodes(t, b, x)
		if _, ok := x.(map[string]any); ok {
			if _, err := DecodeDoc(b); err != nil {
				t.Fatalf("Decode accepts an object DecodeDoc rejects: %v", err)
			}
		}
	})
}

func TestDecodedArraysDoNotShareCapacity(t *testing.T) {
	doc, err := DecodeDoc(enc(t, map[string]any{"a": []any{int64(1), int64(2)}, "b": []any{int64(3)}, "c": []any{}}))
	if err != nil {
		t.Fatal(err)
	}
	a := doc["a"].([]any)
	_ = append(a, "x")
	c := doc["c"].([]any)
	_ = append(c, "y", "z")
	if !identical(doc["b"], []any{int64(3)}) || !identical(doc["a"], []any{int64(1), int64(2)}) {
		t.Fatalf("append to one decoded array changed another: %#v", doc)
	}
	// Decoded values behave as ordinary Go values.
	x, _ := Decode(enc(t, []any{1.5, "s", ID("i"), int64(1000), int64(-3)}))
	arr := x.([]any)
	if arr[0] != 1.5 || arr[1] != "s" || arr[2] != ID("i") || arr[3] != int64(1000) || arr[4] != int64(-3) {
		t.Fatalf("decoded %#v", arr)
	}
	if _, ok := arr[2].(string); ok {
		t.Fatal("ID decoded as string")
	}
}
