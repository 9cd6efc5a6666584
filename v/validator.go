package v

import (
	"fmt"

	"github.com/strata-db/strata/value"
)

// Validator describes the values a field, an argument or a document may
// hold. Validators are immutable once built and safe for concurrent use.
//
// The interface is sealed: its only implementations are the types of this
// package (Basic, *LiteralType, *IDType, *ArrayType, Object, *RecordType,
// *UnionType and *OptionalType), so code that walks a validator can
// type-switch on them exhaustively. Build them with the constructors
// (String, Array, Union, ...) rather than as composite literals.
type Validator interface {
	// Validate reports whether x conforms, as nil or an *Error naming the
	// path, the expected type and what was found. It never panics and never
	// converts: an int64 does not satisfy Number.
	Validate(x any) error

	// String returns a readable type expression such as
	// "{name: string, avatarUrl?: string}", "string | null" or
	// `id("users")`.
	String() string

	// Kind reports which kind of validator this is.
	Kind() Kind

	// MarshalJSON returns the canonical JSON form, as MarshalJSON does.
	MarshalJSON() ([]byte, error)

	isValidator()
}

// Kind identifies the kind of a Validator.
type Kind uint8

// The validator kinds. KindInvalid is the kind of a zero Basic and of a nil
// pointer validator; Check reports it.
const (
	KindInvalid Kind = iota
	KindString
	KindNumber
	KindInt64
	KindBoolean
	KindNull
	KindBytes
	KindAny
	KindLiteral
	KindID
	KindArray
	KindObject
	KindRecord
	KindUnion
	KindOptional
)

var kindNames = [...]string{
	KindInvalid:  "invalid",
	KindString:   "string",
	KindNumber:   "number",
	KindInt64:    "int64",
	KindBoolean:  "boolean",
	KindNull:     "null",
	KindBytes:    "bytes",
	KindAny:      "any",
	KindLiteral:  "literal",
	KindID:       "id",
	KindArray:    "array",
	KindObject:   "object",
	KindRecord:   "record",
	KindUnion:    "union",
	KindOptional: "optional",
}

// String returns the kind's name as used in the JSON form: "string",
// "number", "int64", "boolean", "null", "bytes", "any", "literal", "id",
// "array", "object", "record", "union" or "optional".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Basic is a validator of a type without parameters: string, number,
// int64, boolean, null, bytes or any. Obtain one from String, Number,
// Int64, Boolean, Null, Bytes or Any; the zero Basic is invalid.
// Basic values are comparable with ==.
type Basic struct{ kind Kind }

// LiteralType accepts exactly one value: Value, a string, float64, int64 or
// bool. Build it with Literal.
type LiteralType struct{ Value any }

// IDType accepts the ids of documents of Table. Build it with ID.
type IDType struct{ Table string }

// ArrayType accepts arrays ([]any) whose every element satisfies Elem.
// Build it with Array.
type ArrayType struct{ Elem Validator }

// Object accepts objects (map[string]any) with exactly its fields: every
// field whose validator is not Optional must be present, no other field may
// be. A field holding value.Undef counts as missing.
//
//	v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String())}
type Object map[string]Validator

// RecordType accepts objects (map[string]any) whose every key satisfies Key
// (which validates strings) and every value satisfies Value. Build it with
// Record.
type RecordType struct{ Key, Value Validator }

// UnionType accepts a value that satisfies at least one of Members. Build
// it with Union.
type UnionType struct{ Members []Validator }

// OptionalType marks an Object field that may be missing; when present it
// must satisfy Elem. It is meaningful only as the validator of an Object
// field: Check reports it anywhere else. Build it with Optional.
type OptionalType struct{ Elem Validator }

// String returns the validator of strings (value.ID included: an id is a
// string).
func String() Validator { return Basic{KindString} }

// Number returns the validator of float64 values, non-finite ones included.
// It rejects int64.
func Number() Validator { return Basic{KindNumber} }

// Int64 returns the validator of int64 values. It rejects float64.
func Int64() Validator { return Basic{KindInt64} }

// Boolean returns the validator of bool values.
func Boolean() Validator { return Basic{KindBoolean} }

// Null returns the validator of null (Go nil).
func Null() Validator { return Basic{KindNull} }

// Bytes returns the validator of []byte values.
func Bytes() Validator { return Basic{KindBytes} }

// Any returns the validator that accepts every value of strata's data model
// (nested to at most value.MaxDepth). It rejects Go types outside the model,
// such as int, and value.Undef.
func Any() Validator { return Basic{KindAny} }

// Literal returns the validator that accepts only x, which must be a
// string, float64, int64 or bool; Check reports any other type. Values of a
// different type never match: Literal(int64(1)) rejects float64 1.
func Literal(x any) Validator { return &LiteralType{Value: x} }

// ID returns the validator of ids of documents in table: a value.ID, or a
// string that parses as one, whose encoded table is table.
func ID(table string) Validator { return &IDType{Table: table} }

// Array returns the validator of arrays whose elements satisfy elem.
func Array(elem Validator) Validator { return &ArrayType{Elem: elem} }

// Record returns the validator of objects with arbitrary keys satisfying
// key (String, ID, a string Literal or a union of those) and values
// satisfying val.
func Record(key, val Validator) Validator { return &RecordType{Key: key, Value: val} }

// Union returns the validator of values satisfying at least one of vs. An
// empty union accepts nothing; Check reports it.
func Union(vs ...Validator) Validator {
	return &UnionType{Members: append([]Validator(nil), vs...)}
}

// Optional marks an Object field as optional: it may be missing, and when
// present it must satisfy t.
func Optional(t Validator) Validator { return &OptionalType{Elem: t} }

// Kind implements Validator.
func (b Basic) Kind() Kind {
	if b.kind >= KindString && b.kind <= KindAny {
		return b.kind
	}
	return KindInvalid
}

// Kind implements Validator.
func (l *LiteralType) Kind() Kind { return kindOrInvalid(l != nil, KindLiteral) }

// Kind implements Validator.
func (t *IDType) Kind() Kind { return kindOrInvalid(t != nil, KindID) }

// Kind implements Validator.
func (a *ArrayType) Kind() Kind { return kindOrInvalid(a != nil, KindArray) }

// Kind implements Validator.
func (o Object) Kind() Kind { return KindObject }

// Kind implements Validator.
func (r *RecordType) Kind() Kind { return kindOrInvalid(r != nil, KindRecord) }

// Kind implements Validator.
func (u *UnionType) Kind() Kind { return kindOrInvalid(u != nil, KindUnion) }

// Kind implements Validator.
func (o *OptionalType) Kind() Kind { return kindOrInvalid(o != nil, KindOptional) }

func kindOrInvalid(ok bool, k Kind) Kind {
	if ok {
		return k
	}
	return KindInvalid
}

func (Basic) isValidator()         {}
func (*LiteralType) isValidator()  {}
func (*IDType) isValidator()       {}
func (*ArrayType) isValidator()    {}
func (Object) isValidator()        {}
func (*RecordType) isValidator()   {}
func (*UnionType) isValidator()    {}
func (*OptionalType) isValidator() {}

// Validate implements Validator.
func (b Basic) Validate(x any) error { return result(validate(b, x, 0, true)) }

// Validate implements Validator.
func (l *LiteralType) Validate(x any) error { return result(validate(l, x, 0, true)) }

// Validate implements Validator.
func (t *IDType) Validate(x any) error { return result(validate(t, x, 0, true)) }

// Validate implements Validator.
func (a *ArrayType) Validate(x any) error { return result(validate(a, x, 0, true)) }

// Validate implements Validator.
func (o Object) Validate(x any) error { return result(validate(o, x, 0, true)) }

// Validate implements Validator.
func (r *RecordType) Validate(x any) error { return result(validate(r, x, 0, true)) }

// Validate implements Validator.
func (u *UnionType) Validate(x any) error { return result(validate(u, x, 0, true)) }

// Validate implements Validator. Outside an Object an optional validator
// accepts value.Undef or a value satisfying Elem.
func (o *OptionalType) Validate(x any) error { return result(validate(o, x, 0, true)) }

// ValidateDocument validates doc as the user fields of a document: like
// Validate, except that the system fields "_id" and "_creationTime" are
// ignored (neither required nor rejected). It allocates nothing when doc is
// valid.
func (o Object) ValidateDocument(doc map[string]any) error {
	if doc == nil {
		doc = map[string]any{}
	}
	return result(validateObject(o, doc, 0, true, true))
}

// result converts the internal error to an error interface value without
// creating a typed nil.
func result(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}

// String implements Validator.
func (b Basic) String() string { return typeString(b) }

// String implements Validator.
func (l *LiteralType) String() string { return typeString(l) }

// String implements Validator.
func (t *IDType) String() string { return typeString(t) }

// String implements Validator.
func (a *ArrayType) String() string { return typeString(a) }

// String implements Validator.
func (o Object) String() string { return typeString(o) }

// String implements Validator.
func (r *RecordType) String() string { return typeString(r) }

// String implements Validator.
func (u *UnionType) String() string { return typeString(u) }

// String implements Validator.
func (o *OptionalType) String() string { return typeString(o) }

// MarshalJSON implements Validator and json.Marshaler.
func (b Basic) MarshalJSON() ([]byte, error) { return MarshalJSON(b) }

// MarshalJSON implements Validator and json.Marshaler.
func (l *LiteralType) MarshalJSON() ([]byte, error) { return MarshalJSON(l) }

// MarshalJSON implements Validator and json.Marshaler.
func (t *IDType) MarshalJSON() ([]byte, error) { return MarshalJSON(t) }

// MarshalJSON implements Validator and json.Marshaler.
func (a *ArrayType) MarshalJSON() ([]byte, error) { return MarshalJSON(a) }

// MarshalJSON implements Validator and json.Marshaler.
func (o Object) MarshalJSON() ([]byte, error) { return MarshalJSON(o) }

// MarshalJSON implements Validator and json.Marshaler.
func (r *RecordType) MarshalJSON() ([]byte, error) { return MarshalJSON(r) }

// MarshalJSON implements Validator and json.Marshaler.
func (u *UnionType) MarshalJSON() ([]byte, error) { return MarshalJSON(u) }

// MarshalJSON implements Validator and json.Marshaler.
func (o *OptionalType) MarshalJSON() ([]byte, error) { return MarshalJSON(o) }

// isNil reports whether val is a nil interface or a nil pointer validator.
func isNil(val Validator) bool {
	if val == nil {
		return true
	}
	return val.Kind() == KindInvalid && !isBasic(val)
}

func isBasic(val Validator) bool {
	_, ok := val.(Basic)
	return ok
}

// maxDepth bounds the nesting of validators (optional and union wrappers count
// as levels too),
// so that no walk recurses without bound, even over a cyclic Object.
const maxDepth = 2 * value.MaxDepth
