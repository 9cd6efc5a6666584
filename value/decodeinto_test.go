package value_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/strata-db/strata/value"
	"pgregory.net/rapid"
)

// mapPath decodes b into a new value of typ the map way: DecodeDoc, then
// Assign.
func mapPath(b []byte, typ reflect.Type) (reflect.Value, error) {
	out := reflect.New(typ)
	m, err := value.DecodeDoc(b)
	if err != nil {
		return out, err
	}
	return out, value.Assign(m, out.Interface())
}

// fataler is what checkDirect needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkDirect fails t unless DecodeDocInto handles b into a typ exactly
// when the map path succeeds, with an identical result.
func checkDirect(t fataler, b []byte, typ reflect.Type) {
	t.Helper()
	want, err := mapPath(b, typ)
	got := reflect.New(typ)
	ok := value.DecodeDocInto(b, got.Interface())
	if ok != (err == nil) {
		t.Fatalf("DecodeDocInto(%x) into %s handled=%v, map path error: %v", b, typ, ok, err)
	}
	if ok && !same(want, got) {
		t.Fatalf("DecodeDocInto(%x) into %s\n got: %#v\nwant: %#v", b, typ, got.Elem().Interface(), want.Elem().Interface())
	}
}

// same reports whether a and b hold identical Go values: nil and empty
// slices and maps differ, floats compare by their bits, interfaces by
// their dynamic types too.
func same(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
	}
	switch a.Kind() {
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !same(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			if !same(it.Value(), b.MapIndex(it.Key())) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		return same(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !same(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}

// genLoose draws a value of any kind strata stores, nested up to depth:
// what a document of another shape holds where a struct expects a field.
func genLoose(t *rapid.T, depth int) any {
	kinds := []string{"null", "bool", "int", "float", "string", "id", "bytes"}
	if depth > 0 {
		kinds = append(kinds, "array", "object")
	}
	switch rapid.SampledFrom(kinds).Draw(t, "loose") {
	case "bool":
		return rapid.Bool().Draw(t, "bool")
	case "int":
		return rapid.OneOf(rapid.Int64(), rapid.SampledFrom([]int64{0, -1, 1, 127, 128, 255, 256, 65535, 65536, math.MaxInt32 + 1, math.MinInt64, math.MaxInt64})).Draw(t, "int")
	case "float":
		return rapid.OneOf(rapid.Float64(), rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 1, 1.5, math.MaxFloat32 * 2, math.Inf(-1), math.NaN()})).Draw(t, "float")
	case "string":
		return rapid.String().Draw(t, "string")
	case "id":
		return value.ID(rapid.StringMatching(`[a-z0-9]{0,8}`).Draw(t, "id"))
	case "bytes":
		return rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "bytes")
	case "array":
		a := make([]any, rapid.IntRange(0, 3).Draw(t, "n"))
		for i := range a {
			a[i] = genLoose(t, depth-1)
		}
		return a
	case "object":
		m := map[string]any{}
		for range rapid.IntRange(0, 3).Draw(t, "n") {
			m[genFieldName(t)] = genLoose(t, depth-1)
		}
		return m
	}
	return nil
}

// genFieldName draws an object key, often one that genStructType's fields
// use.
func genFieldName(t *rapid.T) string {
	return rapid.OneOf(rapid.SampledFrom([]string{"F0", "F1", "F2", "f0", "f1", "j0", "j1", "_id", "zz"}), rapid.StringMatching(`[a-zA-Z][a-z0-9]{0,3}`)).Draw(t, "key")
}

// mutate replaces, adds or deletes random fields of the object x, at any
// depth, with values of random kinds.
func mutate(t *rapid.T, x any, depth int) any {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0:
				v[k] = genLoose(t, 2)
			case 1:
				delete(v, k)
			case 2:
				if depth < 4 {
					v[k] = mutate(t, e, depth+1)
				}
			}
		}
		if rapid.Bool().Draw(t, "add") {
			v[genFieldName(t)] = genLoose(t, 2)
		}
	case []any:
		for i, e := range v {
			if rapid.IntRange(0, 3).Draw(t, "op") == 0 {
				v[i] = genLoose(t, 1)
			} else if depth < 4 {
				v[i] = mutate(t, e, depth+1)
			}
		}
	}
	return x
}

// TestDecodeDocIntoMatchesMapPath: for random struct types and random
// documents (of the type, of another random type, and of the type with
// fields replaced, added or removed at any depth: missing and extra
// fields, wrong kinds, int64 where a float is wanted and the reverse,
// nulls, ids, bytes, nested objects and arrays), DecodeDocInto handles a
// record exactly when DecodeDoc then Assign succeeds, and stores the same
// value.
func TestDecodeDocIntoMatchesMapPath(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		typ := genStructType(t, 3)
		var doc map[string]any
		switch rapid.IntRange(0, 3).Draw(t, "doc") {
		case 0: // a value of the type
			doc = fillDoc(t, typ)
		case 1: // a value of another type
			doc = fillDoc(t, genStructType(t, 3))
		case 2: // a value of the type, mutated
			doc = mutate(t, fillDoc(t, typ), 0).(map[string]any)
		case 3: // anything
			doc, _ = mutate(t, map[string]any{}, 0).(map[string]any)
		}
		b, err := value.EncodeDoc(doc)
		if err != nil {
			t.Fatalf("EncodeDoc(%#v): %v", doc, err)
		}
		checkDirect(t, b, typ)
		checkDirect(t, b, reflect.PointerTo(typ))
	})
}

func fillDoc(t *rapid.T, typ reflect.Type) map[string]any {
	in := reflect.New(typ).Elem()
	genFill(t, in, 0)
	doc, err := value.Convert(in.Interface())
	if err != nil {
		t.Fatalf("Convert(%#v): %v", in.Interface(), err)
	}
	return doc.(map[string]any)
}

// Types the hand-written cases and the fuzzer decode into.
type (
	directInner struct {
		Theme string   `strata:"theme"`
		Flags []bool   `strata:"flags"`
		Next  *float32 `strata:"next"`
	}
	DirectEmbedded struct {
		Kind value.ID `strata:"kind"`
	}
	directAll struct {
		ID       value.ID                `strata:"_id"`
		Created  float64                 `strata:"_creationTime"`
		Name     string                  `strata:"name"`
		Age      int8                    `strata:"age"`
		Count    uint16                  `strata:"count"`
		Big      uint64                  `strata:"big"`
		Score    float32                 `strata:"score"`
		Active   bool                    `strata:"active"`
		Data     []byte                  `strata:"data"`
		Tags     []string                `strata:"tags"`
		Pair     [2]int64                `strata:"pair"`
		Inner    directInner             `strata:"inner"`
		Inners   []directInner           `strata:"inners"`
		Ptr      *directInner            `strata:"ptr"`
		Any      any                     `strata:"any"`
		Labels   map[string]string       `strata:"labels"`
		Weights  map[string]float64      `strata:"weights"`
		Counts   map[string]int64        `strata:"counts"`
		ByName   map[status]*directInner `strata:"byName"`
		Named    status                  `strata:"named"`
		Nums     []float64               `strata:"nums"`
		IDs      []value.ID              `strata:"ids"`
		PtrPtr   **int                   `strata:"pp"`
		Stringer fmt.Stringer            `strata:"stringer"`
		*DirectEmbedded
	}
	directTagError struct {
		A string `strata:"$a"`
	}
	directNested struct {
		OK  int            `strata:"ok"`
		Bad directTagError `strata:"bad"`
	}
	directList struct {
		Next *directList `strata:"next"`
		V    int         `strata:"v"`
	}
)

var directTypes = []reflect.Type{
	reflect.TypeFor[directAll](), reflect.TypeFor[directInner](), reflect.TypeFor[directNested](),
	reflect.TypeFor[directList](), reflect.TypeFor[map[string]any](), reflect.TypeFor[any](),
	reflect.TypeFor[*directAll](),
}

// directDocs are documents for the types above: fitting, not fitting, and
// at the edges of the conversions.
func directDocs() []map[string]any {
	deep := map[string]any{"v": int64(1)}
	for range value.MaxDepth - 2 {
		deep = map[string]any{"next": deep}
	}
	return []map[string]any{
		{},
		{"_id": value.ID("abc"), "_creationTime": 1.5, "name": "Ada", "age": int64(-128), "count": int64(65535), "score": 1.5,
			"active": true, "data": []byte{}, "tags": []any{"a", value.ID("b")}, "pair": []any{int64(1), int64(2)},
			"inner":  map[string]any{"theme": "dark", "flags": []any{true}, "next": 2.5, "extra": []any{map[string]any{"x": nil}}},
			"inners": []any{map[string]any{}, map[string]any{"next": nil}}, "ptr": map[string]any{"theme": "x"},
			"any": []any{int64(1), "x", nil}, "labels": map[string]any{"a": "b"}, "named": "s", "nums": []any{},
			"ids": []any{value.ID("x")}, "pp": int64(3), "kind": value.ID("k"), "zzz": map[string]any{"q": []byte{1}}},
		{"age": int64(128)},
		{"age": 1.0},
		{"count": int64(-1)},
		{"count": int64(65536)},
		{"big": int64(-1)},
		{"big": int64(math.MaxInt64)},
		{"score": math.MaxFloat64},
		{"score": math.Inf(1)},
		{"score": math.NaN()},
		{"score": int64(1)},
		{"_creationTime": int64(1)},
		{"name": nil},
		{"name": value.ID("id")},
		{"data": nil},
		{"data": "bytes?"},
		{"data": []any{int64(1)}},
		{"tags": nil},
		{"tags": []any{"a", int64(1)}},
		{"pair": []any{int64(1)}},
		{"pair": nil},
		{"inner": nil},
		{"inner": "x"},
		{"inners": []any{nil}},
		{"ptr": nil},
		{"any": nil},
		{"labels": map[string]any{"a": int64(1)}},
		{"labels": nil},
		{"weights": map[string]any{"a": 1.5, "b": math.Inf(-1)}, "counts": map[string]any{"x": int64(-3)}, "byName": map[string]any{"q": nil, "r": map[string]any{"theme": "t"}}},
		{"weights": map[string]any{"a": int64(1)}},
		{"counts": map[string]any{"a": 1.0}},
		{"byName": map[string]any{"q": "x"}},
		{"weights": map[string]any{}, "counts": nil, "byName": map[string]any{}},
		{"pp": nil},
		{"stringer": nil},
		{"stringer": "x"},
		{"kind": "k"},
		{"kind": int64(1)},
		{"ok": int64(1)},
		{"ok": int64(1), "bad": map[string]any{}},
		{"v": int64(1), "next": map[string]any{"v": int64(2), "next": nil}},
		deep,
		{"next": deep},
	}
}

// TestDecodeDocIntoCases: DecodeDocInto agrees with the map path on
// documents at the edges of every conversion, for every type above.
func TestDecodeDocIntoCases(t *testing.T) {
	for i, doc := range directDocs() {
		b, err := value.EncodeDoc(doc)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		for _, typ := range directTypes {
			t.Run(fmt.Sprintf("%d/%s", i, typ), func(t *testing.T) { checkDirect(t, b, typ) })
		}
	}
}

// TestDecodeDocIntoCorrupt: every truncation and every single-byte change
// of the encoded documents above, and keys out of order, duplicated or not
// UTF-8, are handled exactly when the map path accepts them.
func TestDecodeDocIntoCorrupt(t *testing.T) {
	var inputs [][]byte
	for _, doc := range directDocs()[:3] {
		b, err := value.EncodeDoc(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b {
			inputs = append(inputs, b[:i])
			for _, c := range []byte{0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0A, 0x7F, 0xFF, b[i] + 1, b[i] - 1} {
				bad := append([]byte(nil), b...)
				bad[i] = c
				inputs = append(inputs, bad)
			}
		}
	}
	ab, err := value.EncodeDoc(map[string]any{"name": "x", "theme": "y", "inner": map[string]any{"a": true, "b": false}})
	if err != nil {
		t.Fatal(err)
	}
	edit := func(from, to string) []byte {
		s := strings.Replace(string(ab), from, to, 1)
		if s == string(ab) {
			t.Fatalf("%q not found", from)
		}
		return []byte(s)
	}
	inputs = append(inputs,
		edit("\x01a\x03\x01b", "\x01b\x03\x01a"), // out of order
		edit("\x01a\x03\x01b", "\x01a\x03\x01a"), // duplicated
		edit("\x05inner", "\x05tname"),           // top-level keys out of order
		edit("\x04name", "\x04n\xffme"),          // key not UTF-8
		edit("\x01x", "\x01\xff"),                // value not UTF-8
		edit("\x01y", "\x01\xff"),                // skipped value not UTF-8
		edit("\x01a", "\x01$"),                   // reserved key
	)
	for _, b := range inputs {
		for _, typ := range directTypes {
			checkDirect(t, b, typ)
		}
	}
}

// TestDecodeDocIntoRefuses: a destination that is not a non-nil pointer,
// and input that is not a document, are not handled.
func TestDecodeDocIntoRefuses(t *testing.T) {
	b, err := value.EncodeDoc(map[string]any{"name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	var s directAll
	for _, dst := range []any{nil, s, (*directAll)(nil), 3} {
		if value.DecodeDocInto(b, dst) {
			t.Errorf("DecodeDocInto into %T handled", dst)
		}
	}
	for _, in := range [][]byte{nil, {}, {value.CodecVersion}, {value.CodecVersion, 0x01}, {2, 0x0A, 0}, append(b, 0)} {
		if value.DecodeDocInto(in, &s) {
			t.Errorf("DecodeDocInto(%x) handled", in)
		}
	}
}

// FuzzDecodeDocInto: on arbitrary bytes DecodeDocInto never panics, and
// for every type above it handles the input exactly when the map path
// succeeds, with the same result.
func FuzzDecodeDocInto(f *testing.F) {
	for _, doc := range directDocs() {
		b, err := value.EncodeDoc(doc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, typ := range directTypes {
			checkDirect(t, b, typ)
		}
	})
}
