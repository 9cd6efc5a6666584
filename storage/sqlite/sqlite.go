package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata/storage"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

func init() {
	storage.Register("sqlite", Driver{})
}

// FormatVersion is the version of the storage layout this package writes
// into the strata_meta table. Open refuses files with a newer version and
// upgrades files with an older one.
const FormatVersion = 3

// DefaultBusyTimeout is how long a write transaction waits for the write
// lock held by another process (another connection to the same file)
// before failing with an error wrapping storage.ErrConflict, unless the
// URL sets busy_timeout. It is long because writers take turns: a writer
// queued behind another process's large import must wait for it rather
// than fail.
const DefaultBusyTimeout = 60 * time.Second

// Driver opens SQLite backends for the "sqlite" URL scheme. The zero value
// is ready to use.
type Driver struct{}

var _ storage.Driver = Driver{}

// Open opens the database named by a sqlite:PATH URL; see Open.
func (Driver) Open(ctx context.Context, url string) (storage.Backend, error) {
	b, err := Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// config is the parsed form of a sqlite URL.
type config struct {
	path               string // absolute
	synchronous        string
	busyTimeout        time.Duration
	readers            int
	checkpointInterval time.Duration
	checkpointPages    int64
	cacheMiB           int
}

// parseURL parses "sqlite:PATH?params" (the "sqlite:" prefix is optional).
func parseURL(raw string) (config, error) {
	cfg := config{
		synchronous:        "FULL",
		busyTimeout:        DefaultBusyTimeout,
		readers:            max(4, runtime.GOMAXPROCS(0)),
		checkpointInterval: time.Second,
		checkpointPages:    defaultCheckpointPages,
		cacheMiB:           64,
	}
	rest := strings.TrimPrefix(raw, "sqlite:")
	rest = strings.TrimPrefix(rest, "//")
	if storage.IsKeyValueConnString(rest) {
		return cfg, fmt.Errorf("sqlite: open: %q looks like a PostgreSQL key=value connection string, not a file path: write it as a URL, postgres://user:password@host:port/dbname?sslmode=disable", storage.Redact(rest))
	}
	shown := storage.Redact(raw)
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		return cfg, fmt.Errorf("sqlite: open %q: empty path (want sqlite:PATH)", shown)
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return cfg, fmt.Errorf("sqlite: open %q: want a file path, not %q", shown, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return cfg, fmt.Errorf("sqlite: open %q: %w", shown, err)
	}
	cfg.path = abs
	params, err := url.ParseQuery(query)
	if err != nil {
		return cfg, fmt.Errorf("sqlite: open %q: bad query: %w", shown, err)
	}
	for key, vals := range params {
		v := vals[len(vals)-1]
		switch key {
		case "synchronous":
			switch s := strings.ToUpper(v); s {
			case "OFF", "NORMAL", "FULL", "EXTRA":
				cfg.synchronous = s
			default:
				return cfg, fmt.Errorf("sqlite: open %q: synchronous=%q: want off, normal, full or extra", shown, v)
			}
		case "busy_timeout":
			d, err := parseDuration(v)
			if err != nil {
				return cfg, fmt.Errorf("sqlite: open %q: busy_timeout: %w", shown, err)
			}
			cfg.busyTimeout = d
		case "checkpoint_interval":
			d, err := parseDuration(v)
			if err != nil || d <= 0 {
				return cfg, fmt.Errorf("sqlite: open %q: checkpoint_interval=%q: want a positive duration", shown, v)
			}
			cfg.checkpointInterval = d
		case "checkpoint_pages":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 || n > 1<<30 {
				return cfg, fmt.Errorf("sqlite: open %q: checkpoint_pages=%q: want a positive integer", shown, v)
			}
			cfg.checkpointPages = n
		case "cache_mib":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1<<16 {
				return cfg, fmt.Errorf("sqlite: open %q: cache_mib=%q: want an integer in [1, 65536]", shown, v)
			}
			cfg.cacheMiB = n
		case "readers":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1024 {
				return cfg, fmt.Errorf("sqlite: open %q: readers=%q: want an integer in [1, 1024]", shown, v)
			}
			cfg.readers = n
		default:
			return cfg, fmt.Errorf("sqlite: open %q: unknown parameter %q (known: synchronous, busy_timeout, readers, checkpoint_interval, checkpoint_pages, cache_mib)", shown, key)
		}
	}
	return cfg, nil
}

// parseDuration accepts a Go duration ("5s") or a number of milliseconds.
func parseDuration(v string) (time.Duration, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		if ms < 0 || ms > 1<<31 {
			return 0, fmt.Errorf("%q out of range", v)
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration such as 5s or milliseconds", v)
	}
	return d, nil
}

// dsn is the modernc.org/sqlite data source name of one kind of connection.
func (c config) dsn(reader bool) string {
	q := url.Values{}
	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", c.busyTimeout.Milliseconds()),
		"synchronous(" + c.synchronous + ")",
		"wal_autocheckpoint(0)",
		"foreign_keys(0)",
		"mmap_size(268435456)",
		// A page cache of 64 MiB by default (SQLite's is 2 MiB): pages
		// in the WAL are read with pread, not through the mmap, so a
		// write connection that re-reads what it just wrote would
		// otherwise read them from the file again. It grows only as it
		// is used.
		fmt.Sprintf("cache_size(%d)", -c.cacheMiB*1024),
	}
	if reader {
		pragmas = append(pragmas, "query_only(1)")
	} else {
		pragmas = append(pragmas, "journal_mode(WAL)")
	}
	q["_pragma"] = pragmas
	return c.path + "?" + q.Encode()
}

// Backend is an open SQLite database. It implements storage.Backend and
// is safe for concurrent use; see the package documentation for its
// concurrency and durability guarantees.
type Backend struct {
	cfg config

	wdb    *sql.DB // the write connection and the checkpoint connection
	writer *conn   // the single write connection, guarded by token
	ckpt   *conn   // used only by the checkpointer and Close
	// token is the fair write queue: a write transaction holds the only
	// slot from Begin to Commit/Rollback. Blocked senders on a Go channel
	// are served in FIFO order, so writers get turns in arrival order.
	token chan struct{}
	// waiting counts the write transactions blocked on token.
	waiting atomic.Int32

	readers readPool

	mu      sync.Mutex
	closed  bool
	closing chan struct{} // closed by Close
	open    map[*tx]struct{}

	key []byte // the database's secret; see DatabaseKey

	walPages  atomic.Int64 // appended by this process since the last checkpoint
	ckptNudge chan struct{}
	ckptDone  chan struct{}
}

var _ storage.Backend = (*Backend)(nil)

// Open opens (creating if needed) the database at a "sqlite:PATH?params"
// URL (the "sqlite:" prefix may be omitted) and returns a ready Backend.
// It fails if the file holds a newer strata format, and upgrades an older
// one in one transaction.
func Open(ctx context.Context, rawURL string) (*Backend, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	b := &Backend{
		cfg:       cfg,
		token:     make(chan struct{}, 1),
		closing:   make(chan struct{}),
		open:      map[*tx]struct{}{},
		ckptNudge: make(chan struct{}, 1),
		ckptDone:  make(chan struct{}),
	}
	if err := b.init(ctx); err != nil {
		b.closeConns()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.path, err)
	}
	go b.checkpointLoop()
	return b, nil
}

func (b *Backend) init(ctx context.Context) error {
	wdb, err := sql.Open("sqlite", b.cfg.dsn(false))
	if err != nil {
		return err
	}
	b.wdb = wdb
	wdb.SetMaxOpenConns(2)
	wdb.SetMaxIdleConns(2)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if b.writer, err = newConn(ctx, wdb); err != nil {
		return mapErr(err)
	}
	if err := b.migrate(ctx); err != nil {
		return err
	}
	if err := b.loadKey(ctx); err != nil {
		return err
	}
	if b.ckpt, err = newConn(ctx, wdb); err != nil {
		return mapErr(err)
	}
	rdb, err := sql.Open("sqlite", b.cfg.dsn(true))
	if err != nil {
		return err
	}
	rdb.SetMaxOpenConns(b.cfg.readers)
	rdb.SetMaxIdleConns(b.cfg.readers)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	b.readers.init(rdb, b.cfg.readers)
	return nil
}

// upgrades[v] turns a database of format v into format v+1, inside the
// transaction that migrate holds. Format 0 is a file without strata tables.
var upgrades = []func(ctx context.Context, c *conn) error{
	0: func(ctx context.Context, c *conn) error {
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS strata_documents (
				tbl TEXT NOT NULL, id BLOB NOT NULL, body BLOB NOT NULL,
				PRIMARY KEY (tbl, id)) WITHOUT ROWID`,
			`CREATE TABLE IF NOT EXISTS strata_index (
				tbl TEXT NOT NULL, idx TEXT NOT NULL, key BLOB NOT NULL, id BLOB NOT NULL,
				PRIMARY KEY (tbl, idx, key)) WITHOUT ROWID`,
		} {
			if _, err := c.c.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	},
	1: addKey,
	// Format 3 changes no table: strata_meta may hold rows of
	// storage.Metadata, and strata's index keys order floats by IEEE
	// totalOrder (the root package re-keys entries of format 1 keys and
	// records that in metadata). The bump makes builds of strata from
	// before it refuse the database rather than write keys of the old
	// format into it.
	2: func(ctx context.Context, c *conn) error { return nil },
}

// migrate checks the format version and brings the file to FormatVersion.
// It first reads the version without any lock a writer could be holding
// (a WAL read), so opening a database that is already current never waits
// for another process's write transaction; only a file that must be
// created or upgraded takes the write lock (BEGIN IMMEDIATE, waiting up to
// busy_timeout), reads the version again under it and changes the layout
// in that one transaction: the only place where the layout changes.
func (b *Backend) migrate(ctx context.Context) error {
	version, err := b.readFormat(ctx)
	if err != nil {
		return err
	}
	if err := checkFormat(version); err != nil || version == FormatVersion {
		return err
	}
	return b.upgrade(ctx)
}

// readFormat returns the format version stored in the file, 0 for a file
// without strata_meta (new, or not yet upgraded). It runs in autocommit
// mode: in WAL mode a read never waits for a writer.
func (b *Backend) readFormat(ctx context.Context) (int64, error) {
	c := b.writer.c
	var n int64
	if err := c.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'strata_meta'`).Scan(&n); err != nil {
		return 0, mapErr(err)
	}
	if n == 0 {
		return 0, nil
	}
	var version int64
	err := c.QueryRowContext(ctx, `SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, mapErr(err)
	}
	return version, nil
}

// checkFormat refuses a version this build cannot read.
func checkFormat(version int64) error {
	if version > FormatVersion {
		return fmt.Errorf("database format version %d is newer than format version %d that this build of strata supports; upgrade strata", version, FormatVersion)
	}
	if version < 0 {
		return fmt.Errorf("invalid database format version %d", version)
	}
	return nil
}

// upgrade creates or upgrades the layout under the write lock. Another
// process may have done it between readFormat and the lock: the version is
// read again under the lock.
func (b *Backend) upgrade(ctx context.Context) (err error) {
	c := b.writer.c
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return mapErr(err)
	}
	defer func() {
		if err != nil {
			_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS strata_meta (
		name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		return mapErr(err)
	}
	var version int64
	err = c.QueryRowContext(ctx, `SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return mapErr(err)
	}
	if err := checkFormat(version); err != nil {
		return err
	}
	if version == FormatVersion {
		_, err = c.ExecContext(ctx, "COMMIT")
		return mapErr(err)
	}
	for v := version; v < FormatVersion; v++ {
		if err := upgrades[v](ctx, b.writer); err != nil {
			return fmt.Errorf("upgrade format %d to %d: %w", v, v+1, mapErr(err))
		}
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO strata_meta (name, value) VALUES ('format', ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, FormatVersion); err != nil {
		return mapErr(err)
	}
	_, err = c.ExecContext(ctx, "COMMIT")
	return mapErr(err)
}

// Path returns the absolute path of the database file.
func (b *Backend) Path() string { return b.cfg.path }

// Begin starts a transaction. A write transaction first waits for its turn
// in the process's FIFO write queue, then takes SQLite's write lock (BEGIN
// IMMEDIATE), waiting up to busy_timeout for other processes; failing that
// it returns an error wrapping storage.ErrConflict. A read transaction
// takes its snapshot before Begin returns. ctx bounds the wait and every
// statement of the transaction: once it is done, they fail. Begin after
// Close returns an error wrapping storage.ErrClosed.
func (b *Backend) Begin(ctx context.Context, writable bool) (storage.Tx, error) {
	return b.begin(ctx, writable, false)
}

var _ storage.RelaxedBeginner = (*Backend)(nil)

// BeginRelaxed starts a write transaction that commits with
// synchronous=NORMAL: without an fsync of the WAL, so a power loss may
// undo it until a later commit at the configured level (FULL by default)
// syncs the WAL. With synchronous=normal or off configured it is Begin.
func (b *Backend) BeginRelaxed(ctx context.Context) (storage.Tx, error) {
	return b.begin(ctx, true, b.cfg.synchronous == "FULL" || b.cfg.synchronous == "EXTRA")
}

func (b *Backend) begin(ctx context.Context, writable, relaxed bool) (storage.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
	select {
	case <-b.closing:
		return nil, fmt.Errorf("sqlite: begin: %w", storage.ErrClosed)
	default:
	}
	t := &tx{b: b, ctx: ctx, quick: context.WithoutCancel(ctx), writable: writable}
	if writable {
		select {
		case b.token <- struct{}{}:
		default:
			b.waiting.Add(1)
			select {
			case b.token <- struct{}{}:
				b.waiting.Add(-1)
			case <-ctx.Done():
				b.waiting.Add(-1)
				return nil, fmt.Errorf("sqlite: begin: waiting for the write queue: %w", ctx.Err())
			case <-b.closing:
				b.waiting.Add(-1)
				return nil, fmt.Errorf("sqlite: begin: %w", storage.ErrClosed)
			}
		}
		t.c = b.writer
	} else {
		c, err := b.readers.get(ctx, b.closing)
		if err != nil {
			return nil, fmt.Errorf("sqlite: begin: %w", err)
		}
		t.c = c
	}
	// Hold t.mu until the transaction is started, so that a concurrent
	// Close waits for Begin before aborting it.
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := b.register(t); err != nil {
		t.state = txDone
		t.release(true)
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
	var err error
	if writable {
		if relaxed {
			// The safety level cannot change inside a transaction: set it
			// before BEGIN; release restores it (also if this statement
			// failed after taking effect).
			t.relaxed = true
			_, err = t.c.exec(ctx, stmtSyncNormal)
		}
		if err == nil {
			_, err = t.c.exec(ctx, stmtBeginImmediate)
		}
	} else {
		// A deferred transaction takes its snapshot at its first read,
		// as storage.Backend allows; reading here instead would cost a
		// statement per transaction (strata's first read, the schema
		// head, comes next anyway). BEGIN DEFERRED waits for no lock.
		_, err = t.c.exec(t.quick, stmtBegin)
	}
	if err != nil {
		// A BEGIN that reported an error (one interrupted by its context,
		// say) may still have opened a transaction: end it whatever
		// happened, so that the connection goes back to the pool outside
		// any transaction (rollbackStmt tolerates "no transaction is
		// active"), or is discarded if even that fails.
		t.finishLocked(txDone, t.rollbackStmt())
		return nil, fmt.Errorf("sqlite: begin: %w", mapErr(err))
	}
	return t, nil
}

func (b *Backend) register(t *tx) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return storage.ErrClosed
	}
	b.open[t] = struct{}{}
	return nil
}

func (b *Backend) unregister(t *tx) {
	b.mu.Lock()
	delete(b.open, t)
	b.mu.Unlock()
}

// Close aborts the transactions still open (their methods then return
// errors wrapping storage.ErrTxDone and storage.ErrClosed), stops the
// checkpointer, runs a final checkpoint and closes every connection.
// Close is idempotent.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.closing)
	open := make([]*tx, 0, len(b.open))
	for t := range b.open {
		open = append(open, t)
	}
	b.mu.Unlock()

	for _, t := range open {
		t.abort()
	}
	<-b.ckptDone
	// Take the write token so that no Begin is between acquiring it and
	// noticing the close; none can take it after this.
	b.token <- struct{}{}
	err := b.closeConns()
	if err != nil {
		return fmt.Errorf("sqlite: close %s: %w", b.cfg.path, err)
	}
	return nil
}

// closeConns closes every connection, checkpointing first when possible.
func (b *Backend) closeConns() error {
	var errs []error
	errs = append(errs, b.readers.close())
	if b.ckpt != nil {
		if _, err := b.ckpt.c.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			errs = append(errs, fmt.Errorf("final checkpoint: %w", err))
		}
		errs = append(errs, b.ckpt.close())
	}
	if b.writer != nil {
		errs = append(errs, b.writer.close())
	}
	if b.wdb != nil {
		errs = append(errs, b.wdb.Close())
	}
	return errors.Join(errs...)
}

// defaultCheckpointPages is the default number of pages this process
// appends to the WAL after which the checkpointer runs before its timer
// fires. Not fewer: each checkpoint fsyncs the database file, which
// delays the fsync of concurrent commits.
const defaultCheckpointPages = 10000

// noteWALPages adds the pages the write connection appended to the WAL
// since the last call (SQLite's per-connection CACHE_WRITE counter) and
// wakes the checkpointer once enough have accumulated. It never blocks.
func (b *Backend) noteWALPages(c *conn) {
	var pages int
	err := c.c.Raw(func(dc any) error {
		st, ok := dc.(sqlite3.DBStatus)
		if !ok {
			return errors.New("no DBStatus")
		}
		var err error
		pages, _, err = st.Status(sqlite3.DBStatusCacheWrite, true)
		return err
	})
	if err != nil || pages <= 0 {
		return
	}
	if b.walPages.Add(int64(pages)) >= b.cfg.checkpointPages {
		select {
		case b.ckptNudge <- struct{}{}:
		default:
		}
	}
}

// checkpointLoop runs PASSIVE checkpoints on its own connection until
// Close. PASSIVE checkpoints never wait for locks, so they delay neither
// readers nor writers.
func (b *Backend) checkpointLoop() {
	defer close(b.ckptDone)
	t := time.NewTicker(b.cfg.checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-b.closing:
			return
		case <-t.C:
		case <-b.ckptNudge:
		}
		b.walPages.Store(0)
		// Errors are transient (the next run retries) and have no caller
		// to report to; the final checkpoint in Close reports its own.
		_, _ = b.ckpt.c.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// mapErr makes SQLite's busy and locked errors wrap storage.ErrConflict:
// they mean another connection held a lock for longer than busy_timeout,
// and the transaction may succeed if retried.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED:
			return fmt.Errorf("%w: %w", storage.ErrConflict, err)
		}
	}
	return err
}
