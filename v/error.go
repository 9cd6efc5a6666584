package v

import (
	"github.com/strata-db/strata/internal/jsonpath"
)

// Error reports a value that does not satisfy a validator. Callers branch on
// it with errors.As. Its message reads like
//
//	settings.theme: expected string, found int64
//	tags[3]: expected string, found null
//	avatarUrl: expected string, found undefined (required field missing)
//	legacyField: unexpected field (not in the validator)
//	status: expected "draft" | "published", found string "archived"
//	value: expected number, found int64
//
// where the last line is a failure of the value itself (empty Path).
type Error struct {
	// Path locates the offending value: object fields joined with ".",
	// array elements as "[i]", keys that are not plain as ["quoted"]
	// (settings.theme, tags[3], meta["a b"]). It is empty for the value
	// itself.
	Path string
	// Expected is the type expression the value had to satisfy (the
	// validator's String), or empty when the problem is not a type
	// mismatch (an unexpected field).
	Expected string
	// Found describes what was there: a type name as value.TypeName gives
	// it ("int64", "undefined", "id", "Go type int"), followed by the value
	// itself for scalars checked against literals (`string "archived"`).
	Found string
	// Reason adds detail, or is the whole message when Expected is empty:
	// "required field missing", "unexpected field (not in the validator)",
	// "invalid record key", the id parser's message.
	Reason string
}

// Error returns "path: expected E, found F (reason)", with "value" for an
// empty path and without the parenthesis when there is no reason, or
// "path: reason" when nothing was expected.
func (e *Error) Error() string {
	p := e.Path
	if p == "" {
		p = "value"
	}
	if e.Expected == "" {
		return p + ": " + e.Reason
	}
	s := p + ": expected " + e.Expected + ", found " + e.Found
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// errMismatch is what the validation walk returns when it was asked not to
// build a report (inside a union, on the fast path). It never escapes the
// package.
var errMismatch = &Error{Reason: "mismatch"}

// in records that e happened inside seg ("name" or "[3]"). Paths are built
// while an error travels up, so valid values pay nothing for them.
func (e *Error) in(seg string) *Error {
	if e != errMismatch {
		e.Path = joinPath(seg, e.Path)
	}
	return e
}

func joinPath(seg, rest string) string { return jsonpath.Join(seg, rest) }

// pathKey renders an object key as a path segment: plain when that is
// unambiguous, else as ["quoted"].
func pathKey(k string) string { return jsonpath.Key(k) }

func pathIndex(i int) string { return jsonpath.Index(i) }

// DefinitionError reports a malformed validator: a misuse found by Check or
// a problem in the JSON form found by ParseJSON. Path locates it inside the
// validator's JSON form ("object.settings.optional.object.theme",
// "union[2]", "record[0]"), empty for the root. Its message reads like
//
//	validator: object.settings.optional.object.theme: unknown type name "strin"
type DefinitionError struct {
	Path string
	Msg  string
}

// Error returns "validator: path: msg", or "validator: msg" at the root.
func (e *DefinitionError) Error() string {
	if e.Path == "" {
		return "validator: " + e.Msg
	}
	return "validator: " + e.Path + ": " + e.Msg
}
