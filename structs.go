package strata

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/strata-db/strata/value"
)

// Structs are documents too: Insert and Replace take a struct (or a
// pointer to one) wherever they take a Doc, and Get, Decode, Collect,
// First, Unique and Paginate read documents into structs. A struct's
// fields are named by their tags, `strata:"name,omitempty"` with json tags
// as the fallback; the rules are value.Convert's (encoding) and
// value.Assign's (decoding), and docs/go-types.md repeats them:
//
//	type User struct {
//		ID    strata.ID `strata:"_id"`
//		Name  string    `strata:"name"`
//		Email *string   `strata:"email"`          // optional: nil is null
//		Tags  []string  `strata:"tags,omitempty"` // optional: omitted when empty
//	}

// ErrNotFound is wrapped by the error of a typed read that needs a
// document and finds none: Get, First and Unique. Check it with
// errors.Is. (Tx.Get and Query.First return a nil Doc instead.)
var ErrNotFound = errors.New("document not found")

// DecodeError reports a document that does not fit the Go type it is read
// into. Err is the *value.Error naming the field path and the mismatch.
type DecodeError struct {
	Table string
	ID    ID // the document's _id, "" for a value that has none
	Type  string
	Err   error
}

func (e *DecodeError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("strata: decode %s %s into %s: %v", e.Table, e.ID, e.Type, e.Err)
	}
	return fmt.Sprintf("strata: decode into %s: %v", e.Type, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decode stores doc into the Go value dst points to (usually a struct)
// following value.Assign. A mismatch is a *DecodeError naming the table,
// the document and the field path.
func Decode(doc Doc, dst any) error {
	if err := value.Assign(map[string]any(doc), dst); err != nil {
		id := doc.ID()
		table, _ := id.Table()
		return &DecodeError{Table: table, ID: id, Type: fmt.Sprintf("%T", dst)[1:], Err: err}
	}
	return nil
}

// decodeAs decodes doc into a new T.
func decodeAs[T any](doc Doc) (T, error) {
	var out T
	err := Decode(doc, &out)
	return out, err
}

// toDoc converts a document given as a Doc, a map with string keys or a
// struct (or a pointer to one) to a Doc of strata's values.
func toDoc(x any) (Doc, error) {
	switch d := x.(type) {
	case Doc:
		return convertDoc(d)
	case map[string]any:
		return convertDoc(d)
	case nil:
		return Doc{}, nil
	}
	y, err := value.Convert(x)
	if err != nil {
		return nil, err
	}
	m, ok := y.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a document must be an object (a struct, a map with string keys or a Doc), not %s", value.TypeName(y))
	}
	return Doc(m), nil
}

// Get returns the document id decoded into a T. A missing document is an
// error wrapping ErrNotFound; one that does not fit T is a *DecodeError.
func Get[T any](tx *Tx, id ID) (T, error) {
	var zero T
	table, err := id.Table()
	if err != nil {
		return zero, fmt.Errorf("strata: get: %w", err)
	}
	var c collector[T]
	doc, found, err := tx.getInto(table, id, c.into)
	if err == nil && found {
		err = tx.countRead(table, 1)
	}
	if err != nil {
		return zero, err
	}
	if !found {
		return zero, fmt.Errorf("strata: get %s %s: %w", table, id, ErrNotFound)
	}
	c.add(nil, doc)
	return c.out[0], c.err
}

// Insert adds v (a struct, a map or a Doc) to table and returns its id: it
// is tx.Insert, typed. v must not set _id or _creationTime (a zero ID
// field is omitted).
func Insert[T any](tx *Tx, table string, v T) (ID, error) {
	return tx.Insert(table, v)
}

// mapPathOnly turns off the typed reads' direct decoding of records into
// their Go values (value.DecodeDocInto), for the tests that compare both
// paths.
var mapPathOnly atomic.Bool

// collector gathers the documents of a typed read as Ts, in order. Each
// record is first offered to into, which decodes it straight into a new T
// when value.DecodeDocInto handles it; the others reach add as Docs
// (the map path), where Decode gives the result or the error. Like the
// map path, which decodes every document before any into T, a document
// that does not fit T does not stop the read: the read's own errors (a
// corrupt record, a limit) come first, then the first *DecodeError.
type collector[T any] struct {
	out []T
	err error // the first *DecodeError
}

// into decodes body into a new T at the end of out, reporting whether it
// did.
func (c *collector[T]) into(body []byte) bool {
	if mapPathOnly.Load() {
		return false
	}
	var zero T
	c.out = append(c.out, zero)
	if value.DecodeDocInto(body, &c.out[len(c.out)-1]) {
		return true
	}
	c.out[len(c.out)-1] = zero
	c.out = c.out[:len(c.out)-1]
	return false
}

// add takes the next document: nil if into took it, else decoded. It
// reports true, to go on.
func (c *collector[T]) add(_ []byte, d Doc) bool {
	if d == nil {
		return true
	}
	v, err := decodeAs[T](d)
	if err != nil && c.err == nil {
		c.err = err
	}
	c.out = append(c.out, v)
	return true
}

// collect runs q and returns up to n matching documents (0: all) as Ts.
func collect[T any](q *Query, n int) ([]T, error) {
	// Room for a typical small result: growing a slice of structs one
	// doubling at a time copies more than growing a slice of Docs.
	c := collector[T]{out: make([]T, 0, 8)}
	err := q.runInto(c.into, func(key []byte, d Doc) bool {
		c.add(key, d)
		return n == 0 || len(c.out) < n
	}, n)
	if err == nil {
		err = c.err
	}
	if err != nil {
		return nil, err
	}
	return c.all(), nil
}

// all returns out, empty rather than nil as the map path's are.
func (c *collector[T]) all() []T {
	if c.out == nil {
		return []T{}
	}
	return c.out
}

// Collect returns every document the query matches, in query order,
// decoded into T.
func Collect[T any](q *Query) ([]T, error) {
	return collect[T](q, 0)
}

// First returns the first document in query order decoded into T; an
// empty result is an error wrapping ErrNotFound.
func First[T any](q *Query) (T, error) {
	var c collector[T]
	err := q.runInto(c.into, func(key []byte, d Doc) bool { c.add(key, d); return false }, 1)
	if err == nil && len(c.out) == 0 {
		err = q.errorf("first: %w", ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return c.out[0], c.err
}

// Unique returns the only document the query matches decoded into T; no
// match is an error wrapping ErrNotFound, and more than one is an error
// as for Query.Unique.
func Unique[T any](q *Query) (T, error) {
	var c collector[T]
	var last []byte // the record into was last offered
	var bodies [2][]byte
	var docs [2]Doc
	into := func(body []byte) bool {
		last = body
		return c.into(body)
	}
	err := q.runInto(into, func(key []byte, d Doc) bool {
		k := len(c.out)
		if d == nil {
			k-- // into has added it
		}
		bodies[k], docs[k] = last, d
		c.add(key, d)
		return len(c.out) < 2
	}, 2)
	id := func(i int) ID {
		if docs[i] == nil {
			// Taken straight from its record, which is valid: read its
			// _id from the decoded document, as the map path does.
			// (into gets the encoding of a current-shape record.)
			m, _ := value.DecodeDoc(bodies[i])
			docs[i] = Doc(m)
		}
		return docs[i].ID()
	}
	var zero T
	switch {
	case err != nil:
		return zero, err
	case len(c.out) == 0:
		return zero, q.errorf("unique: %w", ErrNotFound)
	case len(c.out) > 1:
		return zero, q.errorf("unique: more than one document matches (%s and %s)", id(0), id(1))
	}
	return c.out[0], c.err
}

// PageOf is a Page decoded into T.
type PageOf[T any] struct {
	Page           []T
	IsDone         bool   // as Page.IsDone
	ContinueCursor string // as Page.ContinueCursor
	raw            Page
}

// CursorAfter is Page.CursorAfter: a cursor resuming after Page[i].
func (p PageOf[T]) CursorAfter(i int) string { return p.raw.CursorAfter(i) }

// Paginate is Query.Paginate with the page decoded into T.
func Paginate[T any](q *Query, numItems int, cursor string) (PageOf[T], error) {
	var c collector[T]
	p, err := q.paginate(numItems, cursor, c.into, func(d Doc) { c.add(nil, d) })
	if err == nil {
		err = c.err
	}
	if err != nil {
		return PageOf[T]{}, err
	}
	return PageOf[T]{Page: c.all(), IsDone: p.IsDone, ContinueCursor: p.ContinueCursor, raw: p}, nil
}
