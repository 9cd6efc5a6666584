package value_test

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/strata-db/strata/value"
)

type (
	status   string
	level    uint8
	flag     bool
	ratio    float32
	blob     []byte
	namedMap map[string]any
	keyName  string
)

func TestConvert(t *testing.T) {
	n := 7
	var nilPtr *int
	id := value.NewID("users")
	cases := []struct {
		name string
		in   any
		want any
	}{
		{"int", 42, int64(42)},
		{"int8", int8(-8), int64(-8)},
		{"int16", int16(-16), int64(-16)},
		{"int32", int32(-32), int64(-32)},
		{"uint", uint(1), int64(1)},
		{"uint8", uint8(8), int64(8)},
		{"uint16", uint16(16), int64(16)},
		{"uint32", uint32(32), int64(32)},
		{"uint64 max int64", uint64(math.MaxInt64), int64(math.MaxInt64)},
		{"uintptr", uintptr(9), int64(9)},
		{"float32", float32(0.5), 0.5},
		{"named string", status("active"), "active"},
		{"named uint8", level(3), int64(3)},
		{"named bool", flag(true), true},
		{"named float32", ratio(0.25), 0.25},
		{"named bytes", blob("ab"), []byte("ab")},
		{"ID", id, id},
		{"[]string", []string{"a", "b"}, []any{"a", "b"}},
		{"nil []string", []string(nil), []any{}},
		{"[]int", []int{1, 2}, []any{int64(1), int64(2)}},
		{"array", [2]int{1, 2}, []any{int64(1), int64(2)}},
		{"byte array", [2]byte{1, 2}, []any{int64(1), int64(2)}},
		{"map[string]string", map[string]string{"a": "b"}, map[string]any{"a": "b"}},
		{"map[keyName]int", map[keyName]int{"a": 1}, map[string]any{"a": int64(1)}},
		{"named map", namedMap{"a": 1}, map[string]any{"a": int64(1)}},
		{"nested named map", map[string]any{"d": namedMap{"x": int16(2)}}, map[string]any{"d": map[string]any{"x": int64(2)}}},
		{"pointer", &n, int64(7)},
		{"nil pointer", nilPtr, nil},
		{"[]any of Go kinds", []any{1, float32(2), []string{"x"}}, []any{int64(1), 2.0, []any{"x"}}},
		{"[][]int", [][]int{{1}, {}}, []any{[]any{int64(1)}, []any{}}},
		{"undefined", value.Undef, value.Undef},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := value.Convert(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Convert(%#v) = %#v, want %#v", c.in, got, c.want)
			}
			if err := value.Check(got); err != nil && c.name != "undefined" {
				t.Fatalf("result fails Check: %v", err)
			}
		})
	}
}

// TestConvertRefuses: every refused kind fails with an *Error whose path
// and message name where and what.
func TestConvertRefuses(t *testing.T) {
	deep := any(int64(1))
	for range value.MaxDepth + 1 {
		deep = []any{deep}
	}
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	type P *P
	var p P
	p = &p
	cases := []struct {
		name string
		in   any
		path string
		want string
	}{
		{"chan", map[string]any{"c": make(chan int)}, "c", "unsupported Go type chan int"},
		{"func", []any{1, func() {}}, "[1]", "unsupported Go type func()"},
		{"complex64", map[string]any{"z": complex64(1)}, "z", "unsupported Go type complex64"},
		{"complex128", complex(1, 2), "", "unsupported Go type complex128"},
		{"unsafe pointer", map[string]any{"u": unsafe.Pointer(nil)}, "u", "unsafe.Pointer"},
		{"time.Time", map[string]any{"at": time.Now()}, "at", "time.Time"},
		{"time.Time pointer", map[string]any{"at": new(time.Time)}, "at", "time.Time"},
		{"uint64 overflow", map[string]any{"n": []uint64{1, math.MaxUint64}}, "n[1]", "overflows int64"},
		{"uint overflow", uint(math.MaxInt64) + 1, "", "overflows int64"},
		{"int map key", map[string]any{"m": map[int]string{1: "a"}}, "m", "map keys must be strings"},
		{"chan in map[string]chan", map[string]chan int{"k": nil}, "k", "chan int"},
		{"too deep", deep, "", "nesting deeper"},
		{"cyclic", cyclic, "self.self", "nesting deeper"},
		{"pointer cycle", p, "", "nesting deeper"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := value.Convert(c.in)
			var ve *value.Error
			if !asValueError(err, &ve) {
				t.Fatalf("Convert = %v, %v; want a *value.Error", got, err)
			}
			if ve.Op != "convert" || !strings.HasPrefix(ve.Path, c.path) || !strings.Contains(ve.Msg, c.want) {
				t.Fatalf("error %q (path %q): want op convert, path %q, message containing %q", err, ve.Path, c.path, c.want)
			}
		})
	}
}

func asValueError(err error, target **value.Error) bool {
	e, ok := err.(*value.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestConvertKeepsCanonical: a value already in the data model comes back
// as the same map and slices, without allocating.
func TestConvertKeepsCanonical(t *testing.T) {
	doc := map[string]any{"name": "Ada", "age": int64(36), "tags": []any{"a", "b"}, "settings": map[string]any{"theme": "dark"}, "blob": []byte{1}}
	got, err := value.Convert(doc)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(doc).UnsafePointer() {
		t.Fatal("a canonical document was copied")
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = value.Convert(doc) }); n != 0 {
		t.Fatalf("Convert of a canonical document allocates %v times", n)
	}
	// A change deep inside copies the path to it and leaves the input alone.
	in := map[string]any{"a": map[string]any{"b": []any{1}}, "c": "x"}
	out, err := value.Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	if in["a"].(map[string]any)["b"].([]any)[0] != 1 {
		t.Fatal("Convert modified its input")
	}
	if out.(map[string]any)["a"].(map[string]any)["b"].([]any)[0] != int64(1) {
		t.Fatalf("got %#v", out)
	}
}
