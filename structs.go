package strata

import (
	"errors"
	"fmt"

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
	doc, err := tx.Get(id)
	if err != nil {
		var zero T
		return zero, err
	}
	if doc == nil {
		var zero T
		table, _ := id.Table()
		return zero, fmt.Errorf("strata: get %s %s: %w", table, id, ErrNotFound)
	}
	return decodeAs[T](doc)
}

// Insert adds v (a struct, a map or a Doc) to table and returns its id: it
// is tx.Insert, typed. v must not set _id or _creationTime (a zero ID
// field is omitted).
func Insert[T any](tx *Tx, table string, v T) (ID, error) {
	return tx.Insert(table, v)
}

// Collect returns every document the query matches, in query order,
// decoded into T.
func Collect[T any](q *Query) ([]T, error) {
	docs, err := q.Collect()
	if err != nil {
		return nil, err
	}
	return decodeAll[T](docs)
}

func decodeAll[T any](docs []Doc) ([]T, error) {
	out := make([]T, len(docs))
	for i, d := range docs {
		if err := Decode(d, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// First returns the first document in query order decoded into T; an
// empty result is an error wrapping ErrNotFound.
func First[T any](q *Query) (T, error) {
	doc, err := q.First()
	if err == nil && doc == nil {
		err = q.errorf("first: %w", ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeAs[T](doc)
}

// Unique returns the only document the query matches decoded into T; no
// match is an error wrapping ErrNotFound, and more than one is an error
// as for Query.Unique.
func Unique[T any](q *Query) (T, error) {
	doc, err := q.Unique()
	if err == nil && doc == nil {
		err = q.errorf("unique: %w", ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeAs[T](doc)
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
	p, err := q.Paginate(numItems, cursor)
	if err != nil {
		return PageOf[T]{}, err
	}
	docs, err := decodeAll[T](p.Page)
	if err != nil {
		return PageOf[T]{}, err
	}
	return PageOf[T]{Page: docs, IsDone: p.IsDone, ContinueCursor: p.ContinueCursor, raw: p}, nil
}
