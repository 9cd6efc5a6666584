package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"github.com/strata-db/strata/storage"
)

// stmtKind names one of the statements every connection prepares (lazily,
// once) and reuses for its lifetime.
type stmtKind int

const (
	stmtBegin stmtKind = iota
	stmtBeginImmediate
	stmtCommit
	stmtRollback
	stmtGet
	stmtPut
	stmtDelete
	stmtPutIndex
	stmtDeleteIndex
	stmtTablesFirst
	stmtTablesNext
	stmtDropTableDocs
	stmtDropTableIndex
	stmtDropIndex
	stmtScanDocs
	stmtSyncNormal
	stmtSyncFull
	stmtSyncExtra
	// stmtScan is the first of 8 scan statements, offset by scanVariant.
	stmtScan
	numStmts = stmtScan + 8
)

var stmtSQL = [numStmts]string{
	stmtBegin:          `BEGIN DEFERRED`,
	stmtBeginImmediate: `BEGIN IMMEDIATE`,
	stmtCommit:         `COMMIT`,
	stmtRollback:       `ROLLBACK`,
	stmtGet:            `SELECT body FROM strata_documents WHERE tbl = ? AND id = ?`,
	stmtPut: `INSERT INTO strata_documents (tbl, id, body) VALUES (?, ?, ?)
		ON CONFLICT (tbl, id) DO UPDATE SET body = excluded.body`,
	stmtDelete: `DELETE FROM strata_documents WHERE tbl = ? AND id = ?`,
	stmtPutIndex: `INSERT INTO strata_index (tbl, idx, key, id) VALUES (?, ?, ?, ?)
		ON CONFLICT (tbl, idx, key) DO UPDATE SET id = excluded.id`,
	stmtDeleteIndex:    `DELETE FROM strata_index WHERE tbl = ? AND idx = ? AND key = ?`,
	stmtTablesFirst:    `SELECT tbl FROM strata_documents ORDER BY tbl LIMIT 1`,
	stmtTablesNext:     `SELECT tbl FROM strata_documents WHERE tbl > ? ORDER BY tbl LIMIT 1`,
	stmtDropTableDocs:  `DELETE FROM strata_documents WHERE tbl = ?`,
	stmtDropTableIndex: `DELETE FROM strata_index WHERE tbl = ?`,
	stmtDropIndex:      `DELETE FROM strata_index WHERE tbl = ? AND idx = ?`,
	stmtScanDocs:       `SELECT id, body FROM strata_documents WHERE tbl = ? AND id >= ? ORDER BY id LIMIT ?`,
	stmtSyncNormal:     `PRAGMA synchronous = NORMAL`,
	stmtSyncFull:       `PRAGMA synchronous = FULL`,
	stmtSyncExtra:      `PRAGMA synchronous = EXTRA`,
}

func init() {
	for v := range 8 {
		reverse, bounded, keysOnly := v&1 != 0, v&2 != 0, v&4 != 0
		q := `SELECT e.key, e.id, d.body, d.id IS NOT NULL FROM strata_index e
			LEFT JOIN strata_documents d ON d.tbl = e.tbl AND d.id = e.id`
		if keysOnly {
			q = `SELECT e.key, e.id FROM strata_index e`
		}
		q += ` WHERE e.tbl = ? AND e.idx = ? AND e.key >= ?`
		if bounded {
			q += ` AND e.key < ?`
		}
		if reverse {
			q += ` ORDER BY e.key DESC`
		} else {
			q += ` ORDER BY e.key ASC`
		}
		q += ` LIMIT ?`
		stmtSQL[scanVariant(reverse, bounded, keysOnly)] = q
	}
}

// scanVariant is the statement for one combination of scan options.
func scanVariant(reverse, bounded, keysOnly bool) stmtKind {
	k := stmtScan
	if reverse {
		k++
	}
	if bounded {
		k += 2
	}
	if keysOnly {
		k += 4
	}
	return k
}

var errBrokenConn = errors.New("connection was discarded after an unrecoverable error")

// conn is one SQLite connection held for the backend's lifetime, with its
// prepared statements.
type conn struct {
	c      *sql.Conn
	stmts  [numStmts]*sql.Stmt
	puts   [putChunk + 1]*sql.Stmt // puts[n]: the upsert of n documents
	broken bool                    // discarded: every statement fails
}

func newConn(ctx context.Context, db *sql.DB) (*conn, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{c: c}, nil
}

// stmt returns the prepared statement k, preparing it on first use.
func (c *conn) stmt(ctx context.Context, k stmtKind) (*sql.Stmt, error) {
	if c.broken {
		return nil, errBrokenConn
	}
	if s := c.stmts[k]; s != nil {
		return s, nil
	}
	s, err := c.c.PrepareContext(ctx, stmtSQL[k])
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.stmts[k] = s
	return s, nil
}

func (c *conn) exec(ctx context.Context, k stmtKind, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, k)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *conn) query(ctx context.Context, k stmtKind, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, k)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// row is a *sql.Row or the error that prevented the query.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (c *conn) queryRow(ctx context.Context, k stmtKind, args ...any) row {
	s, err := c.stmt(ctx, k)
	if err != nil {
		return row{err: err}
	}
	return row{r: s.QueryRowContext(ctx, args...)}
}

// discard closes the connection without returning it to the database/sql
// pool, which would keep a connection whose transaction state is unknown.
func (c *conn) discard() {
	if c.broken {
		return
	}
	c.broken = true
	for i, s := range c.stmts {
		if s != nil {
			_ = s.Close()
			c.stmts[i] = nil
		}
	}
	for i, s := range c.puts {
		if s != nil {
			_ = s.Close()
			c.puts[i] = nil
		}
	}
	_ = c.c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.c.Close()
}

func (c *conn) close() error {
	if c.broken {
		return nil
	}
	var errs []error
	for i, s := range c.puts {
		if s != nil {
			errs = append(errs, s.Close())
			c.puts[i] = nil
		}
	}
	for i, s := range c.stmts {
		if s != nil {
			errs = append(errs, s.Close())
			c.stmts[i] = nil
		}
	}
	errs = append(errs, c.c.Close())
	return errors.Join(errs...)
}

// readPool hands out read connections, opening up to max lazily.
type readPool struct {
	mu     sync.Mutex // orders put with close
	closed bool
	db     *sql.DB
	free   chan *conn    // idle connections
	slots  chan struct{} // one element per open connection
}

func (p *readPool) init(db *sql.DB, max int) {
	p.db = db
	p.free = make(chan *conn, max)
	p.slots = make(chan struct{}, max)
}

// get returns an idle connection, opens a new one if fewer than max are
// open, or waits for one to be returned.
func (p *readPool) get(ctx context.Context, closing <-chan struct{}) (*conn, error) {
	select {
	case c := <-p.free:
		return c, nil
	default:
	}
	select {
	case c := <-p.free:
		return c, nil
	case p.slots <- struct{}{}:
		c, err := newConn(ctx, p.db)
		if err != nil {
			<-p.slots
			return nil, fmt.Errorf("open read connection: %w", mapErr(err))
		}
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a read connection: %w", ctx.Err())
	case <-closing:
		return nil, storage.ErrClosed
	}
}

// put returns a connection to the pool, or closes it if the pool is
// closed; it never blocks.
func (p *readPool) put(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.close()
		return
	}
	p.free <- c
}

// discard closes a connection that is in an unknown state.
func (p *readPool) discard(c *conn) {
	c.discard()
	<-p.slots
}

// close closes the idle connections and the pool. Callers make sure no
// connection is in use.
func (p *readPool) close() error {
	if p.db == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for {
		select {
		case c := <-p.free:
			errs = append(errs, c.close())
			<-p.slots
			continue
		default:
		}
		break
	}
	errs = append(errs, p.db.Close())
	return errors.Join(errs...)
}
