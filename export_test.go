package strata

import (
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

// TxStatsHooks runs what runWith adds to a committed write transaction
// for the counters of DB.TxStats, for the benchmark of their cost.
func TxStatsHooks(db *DB) {
	start := time.Now()
	db.txStats.committed(time.Since(start))
}
