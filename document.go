package strata

import (
	"strings"

	"github.com/strata-db/strata/value"
)

// ID is a document id. It is opaque and url-safe, and it encodes the table
// of its document, so a lookup with an id of another table is detected.
type ID = value.ID

// System fields present on every stored document.
const (
	FieldID           = "_id"
	FieldCreationTime = "_creationTime"
)

// Doc is a document: field names mapped to values of strata's data model
// (nil, bool, int64, float64, string, ID, []byte, []any, map[string]any).
// A stored document also holds the system fields _id and _creationTime.
//
// The accessor methods are safe on a nil Doc (a missing document), so the
// TypeScript's `user.avatarUrl ?? null` reads as doc.StringOr("avatarUrl", "").
type Doc map[string]any

// ID returns the document's _id, or "" if it has none.
func (d Doc) ID() ID {
	id, _ := d[FieldID].(ID)
	return id
}

// CreationTime returns the document's _creationTime in milliseconds since
// the Unix epoch, or 0 if it has none.
func (d Doc) CreationTime() float64 {
	t, _ := d[FieldCreationTime].(float64)
	return t
}

// Has reports whether the document has the top-level field (a field set to
// null is present; a missing field is undefined).
func (d Doc) Has(field string) bool {
	_, ok := d[field]
	return ok
}

// Lookup returns the value at a dotted path ("settings.theme") and whether
// it is present.
func (d Doc) Lookup(path string) (any, bool) {
	return lookupPath(d, path)
}

// String returns the string at a dotted path and whether there is one (an
// ID counts as a string). StringOr gives a default instead.
func (d Doc) String(path string) (string, bool) {
	x, _ := d.Lookup(path)
	switch s := x.(type) {
	case string:
		return s, true
	case ID:
		return string(s), true
	}
	return "", false
}

// StringOr returns the string at a dotted path, or def if it is missing or
// not a string (an ID counts as a string).
func (d Doc) StringOr(path, def string) string {
	if s, ok := d.String(path); ok {
		return s
	}
	return def
}

// Float returns the float64 at a dotted path and whether there is one. An
// int64 is not converted: it reports false.
func (d Doc) Float(path string) (float64, bool) {
	x, _ := d.Lookup(path)
	f, ok := x.(float64)
	return f, ok
}

// Int returns the int64 at a dotted path and whether there is one. A float64
// is not converted: it reports false.
func (d Doc) Int(path string) (int64, bool) {
	x, _ := d.Lookup(path)
	i, ok := x.(int64)
	return i, ok
}

// Bool returns the boolean at a dotted path and whether there is one.
func (d Doc) Bool(path string) (bool, bool) {
	x, _ := d.Lookup(path)
	b, ok := x.(bool)
	return b, ok
}

// Fields returns a copy of the document without its system fields: the
// part a schema validates and Replace accepts.
func (d Doc) Fields() Doc {
	out := make(Doc, len(d))
	for k, x := range d {
		if k == FieldID || k == FieldCreationTime {
			continue
		}
		out[k] = x
	}
	return out
}

// Patch is a shallow update: each field is set to its value, and a field
// set to Unset is removed. System fields cannot be patched.
type Patch map[string]any

// Unset, as a value in a Patch, removes the field from the document
// (Convex's `undefined` in ctx.db.patch).
var Unset = value.Undef

func lookupPath(m map[string]any, path string) (any, bool) {
	for {
		head, rest, more := strings.Cut(path, ".")
		x, ok := m[head]
		if !ok {
			return nil, false
		}
		if !more {
			return x, true
		}
		m, ok = x.(map[string]any)
		if !ok {
			return nil, false
		}
		path = rest
	}
}
