package value

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// Convert returns x in strata's data model: the one place where Go values
// with an obvious strata meaning become values (like database/sql's
// DefaultParameterConverter). Every write and every comparison value that
// enters strata passes through it once. The conversions, applied at any
// depth:
//
//	Go value                                  strata value
//	nil, bool, int64, float64, string, ID,    itself (no copy, no allocation
//	[]byte, Undef                             when nothing inside changes)
//	int, int8, int16, int32, uintptr...       int64
//	uint, uint8, uint16, uint32, uint64       int64; above math.MaxInt64 an error
//	float32                                   float64 (its exact value)
//	named bool, integer, float and string     as their underlying kind
//	  types (type Status string)
//	slice with byte elements (named too)      bytes (shared, not copied)
//	other slices, arrays (also [N]byte)       array of the converted elements;
//	                                          a nil slice is an empty array
//	map with string-kind keys (strata.Doc,    object of the converted values;
//	  map[string]string, map[Name]int, ...)   a nil map is an empty object
//	pointer                                   nil: null; else the value it points to
//	interface                                 its dynamic value
//	struct                                    object of its fields: see Encode
//
// Everything else is refused with an *Error (Op "convert") naming its path
// inside x and the Go type: channels, functions, complex numbers, unsafe
// pointers, maps with other key types, and time.Time, which has no single
// obvious meaning (store t.UnixMilli() as an int64, or t.Format(time.RFC3339Nano)
// as a string). Convert never panics, and refuses values nested deeper than
// MaxDepth (which also stops cyclic values).
//
// Convert does not validate what it returns (UTF-8, object keys,
// undefined inside arrays): Check does.
func Convert(x any) (any, error) {
	y, _, err := convert(x, 0)
	if err != nil {
		err.Op = "convert"
		return nil, err
	}
	return y, nil
}

// convert reports whether the result differs from x, so that a value that
// is already in the data model is returned as it is.
func convert(x any, depth int) (any, bool, *Error) {
	switch v := x.(type) {
	case nil, bool, int64, float64, string, ID, []byte, UndefinedValue:
		return x, false, nil
	case int:
		return int64(v), true, nil
	case int32:
		return int64(v), true, nil
	case float32:
		return float64(v), true, nil
	case []any:
		if depth >= MaxDepth {
			return nil, false, newErr(errTooDeep)
		}
		var out []any
		for i, e := range v {
			ne, changed, err := convert(e, depth+1)
			if err != nil {
				return nil, false, err.inIndex(i)
			}
			if changed {
				if out == nil {
					out = slices.Clone(v)
				}
				out[i] = ne
			}
		}
		if out != nil {
			return out, true, nil
		}
		return x, false, nil
	case map[string]any:
		if depth >= MaxDepth {
			return nil, false, newErr(errTooDeep)
		}
		var out map[string]any
		for k, e := range v {
			ne, changed, err := convert(e, depth+1)
			if err != nil {
				return nil, false, err.inKey(k)
			}
			if changed {
				if out == nil {
					out = maps.Clone(v)
				}
				out[k] = ne
			}
		}
		if out != nil {
			return out, true, nil
		}
		return v, false, nil
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out, true, nil
	case map[string]string:
		out := make(map[string]any, len(v))
		for k, s := range v {
			out[k] = s
		}
		return out, true, nil
	}
	y, err := convertValue(reflect.ValueOf(x), depth)
	return y, true, err
}

var (
	typeMapAny   = reflect.TypeFor[map[string]any]()
	typeSliceAny = reflect.TypeFor[[]any]()
	typeTime     = reflect.TypeFor[time.Time]()
	typeID       = reflect.TypeFor[ID]()
)

// convertValue converts a value reached by reflection.
func convertValue(rv reflect.Value, depth int) (any, *Error) {
	for hops := 0; rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface; hops++ {
		if rv.IsNil() {
			return nil, nil
		}
		if hops >= MaxDepth {
			return nil, newErr(errTooDeep)
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, newErr(rv.Type().String() + " " + strconv.FormatUint(u, 10) + " overflows int64")
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		if rv.Type() == typeID {
			return ID(rv.String()), nil
		}
		return rv.String(), nil
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes(), nil
		}
		if rv.Type().ConvertibleTo(typeSliceAny) {
			y, _, err := convert(rv.Convert(typeSliceAny).Interface(), depth)
			return y, err
		}
		return convertList(rv, depth)
	case reflect.Array:
		return convertList(rv, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, newErr("unsupported Go type " + rv.Type().String() + " (map keys must be strings)")
		}
		if rv.Type().ConvertibleTo(typeMapAny) {
			y, _, err := convert(rv.Convert(typeMapAny).Interface(), depth)
			return y, err
		}
		if depth >= MaxDepth {
			return nil, newErr(errTooDeep)
		}
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := it.Key().String()
			e, err := convertValue(it.Value(), depth+1)
			if err != nil {
				return nil, err.inKey(k)
			}
			out[k] = e
		}
		return out, nil
	case reflect.Struct:
		if rv.Type() == typeTime {
			return nil, newErr("unsupported Go type time.Time (store t.UnixMilli() as an int64 or t.Format(time.RFC3339Nano) as a string)")
		}
		return encodeStruct(rv, depth)
	case reflect.Invalid:
		return nil, nil
	}
	return nil, newErr("unsupported Go type " + rv.Type().String())
}

func convertList(rv reflect.Value, depth int) (any, *Error) {
	if depth >= MaxDepth {
		return nil, newErr(errTooDeep)
	}
	out := make([]any, rv.Len())
	for i := range out {
		e, err := convertValue(rv.Index(i), depth+1)
		if err != nil {
			return nil, err.inIndex(i)
		}
		out[i] = e
	}
	return out, nil
}
