package strata

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
)

// DB is a handle on a strata database. It is safe for concurrent use by
// many goroutines; open it once and share it.
type DB struct {
	backend storage.Backend
	url     string

	mu       sync.RWMutex
	schema   *schema.Schema // active schema; nil until one is set
	schemaAt []byte         // key of the _schemas document schema was loaded from
	state    *schemaState   // what that document says (pending push, index builds)
	closed   bool

	maxRetries int
	limits     Limits // of application transactions; see Limits
	cursorKey  []byte // keys the integrity check of cursors; see cursorKeyOf

	transforms atomic.Pointer[transformSet] // write transforms by table; see AddWriteTransform
	writers    writerSet                    // write transactions in flight in this process
	txStats    txCounters                   // see TxStats
}

// Open opens the database at url, creating it if it does not exist:
// "sqlite:PATH" for the embedded store (a bare path is taken as a SQLite
// file) or "postgres://..." for PostgreSQL. The backend of the scheme must
// be linked into the program by importing its package
// (github.com/strata-db/strata/storage/sqlite or .../storage/postgres);
// Open names the missing import otherwise. opts
// configure it (WithLimits); an invalid option makes Open fail before it
// touches the database.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	limits, err := o.limits.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("strata: open: %w", err)
	}
	url = storageURL(url)
	b, err := storage.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("strata: open: %w", err)
	}
	db := &DB{backend: b, url: url, maxRetries: 20, limits: limits, cursorKey: cursorKeyOf(b)}
	ctx = system.Unlimited(ctx)
	// Load the active schema once so read transactions start with it.
	if err := db.Query(ctx, func(tx *Tx) error { return nil }); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.refreshSchema(ctx); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.upgradeIndexKeys(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// cursorKeyOf derives the key of the cursors' integrity check from the
// backend's secret (storage.KeyHolder), so that a cursor is valid only for
// the database that made it, in every process and across restarts. A
// backend without a secret gets a fixed key: its cursors' check then
// catches changes made by mistake, but not forgeries.
func cursorKeyOf(b storage.Backend) []byte {
	secret := []byte("strata: no database secret")
	if kh, ok := b.(storage.KeyHolder); ok && len(kh.DatabaseKey()) > 0 {
		secret = kh.DatabaseKey()
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("strata pagination cursor"))
	return m.Sum(nil)
}

// Close closes the database. Transactions still running fail.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.mu.Unlock()
	return db.backend.Close()
}

// Schema returns the active schema, or nil if none has been set. The
// result must not be modified.
func (db *DB) Schema() *schema.Schema {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.schema
}

// Query runs fn in a read-only transaction that sees one consistent
// snapshot of the database. fn's error is returned; a panic in fn ends the
// transaction and continues.
func (db *DB) Query(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, false, fn)
}

// Mutation runs fn in a serializable read-write transaction that commits
// if fn returns nil and rolls back if it returns an error or panics (the
// panic continues after the rollback). If the transaction loses a
// serialization race, fn runs again from the start in a new transaction
// (with jittered backoff, a bounded number of times), so fn must not have
// effects outside the transaction other than through its result.
func (db *DB) Mutation(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, true, fn)
}

// MutationRelaxed runs fn as Mutation does, with the same isolation and
// retries, but lets its commit return before it reaches stable storage
// where the backend can (SQLite): a crash of the process loses nothing,
// but a crash of the operating system or a power loss may undo it,
// together with the relaxed commits after it, until an ordinary Mutation
// commits (which makes every earlier commit durable). A transaction is
// never partly undone. It suits work that is redone if lost, such as a
// backfill that records its own progress; on PostgreSQL it is an
// ordinary Mutation.
func (db *DB) MutationRelaxed(ctx context.Context, fn func(tx *Tx) error) error {
	return db.runWith(ctx, txMode{writable: true, relaxed: true}, fn)
}

// WriteBarrier returns once every write transaction of db that was
// running in this process when it was called has ended (committed or
// rolled back), or when ctx ends. A write transform added before the call
// (AddWriteTransform) therefore applies to every write that commits after
// WriteBarrier returns nil.
func (db *DB) WriteBarrier(ctx context.Context) error {
	return db.writers.wait(ctx)
}

func (db *DB) run(ctx context.Context, writable bool, fn func(tx *Tx) error) error {
	return db.runWith(ctx, txMode{writable: writable}, fn)
}

// txMode says what kind of transaction runWith runs.
type txMode struct {
	writable bool
	// relaxed asks the backend (storage.RelaxedBeginner) for a write
	// transaction whose commit need not wait for stable storage.
	relaxed bool
	// validated makes a read-only transaction read the schema head, as a
	// write transaction does, and commit instead of rolling back. A
	// serializable read is only guaranteed to be consistent with the
	// order of the transactions around it if it commits: PostgreSQL
	// validates a transaction's reads at commit and ignores those of one
	// that rolls back. Decisions that later transactions rely on (a
	// migration's high-water mark, a push's check of the data) are read
	// so: a writer that read the schema from before a switch and wrote
	// what the read missed then conflicts and retries under the new
	// schema, instead of slipping behind the read.
	validated bool
	// readHead makes a write transaction read the schema head before it
	// runs even when the backend could check the cached one with its
	// first round trip (storage.Assumer): after such a check failed.
	readHead bool
}

// runWith runs fn in a transaction of the given mode, retrying on
// conflicts.
func (db *DB) runWith(ctx context.Context, mode txMode, fn func(tx *Tx) error) error {
	backoff := time.Millisecond
	var start time.Time
	if mode.writable {
		start = time.Now()
	}
	for attempt := 0; ; attempt++ {
		err := db.runOnce(ctx, mode, fn)
		if err == nil && mode.writable {
			db.txStats.committed(time.Since(start))
		}
		if err == nil || !errors.Is(err, storage.ErrConflict) {
			return err
		}
		db.txStats.conflicts.Add(1)
		if errors.Is(err, storage.ErrAssumption) {
			mode.readHead = true // the cached schema is stale: reload it
		}
		if attempt >= db.maxRetries {
			db.txStats.gaveUp.Add(1)
			return fmt.Errorf("strata: transaction gave up after %d conflicting attempts: %w", attempt+1, err)
		}
		d := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			return fmt.Errorf("strata: transaction retry: %w", ctx.Err())
		case <-time.After(d):
		}
		db.txStats.retries.Add(1)
		if backoff < 100*time.Millisecond {
			backoff *= 2
		}
	}
}

func (db *DB) runOnce(ctx context.Context, mode txMode, fn func(tx *Tx) error) (err error) {
	writable, relaxed := mode.writable, mode.relaxed
	db.mu.RLock()
	closed, sch, sst := db.closed, db.schema, db.state
	db.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	var st storage.Tx
	if rb, ok := db.backend.(storage.RelaxedBeginner); ok && relaxed && writable {
		st, err = rb.BeginRelaxed(ctx)
	} else {
		st, err = db.backend.Begin(ctx, writable)
	}
	if err != nil {
		return fmt.Errorf("strata: begin: %w", err)
	}
	if writable {
		defer db.writers.start()()
	}
	tx := &Tx{db: db, st: st, ctx: ctx, writable: writable, schema: sch, state: sst}
	// Limits are for application code (relaxed mutations included):
	// validated transactions are strata's own, as is work under
	// system.Unlimited.
	tx.limited = !mode.validated && !system.IsUnlimited(ctx)
	committed := false
	defer func() {
		if !committed {
			st.Rollback()
		}
	}()
	assumed := false
	if writable && !relaxed && !mode.readHead && tx.assumeSchema() {
		// The backend checks the cached head with the transaction's
		// first round trip instead.
		assumed = true
	} else if writable || mode.validated {
		// A write transaction validates against the schema that is active
		// at its own snapshot, and reading it makes a concurrent schema
		// change conflict with this transaction.
		if err := tx.loadSchema(); err != nil {
			return err
		}
	} else if mode.readHead || !tx.assumeSchema() {
		// A read-only transaction reads documents through the shape chain
		// of its own snapshot: another process may have changed it (an
		// instant migration) since this DB cached the schema. The head is
		// checked with the first round trip where the backend can
		// (PostgreSQL), read otherwise (SQLite: a local B-tree lookup).
		if err := tx.loadSchema(); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		if assumed && !errors.Is(err, storage.ErrConflict) {
			// fn may have failed because the cached schema is stale (a
			// document the new schema accepts): check it before
			// reporting the error, and retry under the new one if so.
			if _, _, herr := headKey(st); errors.Is(herr, storage.ErrAssumption) {
				return herr
			}
		}
		return err
	}
	if tx.counts.err != nil {
		// fn went on after a limit refused it: the transaction fails.
		return tx.counts.err
	}
	if !writable && !mode.validated {
		return nil
	}
	if err := st.Commit(); err != nil {
		return fmt.Errorf("strata: commit: %w", err)
	}
	committed = true
	for _, fn := range tx.onCommit {
		fn()
	}
	return nil
}

// refreshSchema reloads the active schema in a short write-free read.
func (db *DB) refreshSchema(ctx context.Context) error {
	return db.Query(system.Unlimited(ctx), func(tx *Tx) error { return tx.loadSchema() })
}
