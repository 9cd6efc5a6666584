package strata

import (
	"errors"
	"fmt"

	"github.com/strata-db/strata/storage"
)

// ErrConflict is wrapped by the error of a transaction function that kept
// losing serialization races after every retry.
var ErrConflict = storage.ErrConflict

// ErrReadOnly is returned by a write inside a Query (read-only) transaction.
var ErrReadOnly = errors.New("strata: write in a read-only transaction (use Mutation)")

// ErrClosed is returned by every method of a closed DB.
var ErrClosed = errors.New("strata: database is closed")

// WriteError reports a write that was refused; nothing was written.
// Callers branch on it with errors.As.
type WriteError struct {
	Op    string // "insert", "patch", "replace", "delete", "import"
	Table string
	ID    ID // the document, if it had an id yet
	Err   error
}

func (e *WriteError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("strata: %s %s %s: %v", e.Op, e.Table, e.ID, e.Err)
	}
	return fmt.Sprintf("strata: %s %s: %v", e.Op, e.Table, e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

// QueryError reports a malformed query: an unknown table or index, a range
// that does not follow the index's fields, a bad filter or cursor.
type QueryError struct {
	Table string
	Index string
	Err   error
}

func (e *QueryError) Error() string {
	if e.Index != "" {
		return fmt.Sprintf("strata: query %s.%s: %v", e.Table, e.Index, e.Err)
	}
	return fmt.Sprintf("strata: query %s: %v", e.Table, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }
