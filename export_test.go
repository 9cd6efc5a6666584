package strata

import (
	"fmt"
	"time"

	"github.com/strata-db/strata/storage"
)

// PushOptionsBeforePending returns o with a hook called just before Push
// registers its pending schema, for tests that force an interleaving.
func PushOptionsBeforePending(o PushOptions, f func()) PushOptions {
	o.beforePending = f
	return o
}

// BackendOf returns the storage backend of db, for tests that work below
// the document layer (to damage data, or as a raw baseline).
func BackendOf(db *DB) storage.Backend { return db.backend }

// IndexKey is the key of doc (a stored document) in ix, as strata writes
// it to storage.
var IndexKey = storedIndexKey

// TakesTurns reports whether the write transactions of tx's backend run
// one at a time (storage.Waiters).
func TakesTurns(tx *Tx) bool {
	_, ok := tx.st.(storage.Waiters)
	return ok
}

// CheckSystemWrite is the core's own check of a privileged write to
// table in tx (a system table, a writable transaction), which every
// grant is subject to.
func CheckSystemWrite(tx *Tx, table string) error { return tx.systemWrite(table) }

// PushOptionsOnIndexed returns o with a hook called in an index build's
// transaction after each document it indexed.
func PushOptionsOnIndexed(o PushOptions, f func()) PushOptions {
	o.onIndexed = f
	return o
}

// SetBuildLease sets how long an index build runner's lease lasts after
// its last batch, for the helper processes of the kill tests (never in a
// process running other tests).
func SetBuildLease(d time.Duration) { buildLease = d }

// SetMapPathOnly makes the typed reads (Get, Collect, First, Unique,
// Paginate) take the map path only, or (false) decode records straight
// into their Go values where they can, as they do by default.
func SetMapPathOnly(on bool) { mapPathOnly.Store(on) }

// The typed reads as they were before they decoded records straight into
// Go values: the map path (decode to a Doc, then Decode), kept verbatim
// as the reference the direct path is compared with.

func MapGet[T any](tx *Tx, id ID) (T, error) {
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

func MapCollect[T any](q *Query) ([]T, error) {
	docs, err := q.Collect()
	if err != nil {
		return nil, err
	}
	return mapDecodeAll[T](docs)
}

func mapDecodeAll[T any](docs []Doc) ([]T, error) {
	out := make([]T, len(docs))
	for i, d := range docs {
		if err := Decode(d, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func MapFirst[T any](q *Query) (T, error) {
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

func MapUnique[T any](q *Query) (T, error) {
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

func MapPaginate[T any](q *Query, numItems int, cursor string) (PageOf[T], error) {
	p, err := q.Paginate(numItems, cursor)
	if err != nil {
		return PageOf[T]{}, err
	}
	docs, err := mapDecodeAll[T](p.Page)
	if err != nil {
		return PageOf[T]{}, err
	}
	p.Page = nil // (a change: PageOf no longer keeps the Docs, which nothing reads)
	return PageOf[T]{Page: docs, IsDone: p.IsDone, ContinueCursor: p.ContinueCursor, raw: p}, nil
}

// TxStatsHooks runs what runWith adds to a committed write transaction
// for the counters of DB.TxStats, for the benchmark of their cost.
func TxStatsHooks(db *DB) {
	start := time.Now()
	db.txStats.committed(time.Since(start))
}
