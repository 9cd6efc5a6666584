package schema

import (
	"github.com/strata-db/strata/internal/jsonpath"

	"errors"
	"strconv"
	"unicode/utf8"
)

// Error reports one problem in a schema. Path locates it in the schema's
// JSON form ("tables.users.indexes.by_email",
// "tables.users.fields.settings.optional.object.theme"), empty for the
// schema as a whole. Its message reads like
//
//	schema: tables.users.indexes.by_email: field "emial" not in the document validator
//
// Check and Parse return all problems they find, joined with errors.Join;
// use errors.As to get the first *Error.
type Error struct {
	Path string
	Msg  string
}

// Error returns "schema: path: msg", or "schema: msg" for an empty path.
func (e *Error) Error() string {
	if e.Path == "" {
		return "schema: " + e.Msg
	}
	return "schema: " + e.Path + ": " + e.Msg
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// flatten returns the errors joined in err (or err itself).
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func joinPath(seg, rest string) string { return jsonpath.Join(seg, rest) }

// pathKey renders a key as a path segment, as package v does.
func pathKey(k string) string { return jsonpath.Key(k) }

func itoa(i int) string { return strconv.Itoa(i) }

// quoteTrunc quotes s for a message, shortening long inputs.
func quoteTrunc(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
