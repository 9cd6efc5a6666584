// Package v defines validators: descriptions of the values a document
// field, a function argument or a whole document may hold, modelled on
// Convex's `v` builders.
//
// A table's document validator is an Object of field validators:
//
//	users := v.Object{
//		"name":      v.String(),
//		"email":     v.String(),
//		"avatarUrl": v.Optional(v.String()),
//		"settings": v.Optional(v.Object{
//			"theme":         v.String(),
//			"notifications": v.Boolean(),
//		}),
//		"status": v.Union(v.Literal("active"), v.Literal("banned")),
//		"bestFriend": v.Union(v.ID("users"), v.Null()),
//	}
//
// Validate checks a value in strata's Go representation (nil, bool, int64,
// float64, string, value.ID, []byte, []any, map[string]any) and never
// converts between types: int64(1) does not satisfy Number, and a Go int
// satisfies nothing. A failure is an *Error naming the path, the expected
// type and what was found:
//
//	settings.theme: expected string, found int64
//	avatarUrl: expected string, found undefined (required field missing)
//	legacyField: unexpected field (not in the validator)
//
// Validation of a valid value allocates nothing, except what
// value.ParseIDFor costs for each id checked by an ID validator.
//
// Every validator has one canonical JSON form (MarshalJSON, ParseJSON),
// the one schema files use: "string", {"optional": "string"},
// {"union": [{"literal": "draft"}, "null"]}, and so on. Equal validators
// marshal to equal bytes. String gives a readable type expression such as
// "{avatarUrl?: string, name: string}" or "string | null".
//
// Some validators can be built but not used: an optional outside an object
// field, an empty union, a literal of an unsupported type. Check reports
// them; schema.New and the parsers call it.
//
// The concrete types (Basic, *LiteralType, *IDType, *ArrayType, Object,
// *RecordType, *UnionType, *OptionalType) are exported so that code that
// compares or transforms validators can type-switch on them; Walk visits
// nested validators.
package v
