package strata

import (
	"errors"
	"fmt"
	"math"
)

// Limits caps the work of one application transaction (a function given
// to DB.Query or DB.Mutation, or a query or mutation of package
// functions), as Convex does, so that a runaway query or mutation fails
// with a clear error instead of holding the database. Set them with
// WithLimits; a zero field takes its default.
//
// What counts, in application tables only (reads and writes of system
// tables, whose names start with "_", are strata's own bookkeeping and
// are not counted):
//   - DocumentsRead: every document a query examines (Take, First,
//     Unique, Collect, Each, Paginate, and Count with a Filter), whether
//     or not its Filter keeps it, and every document Get or GetMany
//     finds. Count without a Filter reads index entries only and is not
//     counted; neither is the read of the old document by Patch, Replace
//     or Delete.
//   - DocumentsWritten: every Insert, Patch, Replace, Delete and Import
//     (each call counts once, even on the same document).
//   - BytesWritten: the encoded size of every document version written
//     by Insert, Patch, Replace and Import.
//
// The write that would take a count past its limit, or the read that
// does, fails with a *LimitError and does nothing; the transaction then
// fails with that error, even if the function returns nil, and nothing of
// it is committed. A transaction that hits a limit is not retried.
//
// Exempt: strata's own work, which either batches itself or must be all or
// nothing — schema pushes and their checks of existing documents, index
// builds, migrations (their batches, MigrateOne and MigrateBatch
// callbacks, dry runs and bookkeeping), the scheduler's bookkeeping (the
// job's own handler is limited), Copy (which opens no DB), and the
// command line's import, export, data, copy and scheduled commands.
type Limits struct {
	// DocumentsRead caps the documents a transaction reads; default
	// DefaultDocumentsRead.
	DocumentsRead int64
	// DocumentsWritten caps the documents a transaction writes; default
	// DefaultDocumentsWritten.
	DocumentsWritten int64
	// BytesWritten caps the bytes of documents a transaction writes;
	// default DefaultBytesWritten.
	BytesWritten int64
}

// The default limits, those of Convex.
const (
	DefaultDocumentsRead    = 32000
	DefaultDocumentsWritten = 16000
	DefaultBytesWritten     = 16 << 20
)

// NoLimit as a field of Limits lifts that limit.
const NoLimit = math.MaxInt64

// withDefaults returns l with every zero field set to its default, or an
// error naming a negative field.
func (l Limits) withDefaults() (Limits, error) {
	for _, f := range []struct {
		name string
		v    *int64
		def  int64
	}{
		{"DocumentsRead", &l.DocumentsRead, DefaultDocumentsRead},
		{"DocumentsWritten", &l.DocumentsWritten, DefaultDocumentsWritten},
		{"BytesWritten", &l.BytesWritten, DefaultBytesWritten},
	} {
		if *f.v < 0 {
			return l, fmt.Errorf("limits: %s is %d: want a positive number, 0 for the default (%d) or strata.NoLimit", f.name, *f.v, f.def)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return l, nil
}

// Option configures Open.
type Option func(*options)

type options struct {
	limits Limits
}

// WithLimits sets the per-transaction limits of application queries and
// mutations (see Limits). A negative field makes Open fail.
func WithLimits(l Limits) Option {
	return func(o *options) { o.limits = l }
}

// ErrLimitExceeded is wrapped by every *LimitError.
var ErrLimitExceeded = errors.New("transaction limit exceeded")

// LimitError reports a transaction that went past one of its Limits;
// nothing of it was committed. Callers branch on it with errors.As (or
// errors.Is with ErrLimitExceeded).
type LimitError struct {
	// Function is the function the transaction ran (package functions),
	// or "" for a function given to DB.Query or DB.Mutation directly.
	Function string
	// Kind is "query" or "mutation".
	Kind string
	// Limit names the limit: "documents read", "documents written" or
	// "bytes written".
	Limit string
	// Max is the limit; Count is the count that went past it.
	Max, Count int64
}

func (e *LimitError) Error() string {
	who := e.Kind
	if e.Function != "" {
		who = fmt.Sprintf("%s %q", e.Kind, e.Function)
	}
	field := map[string]string{"documents read": "DocumentsRead", "documents written": "DocumentsWritten", "bytes written": "BytesWritten"}[e.Limit]
	return fmt.Sprintf("strata: %s: %v: %s %d, over the limit of %d per transaction (strata.Limits.%s); nothing was committed", who, ErrLimitExceeded, e.Limit, e.Count, e.Max, field)
}

func (e *LimitError) Unwrap() error { return ErrLimitExceeded }

// txCounts is what a limited transaction has done so far.
type txCounts struct {
	read, written, bytes int64
	err                  *LimitError // the first limit exceeded
	function             string      // see system.Core.NameTransaction
}

// countRead counts n documents read from table.
func (tx *Tx) countRead(table string, n int64) error {
	if !tx.limited || isSystemTable(table) {
		return nil
	}
	tx.counts.read += n
	if tx.counts.read > tx.db.limits.DocumentsRead {
		return tx.exceeded("documents read", tx.db.limits.DocumentsRead, tx.counts.read)
	}
	return nil
}

// countWrite counts one document written to table, of size bytes (0 for
// a delete), before it is written: an error means it must not be.
func (tx *Tx) countWrite(table string, size int) error {
	if !tx.limited || isSystemTable(table) {
		return nil
	}
	c := &tx.counts
	if c.written+1 > tx.db.limits.DocumentsWritten {
		return tx.exceeded("documents written", tx.db.limits.DocumentsWritten, c.written+1)
	}
	if c.bytes+int64(size) > tx.db.limits.BytesWritten {
		return tx.exceeded("bytes written", tx.db.limits.BytesWritten, c.bytes+int64(size))
	}
	c.written++
	c.bytes += int64(size)
	return nil
}

func isSystemTable(table string) bool { return table != "" && table[0] == '_' }

// exceeded records (the first time) and returns the error of a limit
// exceeded.
func (tx *Tx) exceeded(limit string, max, count int64) error {
	kind := "query"
	if tx.writable {
		kind = "mutation"
	}
	e := &LimitError{Function: tx.counts.function, Kind: kind, Limit: limit, Max: max, Count: count}
	if tx.counts.err == nil {
		tx.counts.err = e
	}
	return e
}
