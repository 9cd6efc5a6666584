package value

import "fmt"

// Kind is the type of a value in strata's data model. Kinds are declared in
// their sort order: a value of a lower Kind sorts before every value of a
// higher Kind.
type Kind uint8

// The kinds, in their total order (Convex's order).
const (
	Undefined Kind = iota // a missing field
	Null
	Int64
	Float64
	Boolean
	String // also value.ID: an id sorts and compares as its string form
	Bytes
	Array
	Object
)

var kindNames = [...]string{
	Undefined: "undefined",
	Null:      "null",
	Int64:     "int64",
	Float64:   "number",
	Boolean:   "boolean",
	String:    "string",
	Bytes:     "bytes",
	Array:     "array",
	Object:    "object",
}

// String returns the name used in schema files and error messages:
// "undefined", "null", "int64", "number", "boolean", "string", "bytes",
// "array" or "object".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// KindOf reports the kind of a Go value in strata's representation: nil,
// bool, int64, float64, string, ID, []byte, []any and map[string]any. The
// second result is false for any other Go type (int, float32, structs, ...):
// strata never converts between numeric types silently.
func KindOf(x any) (Kind, bool) {
	switch x.(type) {
	case UndefinedValue:
		return Undefined, true
	case nil:
		return Null, true
	case bool:
		return Boolean, true
	case int64:
		return Int64, true
	case float64:
		return Float64, true
	case string, ID:
		return String, true
	case []byte:
		return Bytes, true
	case []any:
		return Array, true
	case map[string]any:
		return Object, true
	}
	return Undefined, false
}

// TypeName names the type of x for error messages: a Kind name for values
// of the data model ("id" for an ID) and "Go type T" for anything else.
func TypeName(x any) string {
	if _, ok := x.(ID); ok {
		return "id"
	}
	if k, ok := KindOf(x); ok {
		return k.String()
	}
	return fmt.Sprintf("Go type %T", x)
}

// UndefinedValue is the Go value of kind Undefined: a missing field. It is
// never stored inside a document; it appears in index keys (a document that
// lacks an indexed field is indexed under undefined) and, in a patch, means
// "remove this field".
type UndefinedValue struct{}

// Undef is the undefined value.
var Undef = UndefinedValue{}
