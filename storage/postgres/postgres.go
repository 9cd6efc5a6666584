package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-db/strata/storage"
)

func init() {
	storage.Register("postgres", Driver{})
}

// FormatVersion is the version of the storage layout this package writes
// into strata_meta. Open refuses a database with a newer version and
// upgrades one with an older version in one transaction.
const FormatVersion = 3

// Driver opens PostgreSQL backends for the "postgres" URL scheme
// (storage.Open maps "postgresql" to it). The zero value is ready to use.
type Driver struct{}

var _ storage.Driver = Driver{}

// Open opens the database named by a postgres:// URL; see Open.
func (Driver) Open(ctx context.Context, url string) (storage.Backend, error) {
	b, err := Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Backend is an open PostgreSQL store. It implements storage.Backend and
// storage.Clock (through its transactions) and is safe for concurrent use
// by many goroutines; many processes may open the same database.
type Backend struct {
	pool  *pgxpool.Pool // transactions
	gate  *gate         // hands pool's connections to transactions (park.go)
	clock *pgxpool.Pool // creation-time clock statements, never inside a transaction
	where string        // the URL without its password, for error messages
	key   []byte        // the database's secret; see DatabaseKey

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	open    map[*tx]struct{}

	// lockShortAt is when (unix nanoseconds) a statement last failed
	// because the server's lock table was full (53200); bulk transactions
	// begun within lockShortWindow of it lock relations, not rows.
	lockShortAt atomic.Int64

	clocks clocks // windows of creation times, by table; see ReserveCreationTimes
	// windows counts the windows of creation times reserved from the
	// server (statements on strata_clock that returned a row).
	windows atomic.Int64
	// connGen counts the connections the transaction pool has made; a
	// window of creation times is valid only while it is unchanged.
	connGen atomic.Int64
}

// lockShortWindow is how long after the server last ran out of lock
// memory (53200) transactions marked by storage.WithBulkRead lock the
// tables they read rather than their rows.
const lockShortWindow = time.Minute

// noteLockShortage records a 53200 error, if err is one.
func (b *Backend) noteLockShortage(err error) {
	if sqlState(err) == "53200" {
		b.lockShortAt.Store(time.Now().UnixNano())
	}
}

// lockShort reports whether the server ran out of lock memory lately.
func (b *Backend) lockShort() bool {
	at := b.lockShortAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < lockShortWindow
}

var _ storage.Backend = (*Backend)(nil)

// clockConns is the size of the separate pool that serves the
// creation-time clock, so that a transaction holding a connection of the
// main pool never waits for another one of the same pool.
const clockConns = 2

// redact returns raw with every password replaced by "xxxxx".
func redact(raw string) string { return storage.Redact(raw) }

// parseConfig parses a postgres:// URL into the two pool configurations.
func parseConfig(raw string) (*pgxpool.Config, *pgxpool.Config, error) {
	if strings.HasPrefix(raw, "postgresql:") {
		raw = "postgres:" + strings.TrimPrefix(raw, "postgresql:")
	}
	if !strings.HasPrefix(raw, "postgres://") {
		return nil, nil, errors.New(`want a URL of the form postgres://user:password@host:port/database?params`)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, password included: keep only
		// what is wrong with it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("bad URL: %w", err)
	}
	q := u.Query()
	// statement_timeout is a PostgreSQL setting that pgx passes to the
	// server at connection start; check it here so that a typo is an
	// error at open rather than a confusing server message.
	if v := q.Get("statement_timeout"); v != "" {
		ms, err := parseTimeout(v)
		if err != nil {
			return nil, nil, fmt.Errorf("statement_timeout=%q: %w", v, err)
		}
		q.Set("statement_timeout", fmt.Sprint(ms))
		u.RawQuery = q.Encode()
		raw = u.String()
	}
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("bad URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "strata"
	}
	clock := cfg.Copy()
	clock.MaxConns = clockConns
	clock.MinConns = 0
	// A window of creation times is used only on connections made after
	// it was reserved through this pool (see tableClock.gen), so its
	// commit need not wait for the WAL flush: any transaction that uses
	// a time of it commits later on the same server, and its own flush
	// covers the window's record.
	clock.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	return cfg, clock, nil
}

// parseTimeout accepts milliseconds ("5000") or a Go duration ("5s") and
// returns milliseconds; 0 disables the timeout.
func parseTimeout(v string) (int64, error) {
	var ms int64
	if _, err := fmt.Sscan(v, &ms); err == nil && fmt.Sprint(ms) == v {
		if ms < 0 || ms > 1<<31-1 {
			return 0, errors.New("out of range")
		}
		return ms, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > (1<<31-1)*time.Millisecond {
		return 0, errors.New("want milliseconds or a duration such as 5s")
	}
	if d > 0 && d < time.Millisecond {
		d = time.Millisecond
	}
	return d.Milliseconds(), nil
}

// Open connects to the PostgreSQL database named by a postgres:// URL,
// creates the strata tables if they are missing, and returns a ready
// Backend. It fails with a descriptive error if the server cannot be
// reached, refuses the credentials, has no such database, or holds a
// newer strata format; it upgrades an older format in one transaction.
// Several processes may open the same database at once.
func Open(ctx context.Context, rawURL string) (*Backend, error) {
	b, err := open(ctx, rawURL)
	// A driver's message may quote what it was given: keep the
	// passwords out of it whatever it says.
	return b, storage.RedactError(err, rawURL)
}

func open(ctx context.Context, rawURL string) (*Backend, error) {
	where := redact(rawURL)
	cfg, clockCfg, err := parseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	b := &Backend{where: where, closing: make(chan struct{}), open: map[*tx]struct{}{}}
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		b.connGen.Add(1)
		if after != nil {
			return after(ctx, c)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	b.pool = pool
	b.gate = newGate(pool)
	if err := b.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	if err := b.loadKey(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	if b.clock, err = pgxpool.NewWithConfig(ctx, clockCfg); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	return b, nil
}

// upgrades[v] turns a database of format v into format v+1 inside the
// migration transaction. Format 0 is a database without strata tables.
var upgrades = []func(ctx context.Context, t pgx.Tx) error{
	0: func(ctx context.Context, t pgx.Tx) error {
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS strata_documents (
				tbl text COLLATE "C" NOT NULL, id bytea NOT NULL, body bytea NOT NULL,
				PRIMARY KEY (tbl, id))`,
			`CREATE TABLE IF NOT EXISTS strata_index (
				tbl text COLLATE "C" NOT NULL, idx text COLLATE "C" NOT NULL,
				key bytea NOT NULL, id bytea NOT NULL,
				PRIMARY KEY (tbl, idx, key))`,
			`CREATE TABLE IF NOT EXISTS strata_clock (
				tbl text COLLATE "C" PRIMARY KEY, bits bigint NOT NULL)`,
		} {
			if _, err := t.Exec(ctx, q); err != nil {
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
	2: func(ctx context.Context, t pgx.Tx) error { return nil },
}

// readFormat returns the stored format version, 0 if there is none.
func readFormat(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int64, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) || sqlState(err) == "42P01" { // undefined_table
		return 0, nil
	}
	return v, err
}

func checkFormat(v int64) error {
	if v > FormatVersion {
		return fmt.Errorf("database format version %d is newer than format version %d that this build of strata supports; upgrade strata", v, FormatVersion)
	}
	if v < 0 {
		return fmt.Errorf("invalid database format version %d", v)
	}
	return nil
}

// migrate checks the format version and brings the database to
// FormatVersion in one serializable transaction. Processes opening the
// same fresh database at once race on creating the tables; the losers
// fail with a serialization or duplicate-object error and try again,
// then find the work done.
func (b *Backend) migrate(ctx context.Context) error {
	v, err := readFormat(ctx, b.pool)
	if err != nil {
		return mapErr(err)
	}
	if err := checkFormat(v); err != nil || v == FormatVersion {
		return err
	}
	var last error
	for attempt := 0; attempt < 20; attempt++ {
		err := b.migrateOnce(ctx)
		if err == nil {
			return nil
		}
		switch sqlState(err) {
		case "40001", "40P01", "53200", "23505", "42P07", "42710": // conflict, out of lock memory, unique, duplicate table/object
			last = err
			select {
			case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		return err
	}
	return fmt.Errorf("creating the strata tables kept conflicting with another process: %w", mapErr(last))
}

func (b *Backend) migrateOnce(ctx context.Context) (err error) {
	t, err := b.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return mapErr(err)
	}
	defer func() {
		if err != nil {
			_ = t.Rollback(context.Background())
		}
	}()
	if _, err := t.Exec(ctx, `CREATE TABLE IF NOT EXISTS strata_meta (
		name text COLLATE "C" PRIMARY KEY, value bigint NOT NULL)`); err != nil {
		return err
	}
	v, err := readFormat(ctx, t)
	if err != nil {
		return err
	}
	if err := checkFormat(v); err != nil {
		return err
	}
	for ; v < FormatVersion; v++ {
		if err := upgrades[v](ctx, t); err != nil {
			return fmt.Errorf("upgrade format %d to %d: %w", v, v+1, err)
		}
	}
	if _, err := t.Exec(ctx, `INSERT INTO strata_meta (name, value) VALUES ('format', $1)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, int64(FormatVersion)); err != nil {
		return err
	}
	return t.Commit(ctx)
}

// Begin starts a transaction on a pooled connection, waiting for one if
// all are busy (ctx bounds the wait). Every transaction is SERIALIZABLE;
// a read-only one is also READ ONLY. Every transaction sends its BEGIN
// together with its first statement, which takes its snapshot
// (storage.Backend allows that). A transaction begun with a context marked by
// storage.WithBulkRead within a minute after the server last ran out of
// lock memory (53200) takes one predicate lock per table it reads
// (strata_documents, strata_index) with its BEGIN, and none per row
// after that. Begin after Close returns an error wrapping
// storage.ErrClosed.
func (b *Backend) Begin(ctx context.Context, writable bool) (storage.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("postgres: begin: %w", err)
	}
	select {
	case <-b.closing:
		return nil, fmt.Errorf("postgres: begin: %w", storage.ErrClosed)
	default:
	}
	c, dirty, err := b.gate.acquire(ctx)
	if err != nil {
		select {
		case <-b.closing:
			return nil, fmt.Errorf("postgres: begin: %w", storage.ErrClosed)
		default:
		}
		return nil, fmt.Errorf("postgres: begin: %w", b.mapConnErr(err))
	}
	t := &tx{b: b, ctx: ctx, c: c, dirty: dirty, writable: writable, bulk: b.lockShort() && storage.IsBulkRead(ctx)}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := b.register(t); err != nil {
		t.state = txDone
		b.gate.release(c, dirty)
		return nil, fmt.Errorf("postgres: begin: %w", err)
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
// errors wrapping storage.ErrTxDone and storage.ErrClosed) and closes
// every connection. Close is idempotent.
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
	b.gate.close()
	b.pool.Close()
	b.clock.Close()
	return nil
}

// sqlState returns the SQLSTATE of a server error, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// mapConnErr maps an error of connecting or of a statement, naming the
// server for connection failures.
func (b *Backend) mapConnErr(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("cannot connect to %s: %w", b.where, describe(err))
	}
	return mapErr(err)
}

// describe explains the common ways connecting fails.
func describe(err error) error {
	switch sqlState(err) {
	case "28P01", "28000":
		return fmt.Errorf("authentication failed (wrong user or password?): %w", err)
	case "3D000":
		return fmt.Errorf("the database does not exist (create it with CREATE DATABASE or createdb): %w", err)
	case "57P03":
		return fmt.Errorf("the server is starting up or shutting down: %w", err)
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return fmt.Errorf("the server is unreachable (is it running, and is the host and port right?): %w", err)
	}
	return err
}

// mapErr gives server and connection errors a cause a reader can act on:
// serialization failures, deadlocks and a full lock table (53200, out of
// shared memory) wrap storage.ErrConflict; a
// statement timeout, a terminated session and a lost connection say so.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("cannot connect: %w", describe(err))
	}
	switch code := sqlState(err); code {
	case "40001", "40P01":
		return fmt.Errorf("%w: %w", storage.ErrConflict, err)
	case "53200":
		// Out of shared memory: under SERIALIZABLE, the server's table of
		// predicate locks (sized by max_pred_locks_per_transaction times
		// the connections) is full, usually because concurrent and
		// recently committed transactions hold many. The server aborted
		// the transaction and frees locks as transactions end: like a
		// serialization failure, a retry after a pause may succeed.
		return fmt.Errorf("%w: the server ran out of lock memory (raise max_pred_locks_per_transaction if this persists): %w", storage.ErrConflict, err)
	case "57014":
		if strings.Contains(err.Error(), "statement timeout") {
			return fmt.Errorf("statement timeout exceeded (see statement_timeout in the URL): %w", err)
		}
		return fmt.Errorf("statement canceled: %w", err)
	case "57P01", "57P02", "57P03":
		return fmt.Errorf("the server ended the session (restart, shutdown or pg_terminate_backend); the transaction was rolled back: %w", err)
	case "25006":
		return fmt.Errorf("%w: %w", storage.ErrReadOnly, err)
	case "":
	default:
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "conn closed") {
		return fmt.Errorf("the connection to the server was lost: %w", err)
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return fmt.Errorf("the connection to the server failed: %w", err)
	}
	return err
}
