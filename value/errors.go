package value

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects a value may have: a
// scalar has depth 0 and an array or object one more than its deepest
// element. Check, the codec, the key encoding and the JSON form all reject
// deeper values, so no decoder recurses without bound.
const MaxDepth = 64

// Error is the error this package returns for an invalid value or a malformed
// input. Path locates the problem inside the value ("settings.tags[3]"; empty
// for the value itself) and Op names the operation ("encode", "decode",
// "key", "json"; empty for Check). Its message reads like
//
//	value: json: posts.tags[2]: invalid $integer "12x"
type Error struct {
	Op   string // operation; "" for Check
	Path string // path inside the value; "" for the value itself
	Msg  string // what is wrong
}

// Error returns "value: [op: ][path: ]msg".
func (e *Error) Error() string {
	s := "value: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Msg
}

func newErr(msg string) *Error { return &Error{Msg: msg} }

// inKey records that e happened inside the field k of an object. Paths are
// built while the error travels up, so valid values pay nothing for them.
func (e *Error) inKey(k string) *Error {
	e.Path = joinPath(pathKey(k), e.Path)
	return e
}

// inIndex records that e happened inside element i of an array.
func (e *Error) inIndex(i int) *Error {
	e.Path = joinPath("["+strconv.Itoa(i)+"]", e.Path)
	return e
}

func (e *Error) op(op string) error {
	if e == nil {
		return nil
	}
	e.Op = op
	return e
}

func joinPath(seg, rest string) string {
	switch {
	case rest == "":
		return seg
	case rest[0] == '[':
		return seg + rest
	}
	return seg + "." + rest
}

// pathKey renders an object key as a path segment: plain when that is
// unambiguous, else as ["quoted"].
func pathKey(k string) string {
	plain := k != ""
	for _, r := range k {
		if r == '.' || r == '[' || r == ']' || r == '"' || r == ' ' || r == utf8.RuneError || !unicode.IsPrint(r) {
			plain = false
			break
		}
	}
	if plain {
		return k
	}
	return "[" + strconv.Quote(k) + "]"
}

// quoteTrunc quotes s for an error message, shortening long inputs.
func quoteTrunc(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// checkKey reports why k cannot be an object key, or nil.
func checkKey(k string) *Error {
	switch {
	case k == "":
		return newErr("empty object key")
	case k[0] == '$':
		return newErr("object key " + quoteTrunc(k) + " starts with \"$\" (reserved for the JSON form)")
	case !validUTF8(k):
		return newErr("object key " + quoteTrunc(k) + " is not valid UTF-8")
	}
	return nil
}

func errUnsupported(x any) *Error {
	return newErr("unsupported " + TypeName(x))
}

var (
	errInvalidUTF8   = "string is not valid UTF-8"
	errTooDeep       = "nesting deeper than " + strconv.Itoa(MaxDepth)
	errUndefInArray  = "undefined inside an array"
	errUndefInObject = "undefined as a field value (omit the field instead)"
)
