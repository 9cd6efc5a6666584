package value_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
	"pgregory.net/rapid"
)

// scalarTypes are the field types the random struct shapes draw from,
// besides nested structs, slices, maps, arrays and pointers of them.
var scalarTypes = []reflect.Type{
	reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[int32](), reflect.TypeFor[int64](),
	reflect.TypeFor[uint8](), reflect.TypeFor[uint16](), reflect.TypeFor[uint32](),
	reflect.TypeFor[float32](), reflect.TypeFor[float64](), reflect.TypeFor[bool](),
	reflect.TypeFor[string](), reflect.TypeFor[status](), reflect.TypeFor[value.ID](), reflect.TypeFor[[]byte](),
}

// genType draws a Go type: a scalar, or (while depth lasts) a struct of
// random fields and tags, a slice, array, string-keyed map or pointer.
func genType(t *rapid.T, depth int) reflect.Type {
	kind := "scalar"
	if depth > 0 {
		kind = rapid.SampledFrom([]string{"scalar", "scalar", "struct", "slice", "array", "map", "pointer"}).Draw(t, "kind")
	}
	switch kind {
	case "struct":
		return genStructType(t, depth-1)
	case "slice":
		return reflect.SliceOf(genType(t, depth-1))
	case "array":
		return reflect.ArrayOf(rapid.IntRange(0, 3).Draw(t, "len"), genType(t, depth-1))
	case "map":
		return reflect.MapOf(reflect.TypeFor[string](), genType(t, depth-1))
	case "pointer":
		// A pointer to a pointer is not drawn: a non-nil pointer to a nil
		// one is stored as null like a nil one, and reads back nil.
		elem := genType(t, depth-1)
		if elem.Kind() == reflect.Pointer {
			return elem
		}
		return reflect.PointerTo(elem)
	}
	return rapid.SampledFrom(scalarTypes).Draw(t, "scalar")
}

func genStructType(t *rapid.T, depth int) reflect.Type {
	n := rapid.IntRange(0, 5).Draw(t, "fields")
	fields := make([]reflect.StructField, n)
	for i := range fields {
		name := fmt.Sprintf("F%d", i)
		var tag string
		switch rapid.IntRange(0, 4).Draw(t, "tag") {
		case 1:
			tag = fmt.Sprintf(`strata:"f%d"`, i)
		case 2:
			tag = fmt.Sprintf(`strata:"f%d,omitempty"`, i)
		case 3:
			tag = fmt.Sprintf(`json:"j%d,omitempty"`, i)
		case 4:
			tag = `strata:",omitempty"`
		}
		fields[i] = reflect.StructField{Name: name, Type: genType(t, depth), Tag: reflect.StructTag(tag)}
	}
	return reflect.StructOf(fields)
}

// genFill sets rv to random contents of its type.
func genFill(t *rapid.T, rv reflect.Value, depth int) {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := rv.Type().Bits()
		rv.SetInt(rapid.Int64Range(-(1<<(bits-1)), 1<<(bits-1)-1).Draw(t, "int"))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		rv.SetUint(rapid.Uint64Range(0, 1<<rv.Type().Bits()-1).Draw(t, "uint"))
	case reflect.Float32:
		rv.SetFloat(float64(rapid.Float32().Filter(func(f float32) bool { return f == f }).Draw(t, "f32")))
	case reflect.Float64:
		rv.SetFloat(rapid.Float64().Filter(func(f float64) bool { return f == f }).Draw(t, "f64"))
	case reflect.Bool:
		rv.SetBool(rapid.Bool().Draw(t, "bool"))
	case reflect.String:
		rv.SetString(rapid.String().Draw(t, "string"))
	case reflect.Slice:
		n := rapid.IntRange(0, 3).Draw(t, "n")
		if n == 0 && rapid.Bool().Draw(t, "nil") {
			return
		}
		s := reflect.MakeSlice(rv.Type(), n, n)
		for i := range n {
			genFill(t, s.Index(i), depth+1)
		}
		rv.Set(s)
	case reflect.Array:
		for i := range rv.Len() {
			genFill(t, rv.Index(i), depth+1)
		}
	case reflect.Map:
		n := rapid.IntRange(0, 3).Draw(t, "n")
		if n == 0 && rapid.Bool().Draw(t, "nil") {
			return
		}
		m := reflect.MakeMap(rv.Type())
		for range n {
			e := reflect.New(rv.Type().Elem()).Elem()
			genFill(t, e, depth+1)
			m.SetMapIndex(reflect.ValueOf(rapid.StringMatching(`[a-z]{1,3}`).Draw(t, "key")), e)
		}
		rv.Set(m)
	case reflect.Pointer:
		if rapid.Bool().Draw(t, "nil") {
			return
		}
		p := reflect.New(rv.Type().Elem())
		genFill(t, p.Elem(), depth+1)
		rv.Set(p)
	case reflect.Struct:
		for i := range rv.NumField() {
			genFill(t, rv.Field(i), depth+1)
		}
	}
}

// equivalent is reflect.DeepEqual, except that a nil slice or map equals
// an empty one (both are stored as an empty array or object, or omitted),
// and a nil pointer to a zero struct under omitempty equals a nil one.
func equivalent(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		if a.Type().Elem().Kind() == reflect.Uint8 {
			return string(a.Bytes()) == string(b.Bytes())
		}
		fallthrough
	case reflect.Array:
		for i := range a.Len() {
			if !equivalent(a.Index(i), b.Index(i)) {
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
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !equivalent(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equivalent(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !equivalent(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}

// TestStructRoundTrip: for random struct shapes and contents, struct →
// Convert → Check → the stored binary form → Assign gives the struct back,
// and the document satisfies the validator derived from the type.
func TestStructRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		typ := genStructType(t, 3)
		in := reflect.New(typ).Elem()
		genFill(t, in, 0)
		doc, err := value.Convert(in.Interface())
		if err != nil {
			t.Fatalf("Convert(%#v): %v", in.Interface(), err)
		}
		if err := value.Check(doc); err != nil {
			t.Fatalf("Check(%#v): %v", doc, err)
		}
		// The validator derived from the type (v.For) accepts the document.
		if obj, err := v.ForType(typ); err == nil {
			if err := obj.ValidateDocument(doc.(map[string]any)); err != nil {
				t.Fatalf("converted %#v fails v.For's %v: %v", doc, obj, err)
			}
		}
		enc, err := value.EncodeDoc(doc.(map[string]any))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := value.DecodeDoc(enc)
		if err != nil {
			t.Fatal(err)
		}
		out := reflect.New(typ)
		if err := value.Assign(stored, out.Interface()); err != nil {
			t.Fatalf("Assign(%#v) into %s: %v", stored, typ, err)
		}
		if !equivalent(in, out.Elem()) {
			t.Fatalf("round trip of %s\n in: %#v\nout: %#v\ndoc: %#v", typ, in.Interface(), out.Elem().Interface(), stored)
		}
	})
}
