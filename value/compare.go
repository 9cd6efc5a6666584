package value

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// badKind is the rank Compare gives Go values outside the data model.
const badKind = Object + 1

// rank returns the Kind of x, or badKind for an unsupported Go type.
func rank(x any) Kind {
	switch x.(type) {
	case UndefinedValue:
		return Undefined
	case nil:
		return Null
	case int64:
		return Int64
	case float64:
		return Float64
	case bool:
		return Boolean
	case string, ID:
		return String
	case []byte:
		return Bytes
	case []any:
		return Array
	case map[string]any:
		return Object
	}
	return badKind
}

// LegacyNaNKey is the bit pattern that index keys of strata before the
// total order of floats (index key format 1) gave every NaN, whatever its
// sign and payload. It is also the positive quiet NaN, whose key is the
// same in both formats.
const LegacyNaNKey = 0x7FF8000000000000

// floatKey maps f to a uint64 whose unsigned order is IEEE 754's
// totalOrder, the float order of Compare (Rust's f64::total_cmp):
// negative NaNs (by payload, descending) < -Inf < negatives < -0 < +0 <
// positives < +Inf < positive NaNs (by payload). It is a bijection: every
// bit pattern has its own key.
func floatKey(f float64) uint64 {
	u := math.Float64bits(f)
	if u>>63 != 0 {
		return ^u
	}
	return u | 1<<63
}

// floatFromKey inverts floatKey.
func floatFromKey(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

func asString(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	return string(x.(ID))
}

// Compare returns -1, 0 or +1 as a sorts before, equal to, or after b in
// strata's total order over values, the order of index keys. Values of
// different kinds order by kind, whatever their contents:
//
//	undefined < null < int64 < float64 < boolean < string < bytes < array < object
//
// so int64(1) sorts before float64(0.5): integers and floats never compare
// numerically. Within a kind:
//
//   - int64: numerically.
//   - float64: by IEEE 754 totalOrder, as Convex orders floats (Rust's
//     f64::total_cmp): numerically for numbers, -0 before +0 (distinct, not
//     Equal); NaNs with the sign bit set sort below -Inf and the others
//     above +Inf, each NaN ordered by its bits, so two NaNs are Equal only
//     when their bits are.
//   - boolean: false < true.
//   - string: byte-wise (so by code point for valid UTF-8). An ID is a
//     string here: ID("x") equals "x".
//   - bytes: byte-wise.
//   - array: lexicographically by element; a proper prefix sorts first.
//   - object: as the list of its (key, value) pairs sorted by key, compared
//     lexicographically pair by pair (key first, then value); an object
//     whose pair list is a proper prefix of the other's sorts first.
//
// Compare never panics. Go values outside the data model (see KindOf) sort
// after every object and equal each other; use Check to reject them.
func Compare(a, b any) int {
	ka, kb := rank(a), rank(b)
	if ka != kb {
		return cmp.Compare(ka, kb)
	}
	switch ka {
	case Int64:
		return cmp.Compare(a.(int64), b.(int64))
	case Float64:
		return cmp.Compare(floatKey(a.(float64)), floatKey(b.(float64)))
	case Boolean:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case y:
			return -1
		}
		return 1
	case String:
		return strings.Compare(asString(a), asString(b))
	case Bytes:
		return bytes.Compare(a.([]byte), b.([]byte))
	case Array:
		x, y := a.([]any), b.([]any)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := Compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(x), len(y))
	case Object:
		return compareObjects(a.(map[string]any), b.(map[string]any))
	}
	return 0 // undefined, null, unsupported
}

func compareObjects(x, y map[string]any) int {
	var bx, by [16]string
	kx := sortedKeys(x, bx[:0])
	ky := sortedKeys(y, by[:0])
	for i := 0; i < len(kx) && i < len(ky); i++ {
		if c := strings.Compare(kx[i], ky[i]); c != 0 {
			return c
		}
		if c := Compare(x[kx[i]], y[ky[i]]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(kx), len(ky))
}

// sortedKeys appends the keys of m to buf in byte-wise order.
func sortedKeys(m map[string]any, buf []string) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// Equal reports whether Compare(a, b) == 0 for values of the data model:
// kinds must match (int64(1) is not float64(1)), -0 and +0 differ, a NaN
// equals only a NaN of the same bits (sign and payload), and an ID equals the string with the same text. Equal reports
// false if a or b holds a Go type outside the data model.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case ID:
			return x == string(y)
		}
		return false
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	}
	if rank(a) == badKind || rank(b) == badKind {
		return false
	}
	return Compare(a, b) == 0
}

// Check reports whether x is a valid value of the data model, returning an
// *Error naming the path of the first problem found:
//
//   - a Go type outside the data model (int, float32, structs, ...);
//   - undefined inside an array or as an object field's value (undefined
//     itself is a valid value: an index key may hold it);
//   - an object key that is empty or starts with "$" (reserved for the
//     tagged forms of the JSON form);
//   - a string, ID or key that is not valid UTF-8;
//   - nesting deeper than MaxDepth.
//
// Maps are visited in key order, so the error reported is deterministic.
// Every value Check accepts can be encoded by EncodeDoc/Encode (except
// undefined), AppendKey and AppendJSON (except undefined).
func Check(x any) error {
	if _, ok := x.(UndefinedValue); ok {
		return nil
	}
	if e := check(x, 0); e != nil {
		return e
	}
	return nil
}

func check(x any, depth int) *Error {
	switch v := x.(type) {
	case nil, bool, int64, float64, []byte:
		return nil
	case string:
		if !utf8.ValidString(v) {
			return newErr(errInvalidUTF8)
		}
		return nil
	case ID:
		if !utf8.ValidString(string(v)) {
			return newErr(errInvalidUTF8)
		}
		return nil
	case []any:
		if depth >= MaxDepth {
			return newErr(errTooDeep)
		}
		for i, e := range v {
			if _, ok := e.(UndefinedValue); ok {
				return newErr(errUndefInArray).inIndex(i)
			}
			if err := check(e, depth+1); err != nil {
				return err.inIndex(i)
			}
		}
		return nil
	case map[string]any:
		if depth >= MaxDepth {
			return newErr(errTooDeep)
		}
		var buf [16]string
		for _, k := range sortedKeys(v, buf[:0]) {
			if err := checkKey(k); err != nil {
				return err
			}
			e := v[k]
			if _, ok := e.(UndefinedValue); ok {
				return newErr(errUndefInObject).inKey(k)
			}
			if err := check(e, depth+1); err != nil {
				return err.inKey(k)
			}
		}
		return nil
	}
	return errUnsupported(x)
}

// Clone returns a deep copy of x: arrays, objects and bytes are copied, so
// the copy shares no mutable memory with x. Other values are returned as
// they are, including Go values outside the data model. Nil slices and maps
// stay nil (of the same type).
func Clone(x any) any {
	switch v := x.(type) {
	case []byte:
		if v == nil {
			return v
		}
		return bytes.Clone(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = Clone(e)
		}
		return out
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = Clone(e)
		}
		return out
	}
	return x
}
