// Package storagetest is the conformance suite every strata storage
// backend runs: one set of tests, identical on every engine, for the
// contract in package storage (byte order of keys, scans, transaction
// semantics, snapshot reads, serializability under concurrent writers,
// the optional interfaces a backend implements, and a randomized
// comparison against an in-memory model).
//
// A backend's test calls Run with a function that opens a fresh, empty
// store:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t testing.TB) storage.Backend {
//			b, err := sqlite.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { b.Close() })
//			return b
//		})
//	}
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/strata-db/strata/storage"
)

// Run runs the conformance suite as parallel subtests of t, each on a
// backend of its own. open must return a fresh, empty backend each time
// it is called (from several goroutines at once) and arrange for it to
// be closed when the test ends (t.Cleanup).
func Run(t *testing.T, open func(t testing.TB) storage.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b storage.Backend)
	}{
		{"CRUD", testCRUD},
		{"ReturnedSlicesAreCopies", testCopies},
		{"ScanBounds", testScanBounds},
		{"ScanLimit", testScanLimit},
		{"ScanKeysOnly", testScanKeysOnly},
		{"ScanMissingRecord", testScanMissingRecord},
		{"BinaryKeyOrder", testBinaryKeyOrder},
		{"PutIndexReplaces", testPutIndexReplaces},
		{"TablesDropTableDropIndex", testTablesDrop},
		{"RollbackLeavesNoTrace", testRollback},
		{"ReadOnlyRefusesWrites", testReadOnly},
		{"UseAfterEndIsErrTxDone", testTxDone},
		{"CanceledContext", testCanceledContext},
		{"ReadYourWrites", testReadYourWrites},
		{"SnapshotRead", testSnapshot},
		{"ReadDuringWrite", testReadDuringWrite},
		{"LostUpdate", testLostUpdate},
		{"WriteSkew", testWriteSkew},
		{"ConcurrentReadersAndWriters", testConcurrentReadersWriters},
		{"Enumerator", testEnumerate},
		{"GetMany", testGetMany},
		{"Inserter", testInserter},
		{"Count", testCount},
		{"RelaxedBegin", testRelaxed},
		{"IntegrityChecker", testIntegrity},
		{"IndexClearer", testIndexClearer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
	t.Run("Model", func(t *testing.T) { testModel(t, open) })
}

// Retry runs fn in a transaction and commits it, starting over while
// Begin, fn or Commit fails with an error wrapping storage.ErrConflict
// (with a short randomized backoff), as the layer above strata's storage
// does. It gives up when ctx is done or after 200 attempts. Any other
// error from fn rolls the transaction back and is returned as is.
func Retry(ctx context.Context, b storage.Backend, writable bool, fn func(tx storage.Tx) error) error {
	backoff := 100 * time.Microsecond
	for attempt := 1; ; attempt++ {
		err := runOnce(ctx, b, writable, fn)
		if err == nil || !errors.Is(err, storage.ErrConflict) {
			return err
		}
		if attempt >= 200 {
			return fmt.Errorf("storagetest: giving up after %d attempts: %w", attempt, err)
		}
		d := backoff/2 + rand.N(backoff)
		backoff = min(2*backoff, 20*time.Millisecond)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return fmt.Errorf("storagetest: retry: %w (last error: %w)", ctx.Err(), err)
		}
	}
}

func runOnce(ctx context.Context, b storage.Backend, writable bool, fn func(tx storage.Tx) error) error {
	tx, err := b.Begin(ctx, writable)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// update runs fn in a write transaction and fails the test on any error.
func update(t testing.TB, b storage.Backend, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := Retry(context.Background(), b, true, fn); err != nil {
		t.Fatalf("write transaction: %v", err)
	}
}

// view runs fn in a read-only transaction and fails the test on error.
func view(t testing.TB, b storage.Backend, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := Retry(context.Background(), b, false, fn); err != nil {
		t.Fatalf("read transaction: %v", err)
	}
}

func begin(t testing.TB, b storage.Backend, writable bool) storage.Tx {
	t.Helper()
	tx, err := b.Begin(context.Background(), writable)
	if err != nil {
		t.Fatalf("Begin(writable=%v): %v", writable, err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get returns the record of id in a fresh read transaction, or nil, false.
func get(t testing.TB, b storage.Backend, table string, id []byte) ([]byte, bool) {
	t.Helper()
	var body []byte
	var found bool
	view(t, b, func(tx storage.Tx) error {
		v, err := tx.Get(table, id)
		if errors.Is(err, storage.ErrNotFound) {
			body, found = nil, false
			return nil
		}
		body, found = v, err == nil
		return err
	})
	return body, found
}

func scan(t testing.TB, b storage.Backend, req storage.ScanRequest) []storage.Entry {
	t.Helper()
	var out []storage.Entry
	view(t, b, func(tx storage.Tx) error {
		var err error
		out, err = tx.Scan(req)
		return err
	})
	return out
}

func keysOf(es []storage.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%x", e.Key)
	}
	return out
}
