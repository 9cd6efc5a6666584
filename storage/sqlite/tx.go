package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/strata-db/strata/storage"
)

// errAborted is returned by a transaction that Close aborted.
var errAborted = fmt.Errorf("sqlite: transaction aborted by Close: %w: %w", storage.ErrClosed, storage.ErrTxDone)

type txState int

const (
	txActive txState = iota
	txDone
	txAborted
)

// tx implements storage.Tx on one connection: the write connection for a
// writable transaction, a pooled read connection otherwise.
type tx struct {
	b   *Backend
	ctx context.Context
	// quick is ctx without its cancellation, for statements that touch a
	// bounded number of rows and wait for no lock (see short).
	quick    context.Context
	c        *conn
	writable bool
	relaxed  bool // commits with synchronous=NORMAL; release restores the level

	// mu serializes the transaction's methods with Close, which may abort
	// it from another goroutine.
	mu     sync.Mutex
	state  txState
	failed error // first statement error of a write transaction
	putBuf putBuffer
}

// check reports why the transaction cannot run an operation. t.mu is held.
func (t *tx) check(write bool) error {
	switch t.state {
	case txDone:
		return storage.ErrTxDone
	case txAborted:
		return errAborted
	}
	if write && !t.writable {
		return storage.ErrReadOnly
	}
	if t.failed != nil {
		return fmt.Errorf("sqlite: transaction failed earlier, roll it back: %w", t.failed)
	}
	return nil
}

// short returns the context of a short statement: one that reads or
// writes a bounded number of rows (a point lookup, a limited scan, one
// index entry, a chunk of Puts) and waits for no lock. Such a statement
// does not watch ctx — with a cancellable context, database/sql and the
// driver would each start a goroutine per statement to interrupt it,
// which costs more than the statement — so short checks ctx before it
// instead: a done context still fails the transaction's next statement.
// Statements that may run long (counts, unbounded scans, integrity
// checks) and BEGIN IMMEDIATE, which waits for the write lock, keep ctx.
func (t *tx) short() (context.Context, error) {
	if err := t.ctx.Err(); err != nil {
		return nil, err
	}
	return t.quick, nil
}

// shortScanLimit is the largest Limit of a Scan that runs as a short
// statement.
const shortScanLimit = 4096

// fail records a statement error. A write transaction is then poisoned:
// SQLite may have rolled part or all of it back, so it must not commit.
func (t *tx) fail(op string, err error) error {
	err = fmt.Errorf("sqlite: %s: %w", op, mapErr(err))
	if t.writable && t.failed == nil {
		t.failed = err
	}
	return err
}

// nz returns b, or an empty non-nil slice that binds as a zero-length
// BLOB where nil would bind as NULL.
func nz(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Get returns a copy of the record of document id in table, or
// storage.ErrNotFound. A write transaction sees its own writes.
func (t *tx) Get(table string, id []byte) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	if body, ok := t.bufferedGet(table, id); ok {
		return body, nil
	}
	var body []byte
	ctx, err := t.short()
	if err == nil {
		err = t.c.queryRow(ctx, stmtGet, table, nz(id)).Scan(&body)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, t.fail("get", err)
	}
	return nz(body), nil
}

func (t *tx) write(op string, k stmtKind, args ...any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(true); err != nil {
		return err
	}
	if k != stmtPutIndex && k != stmtDeleteIndex {
		// It reads or removes documents: the buffered Puts go first.
		if err := t.flushPuts(op); err != nil {
			return err
		}
	}
	ctx := t.ctx
	if k == stmtPutIndex || k == stmtDeleteIndex || k == stmtDelete {
		var err error
		if ctx, err = t.short(); err != nil {
			return t.fail(op, err)
		}
	}
	if _, err := t.c.exec(ctx, k, args...); err != nil {
		return t.fail(op, err)
	}
	return nil
}

// Put inserts or replaces the record of document id in table. The write
// is buffered (see putBuffer).
func (t *tx) Put(table string, id, body []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(true); err != nil {
		return err
	}
	if err := t.ctx.Err(); err != nil {
		return t.fail("put", err) // as a statement would
	}
	t.putBuf.add(table, nz(id), nz(body))
	if len(t.putBuf.puts) >= maxBufferedPuts {
		return t.flushPuts("put")
	}
	return nil
}

// Delete removes the record of document id in table, if any.
func (t *tx) Delete(table string, id []byte) error {
	return t.write("delete", stmtDelete, table, nz(id))
}

// PutIndex inserts or replaces the entry key -> id of index in table.
func (t *tx) PutIndex(table, index string, key, id []byte) error {
	return t.write("put index entry", stmtPutIndex, table, index, nz(key), nz(id))
}

// DeleteIndex removes the entry key of index in table, if any.
func (t *tx) DeleteIndex(table, index string, key []byte) error {
	return t.write("delete index entry", stmtDeleteIndex, table, index, nz(key))
}

// DropTable removes every record and index entry of table.
func (t *tx) DropTable(table string) error {
	if err := t.write("drop table", stmtDropTableDocs, table); err != nil {
		return err
	}
	return t.write("drop table", stmtDropTableIndex, table)
}

// DropIndex removes every entry of one index of table.
func (t *tx) DropIndex(table, index string) error {
	return t.write("drop index", stmtDropIndex, table, index)
}

// Scan runs one statement joining the index entries in range with their
// documents, in key order (or reverse), up to req.Limit entries.
func (t *tx) Scan(req storage.ScanRequest) ([]storage.Entry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	if req.Limit < 0 {
		return nil, fmt.Errorf("sqlite: scan %s.%s: negative limit %d", req.Table, req.Index, req.Limit)
	}
	if err := t.flushPuts("scan"); err != nil {
		return nil, err
	}
	start, end := nz(req.Range.Start), req.Range.End
	bounded := end != nil
	if bounded && bytes.Compare(start, end) >= 0 {
		return nil, nil
	}
	limit := int64(req.Limit)
	if limit == 0 {
		limit = -1
	}
	args := make([]any, 0, 5)
	args = append(args, req.Table, req.Index, start)
	if bounded {
		args = append(args, end)
	}
	args = append(args, limit)
	ctx := t.ctx
	if req.Limit > 0 && req.Limit <= shortScanLimit {
		var err error
		if ctx, err = t.short(); err != nil {
			return nil, t.fail("scan", err)
		}
	}
	rows, err := t.c.query(ctx, scanVariant(req.Reverse, bounded, req.KeysOnly), args...)
	if err != nil {
		return nil, t.fail("scan", err)
	}
	defer rows.Close()
	var out []storage.Entry
	if req.Limit > 0 {
		out = make([]storage.Entry, 0, min(req.Limit, 256))
	}
	for rows.Next() {
		var e storage.Entry
		var found int64
		if req.KeysOnly {
			err = rows.Scan(&e.Key, &e.ID)
		} else {
			err = rows.Scan(&e.Key, &e.ID, &e.Body, &found)
		}
		if err != nil {
			return nil, t.fail("scan", err)
		}
		e.Key, e.ID = nz(e.Key), nz(e.ID)
		if found != 0 {
			e.Body = nz(e.Body)
		} else {
			e.Body = nil
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail("scan", err)
	}
	return out, nil
}

// Tables lists the tables holding at least one document, sorted bytewise.
// It seeks from table to table instead of reading every document.
func (t *tx) Tables() ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	if err := t.flushPuts("tables"); err != nil {
		return nil, err
	}
	var out []string
	var name string
	err := t.c.queryRow(t.ctx, stmtTablesFirst).Scan(&name)
	for err == nil {
		out = append(out, name)
		err = t.c.queryRow(t.ctx, stmtTablesNext, name).Scan(&name)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, t.fail("tables", err)
	}
	return out, nil
}

// Commit commits the transaction. A failed commit rolls back and returns
// an error, wrapping storage.ErrConflict if SQLite reported a lock
// conflict; a write transaction whose statement failed earlier, or whose
// context is done, does not commit: Commit rolls it back and returns the
// error. Once COMMIT starts it is not interrupted, so an error from Commit
// means nothing was committed.
func (t *tx) Commit() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != txActive {
		return t.check(false)
	}
	if t.failed != nil {
		t.rollbackLocked()
		return fmt.Errorf("sqlite: commit: transaction failed earlier and was rolled back: %w", t.failed)
	}
	if err := t.ctx.Err(); err != nil {
		t.rollbackLocked()
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	if err := t.flushPuts("commit"); err != nil {
		t.rollbackLocked()
		return fmt.Errorf("sqlite: commit: nothing was committed: %w", err)
	}
	// COMMIT itself runs without the context: an interrupt racing a
	// successful COMMIT would report a failure for committed data.
	if _, err := t.c.exec(context.Background(), stmtCommit); err != nil {
		t.rollbackLocked()
		return fmt.Errorf("sqlite: commit: %w", mapErr(err))
	}
	if t.writable {
		t.b.noteWALPages(t.c)
	}
	t.finishLocked(txDone, true)
	return nil
}

// Rollback discards the transaction; after Commit or Rollback it is a
// no-op returning nil, so it can always be deferred.
func (t *tx) Rollback() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == txActive {
		t.rollbackLocked()
	}
	return nil
}

// abort rolls back an open transaction on behalf of Close.
func (t *tx) abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != txActive {
		return
	}
	ok := t.rollbackStmt()
	t.finishLocked(txAborted, ok)
}

func (t *tx) rollbackLocked() {
	ok := t.rollbackStmt()
	t.finishLocked(txDone, ok)
}

// rollbackStmt runs ROLLBACK and reports whether the connection is left
// outside any transaction.
func (t *tx) rollbackStmt() bool {
	t.putBuf.reset()
	_, err := t.c.exec(context.Background(), stmtRollback)
	// SQLite may already have rolled back (after an interrupt or I/O error).
	return err == nil || strings.Contains(err.Error(), "no transaction is active")
}

// finishLocked ends the transaction and returns its connection.
func (t *tx) finishLocked(state txState, connOK bool) {
	t.state = state
	t.b.unregister(t)
	t.release(connOK)
}

var _ storage.Waiters = (*tx)(nil)

// WritersWaiting reports how many write transactions of this process wait
// in the write queue behind this one.
func (t *tx) WritersWaiting() int {
	if !t.writable {
		return 0
	}
	return int(t.b.waiting.Load())
}

// release gives the connection back: the write token for a writer, the
// pool for a reader. A connection in an unknown state is replaced.
func (t *tx) release(connOK bool) {
	if t.writable {
		if t.relaxed && connOK && !t.b.writer.broken {
			restore := stmtSyncFull
			if t.b.cfg.synchronous == "EXTRA" {
				restore = stmtSyncExtra
			}
			if _, err := t.c.exec(context.WithoutCancel(t.ctx), restore); err != nil {
				connOK = false // replace the connection rather than keep a relaxed one
			}
		}
		if !connOK || t.b.writer.broken {
			t.b.resetWriter()
		}
		<-t.b.token
		return
	}
	if connOK {
		t.b.readers.put(t.c)
	} else {
		t.b.readers.discard(t.c)
	}
}

// resetWriter replaces the write connection after a failed ROLLBACK left
// it in an unknown state; closing a connection rolls back its open
// transaction. The caller holds the write token.
func (b *Backend) resetWriter() {
	b.writer.discard()
	c, err := newConn(context.Background(), b.wdb)
	if err != nil {
		// Leave the discarded connection: its statements fail with a
		// clear error, and the next Begin retries the reset.
		return
	}
	b.writer = c
}
