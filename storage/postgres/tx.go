package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-db/strata/storage"
)

// errAborted is returned by a transaction that Close aborted.
var errAborted = fmt.Errorf("postgres: transaction aborted by Close: %w: %w", storage.ErrClosed, storage.ErrTxDone)

type txState int

const (
	txActive txState = iota
	txDone
	txAborted
)

const (
	sqlBeginRW = "BEGIN ISOLATION LEVEL SERIALIZABLE"
	sqlBeginRO = "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY"
	// sqlRollbackChain ends a finished read-only transaction and begins
	// the next one, also read-only (queuePending; PostgreSQL 12 or later).
	sqlRollbackChain = "ROLLBACK AND CHAIN"
	// sqlLockRelations starts a sequential scan of each table a Scan
	// reads, which under SERIALIZABLE takes one predicate lock on the
	// whole relation (heap_beginscan); the transaction's later reads of
	// single rows of those tables are then covered by it and take no lock
	// of their own. Bulk transactions (storage.WithBulkRead) begun
	// while the server is short of lock memory send it first.
	sqlLockRelations = `SELECT (SELECT 1 FROM strata_documents LIMIT 1), (SELECT 1 FROM strata_index LIMIT 1)`

	sqlGet     = `SELECT body FROM strata_documents WHERE tbl = $1 AND id = $2`
	sqlGetMany = `SELECT id, body FROM strata_documents WHERE tbl = $1 AND id = ANY($2)`
	sqlPut     = `INSERT INTO strata_documents (tbl, id, body) VALUES ($1, $2, $3)
		ON CONFLICT (tbl, id) DO UPDATE SET body = excluded.body`
	sqlDelete   = `DELETE FROM strata_documents WHERE tbl = $1 AND id = $2`
	sqlPutIndex = `INSERT INTO strata_index (tbl, idx, key, id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tbl, idx, key) DO UPDATE SET id = excluded.id`
	sqlDeleteIndex  = `DELETE FROM strata_index WHERE tbl = $1 AND idx = $2 AND key = $3`
	sqlDropDocs     = `DELETE FROM strata_documents WHERE tbl = $1`
	sqlDropAllIndex = `DELETE FROM strata_index WHERE tbl = $1`
	sqlDropIndex    = `DELETE FROM strata_index WHERE tbl = $1 AND idx = $2`

	// sqlTables and sqlIndexes seek from name to name (a loose index
	// scan) instead of reading every row.
	sqlTables = `WITH RECURSIVE t(tbl) AS (
		(SELECT tbl FROM strata_documents ORDER BY tbl LIMIT 1)
		UNION ALL
		SELECT (SELECT d.tbl FROM strata_documents d WHERE d.tbl > t.tbl ORDER BY d.tbl LIMIT 1)
		FROM t WHERE t.tbl IS NOT NULL)
		SELECT tbl FROM t WHERE tbl IS NOT NULL`
	sqlIndexes = `WITH RECURSIVE t(idx) AS (
		(SELECT idx FROM strata_index WHERE tbl = $1 ORDER BY idx LIMIT 1)
		UNION ALL
		SELECT (SELECT i.idx FROM strata_index i WHERE i.tbl = $1 AND i.idx > t.idx ORDER BY i.idx LIMIT 1)
		FROM t WHERE t.idx IS NOT NULL)
		SELECT idx FROM t WHERE idx IS NOT NULL`
)

// scanSQL[reverse][bounded][keysOnly] is the statement of a Scan: one
// statement reading the entries with their documents (limitClause adds
// the limit; a NULL body: the document is missing).
//
// Each document is read by a scalar subquery on its whole primary key
// rather than by a LEFT JOIN. With the join, the equivalence of d.tbl
// and i.tbl with $1 makes "d.tbl = $1" a restriction of its own, and
// with statistics gathered before the table filled (autovacuum off, or
// not yet run) the planner estimates it at one row and scans the
// documents by tbl alone, filtering on id: every document of the table
// read for every entry of the page (a full paginate of 20,000 documents
// took over 3 minutes instead of about 1 s: TestStaleStatistics). The
// subquery sees i.tbl and i.id only as parameters, so its only plan is
// one primary-key lookup per entry, whatever the statistics.
var scanSQL = func() (out [2][2][2]string) {
	for r := range 2 {
		for bd := range 2 {
			for k := range 2 {
				q := `SELECT i.key, i.id, (SELECT d.body FROM strata_documents d WHERE d.tbl = i.tbl AND d.id = i.id) FROM strata_index i`
				if k == 1 {
					q = `SELECT i.key, i.id FROM strata_index i`
				}
				q += ` WHERE i.tbl = $1 AND i.idx = $2 AND i.key >= $3`
				if bd == 1 {
					q += ` AND i.key < $4`
				}
				q += ` ORDER BY i.key`
				if r == 1 {
					q += ` DESC`
				}
				out[r][bd][k] = q
			}
		}
	}
	return out
}()

// maxPending is the number of buffered writes after which they are sent
// without waiting for a read or Commit.
const maxPending = 1000

type op struct {
	sql  string
	args []any
}

type docKey struct{ table, id string }

// tx implements storage.Tx on one pooled connection. Writes are buffered
// and sent as one pipelined batch ahead of the next statement that needs
// them (a Scan, Tables, Commit) or when maxPending accumulate; Get answers
// documents this transaction wrote from memory and otherwise asks the
// server without sending the buffer, which cannot change its answer.
type tx struct {
	b        *Backend
	ctx      context.Context
	c        *pgxpool.Conn
	writable bool
	begun    bool // BEGIN has been sent
	// dirty: the connection is still inside a finished read-only
	// transaction (park.go); the first batch sends its ROLLBACK.
	dirty bool
	bulk  bool // storage.WithBulkRead: lock relations, not rows (sqlLockRelations)

	// mu serializes the transaction's methods with Close, which may abort
	// it from another goroutine.
	mu     sync.Mutex
	state  txState
	failed error // first statement error: the server aborted the transaction

	pending []op
	assumed *assumption // an assumed read, checked with the next round trip; nil or &assumption
	// assumption holds the assumed read, so that assuming allocates
	// nothing.
	assumption assumption
	// params is the parameter list of a direct read, reused.
	params [8][]byte
	wire   wire // the next round trip's statements (roundTrip)

	written map[docKey][]byte // this transaction's documents; nil value: deleted
	dropped map[string]bool   // tables this transaction dropped
	// seen caches documents a write transaction read (Get, Scan): its
	// snapshot does not change, so reading one again needs no round trip
	// (the read-modify-write pattern: scan a page, then patch each).
	seen map[docKey][]byte
}

// maxSeen bounds the read cache of a write transaction.
const maxSeen = 4096

// remember caches a document read by a write transaction; body is owned
// by the cache.
func (t *tx) remember(table string, id, body []byte) {
	if !t.writable || len(t.seen) >= maxSeen {
		return
	}
	if t.seen == nil {
		t.seen = make(map[docKey][]byte)
	}
	t.seen[docKey{table, string(id)}] = body
}

var (
	_ storage.Tx          = (*tx)(nil)
	_ storage.Clock       = (*tx)(nil)
	_ storage.Enumerator  = (*tx)(nil)
	_ storage.BatchGetter = (*tx)(nil)
)

// nz returns b, or an empty non-nil slice where nil would bind as NULL.
func nz(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
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
		return fmt.Errorf("postgres: transaction failed earlier, roll it back: %w", t.failed)
	}
	return nil
}

// fail records a statement error: PostgreSQL has aborted the transaction,
// so every later statement fails and Commit rolls back.
func (t *tx) fail(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if cerr := t.ctx.Err(); cerr != nil {
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
	}
	t.b.noteLockShortage(err)
	err = fmt.Errorf("postgres: %s: %w", op, mapErr(err))
	if t.failed == nil {
		t.failed = err
	}
	return err
}

// query sends the buffered writes (and BEGIN, if not sent yet) followed
// by q in one round trip, and calls read on q's rows.
func (t *tx) query(op, q string, args []any, read func(rows pgx.Rows) error) error {
	if t.begun && !t.dirty && len(t.pending) == 0 && t.assumed == nil {
		rows, err := t.c.Query(t.ctx, q, args...)
		if err != nil {
			return t.fail(op, err)
		}
		return t.readRows(op, rows, read)
	}
	var batch pgx.Batch
	n := t.queuePending(&batch)
	a := t.assumed
	if a != nil {
		batch.Queue(a.q, a.args()...)
	}
	batch.Queue(q, args...)
	br := t.c.SendBatch(t.ctx, &batch)
	if err := t.execPending(br, n); err != nil {
		_ = br.Close()
		return t.fail(op, err)
	}
	if a != nil {
		t.assumed = nil
		if err := a.check(br); err != nil {
			_ = br.Close()
			return t.fail(op, err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return t.fail(op, err)
	}
	if err := t.readRows(op, rows, read); err != nil {
		_ = br.Close()
		return err
	}
	if err := br.Close(); err != nil {
		return t.fail(op, err)
	}
	return nil
}

func (t *tx) readRows(op string, rows pgx.Rows, read func(rows pgx.Rows) error) error {
	err := read(rows)
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return t.fail(op, err)
	}
	return nil
}

// queuePending adds the connection's deferred ROLLBACK and BEGIN (if
// not sent yet) and the buffered writes, and returns how many statements
// it queued, for execPending. A read-only transaction on a connection
// still inside a finished read-only transaction sends one statement
// for both, ROLLBACK AND CHAIN: it ends that transaction and begins
// this one with the same characteristics (SERIALIZABLE, READ ONLY);
// the snapshot is still taken by the first statement after it.
func (t *tx) queuePending(batch *pgx.Batch) int {
	n := 0
	switch {
	case t.dirty && !t.begun && !t.writable:
		batch.Queue(sqlRollbackChain)
		n++
	default:
		if t.dirty {
			batch.Queue("ROLLBACK")
			n++
		}
		if !t.begun {
			if t.writable {
				batch.Queue(sqlBeginRW)
			} else {
				batch.Queue(sqlBeginRO)
			}
			n++
		}
	}
	if !t.begun && t.bulk {
		batch.Queue(sqlLockRelations)
		n++
	}
	t.pending = coalesce(t.pending)
	for _, o := range t.pending {
		batch.Queue(o.sql, o.args...)
	}
	return n + len(t.pending)
}

// execPending reads the results of the n statements queuePending
// queued.
func (t *tx) execPending(br pgx.BatchResults, n int) error {
	t.dirty, t.begun = false, true
	t.pending = t.pending[:0]
	for range n {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// flush sends the buffered writes.
func (t *tx) flush(op string) error {
	if len(t.pending) == 0 {
		return nil
	}
	if err := t.writeDirect(t.ctx, false); err != nil {
		return t.fail(op, err)
	}
	return nil
}

// Get returns a copy of the record of document id in table, or
// storage.ErrNotFound. A write transaction sees its own writes.
func (t *tx) Get(table string, id []byte) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	if body, ok := t.written[docKey{table, string(id)}]; ok {
		if body == nil {
			return nil, storage.ErrNotFound
		}
		return bytes.Clone(body), nil
	}
	if t.dropped[table] {
		return nil, storage.ErrNotFound
	}
	if body, ok := t.seen[docKey{table, string(id)}]; ok {
		return bytes.Clone(body), nil
	}
	var body []byte
	found := false
	var err error
	if t.direct() {
		body, found, err = t.getDirect(table, id)
	} else {
		err = t.query("get", sqlGet, []any{table, nz(id)}, func(rows pgx.Rows) error {
			for rows.Next() {
				found = true
				if err := rows.Scan(&body); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, storage.ErrNotFound
	}
	body = nz(body)
	t.remember(table, id, bytes.Clone(body))
	return body, nil
}

// GetMany reads every document the transaction has not written or read
// already in one statement, and remembers them like Get.
func (t *tx) GetMany(table string, ids [][]byte) ([][]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	var missing [][]byte
	for i, id := range ids {
		k := docKey{table, string(id)}
		if body, ok := t.written[k]; ok {
			if body != nil {
				out[i] = bytes.Clone(body)
			}
			continue
		}
		if t.dropped[table] {
			continue
		}
		if body, ok := t.seen[k]; ok {
			out[i] = bytes.Clone(body)
			continue
		}
		missing = append(missing, nz(id))
	}
	if len(missing) == 0 {
		return out, nil
	}
	found := make(map[string][]byte, len(missing))
	var err error
	if t.direct() {
		err = t.getManyDirect(table, missing, found)
	} else {
		err = t.query("get many", sqlGetMany, []any{table, missing}, func(rows pgx.Rows) error {
			for rows.Next() {
				var id, body []byte
				if err := rows.Scan(&id, &body); err != nil {
					return err
				}
				found[string(id)] = nz(body)
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if out[i] != nil {
			continue
		}
		if body, ok := found[string(id)]; ok {
			out[i] = body
			t.remember(table, id, bytes.Clone(body))
		}
	}
	return out, nil
}

// write buffers one write statement.
func (t *tx) write(op string, q string, args ...any) error {
	if err := t.check(true); err != nil {
		return err
	}
	t.pending = append(t.pending, opOf(q, args))
	if len(t.pending) >= maxPending {
		if err := t.flush(op); err != nil {
			return err
		}
		if len(t.written) >= maxWritten {
			// Everything written so far is on the server now, which
			// answers reads of it: forget it, and what was read before
			// it, so that a transaction writing many documents (an
			// import) holds a bounded amount of memory.
			t.written, t.dropped, t.seen = nil, nil, nil
		}
	}
	return nil
}

// maxWritten is the number of documents written whose records a
// transaction keeps to answer its own reads without a round trip, past
// which it forgets them once they were sent.
const maxWritten = 4096

func opOf(q string, args []any) op { return op{sql: q, args: args} }

func (t *tx) noteDoc(table string, id, body []byte) {
	if t.written == nil {
		t.written = make(map[docKey][]byte)
	}
	t.written[docKey{table, string(id)}] = body
}

// Put inserts or replaces the record of document id in table.
func (t *tx) Put(table string, id, body []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.write("put", sqlPut, table, nz(id), nz(body)); err != nil {
		return err
	}
	t.noteDoc(table, id, nz(body))
	return nil
}

// Delete removes the record of document id in table, if any.
func (t *tx) Delete(table string, id []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.write("delete", sqlDelete, table, nz(id)); err != nil {
		return err
	}
	t.noteDoc(table, id, nil)
	return nil
}

// PutIndex inserts or replaces the entry key -> id of index in table.
func (t *tx) PutIndex(table, index string, key, id []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write("put index entry", sqlPutIndex, table, index, nz(key), nz(id))
}

// DeleteIndex removes the entry key of index in table, if any.
func (t *tx) DeleteIndex(table, index string, key []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write("delete index entry", sqlDeleteIndex, table, index, nz(key))
}

// DropTable removes every record and index entry of table.
func (t *tx) DropTable(table string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.write("drop table", sqlDropDocs, table); err != nil {
		return err
	}
	if err := t.write("drop table", sqlDropAllIndex, table); err != nil {
		return err
	}
	for k := range t.written {
		if k.table == table {
			delete(t.written, k)
		}
	}
	if t.dropped == nil {
		t.dropped = make(map[string]bool)
	}
	t.dropped[table] = true
	return nil
}

// DropIndex removes every entry of one index of table.
func (t *tx) DropIndex(table, index string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write("drop index", sqlDropIndex, table, index)
}

// Scan runs one statement joining the index entries in range with their
// documents, in key order (or reverse), up to req.Limit entries, sent in
// one round trip with the writes buffered before it.
func (t *tx) Scan(req storage.ScanRequest) ([]storage.Entry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	if req.Limit < 0 {
		return nil, fmt.Errorf("postgres: scan %s.%s: negative limit %d", req.Table, req.Index, req.Limit)
	}
	q, args, ok := scanStatement(req)
	if !ok {
		return nil, nil
	}
	var out []storage.Entry
	if req.Limit > 0 {
		out = make([]storage.Entry, 0, min(req.Limit, 256))
	}
	err := t.query("scan", q, args, func(rows pgx.Rows) error {
		for rows.Next() && (req.Limit == 0 || len(out) < req.Limit) {
			var e storage.Entry
			var body *[]byte
			var err error
			if req.KeysOnly {
				err = rows.Scan(&e.Key, &e.ID)
			} else {
				err = rows.Scan(&e.Key, &e.ID, &body)
			}
			if err != nil {
				return err
			}
			e.Key, e.ID = nz(e.Key), nz(e.ID)
			if body != nil {
				e.Body = nz(*body)
				if t.writable {
					t.remember(req.Table, e.ID, bytes.Clone(e.Body))
				}
			} else {
				e.Body = nil
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanStatement returns the statement of a Scan and its arguments, or ok
// false if the range is empty.
func scanStatement(req storage.ScanRequest) (q string, args []any, ok bool) {
	start, end := nz(req.Range.Start), req.Range.End
	bounded := end != nil
	if bounded && bytes.Compare(start, end) >= 0 {
		return "", nil, false
	}
	args = make([]any, 0, 4)
	args = append(args, req.Table, req.Index, start)
	if bounded {
		args = append(args, end)
	}
	return scanSQL[b2i(req.Reverse)][b2i(bounded)][b2i(req.KeysOnly)] + limitClause(req.Limit), args, true
}

// limitClause is the LIMIT of a statement returning at most limit rows (0:
// no limit), rounded up to a power of two and written as a literal: the
// planner then knows the statement wants few rows, and PostgreSQL can
// keep one cached plan per rounded limit instead of planning a
// parameterized LIMIT anew at every execution (or caching a generic plan
// that joins whole tables). Callers stop reading at limit.
func limitClause(limit int) string {
	if limit <= 0 {
		return ""
	}
	n := 1
	for n < limit && n < 1<<30 {
		n <<= 1
	}
	return " LIMIT " + strconv.Itoa(max(n, limit))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// names runs a statement returning one text column.
func (t *tx) names(op, q string, args ...any) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	var out []string
	err := t.query(op, q, args, func(rows pgx.Rows) error {
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// Tables lists the tables holding at least one document, sorted bytewise.
func (t *tx) Tables() ([]string, error) { return t.names("tables", sqlTables) }

// Indexes lists the indexes of table holding at least one entry, sorted
// bytewise.
func (t *tx) Indexes(table string) ([]string, error) {
	return t.names("list indexes", sqlIndexes, table)
}

// ScanDocuments returns the records of table with ids in r, in id order,
// at most limit (0: no limit).
func (t *tx) ScanDocuments(table string, r storage.Range, limit int) ([]storage.Entry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, fmt.Errorf("postgres: scan documents of %s: negative limit %d", table, limit)
	}
	start := nz(r.Start)
	if r.End != nil && bytes.Compare(start, r.End) >= 0 {
		return nil, nil
	}
	// Row comparisons rather than tbl = $1 AND id >= $2: on a table
	// filled since its last ANALYZE the planner estimates a few hundred
	// rows for the latter and reads every remaining row of the table with
	// a bitmap scan, then sorts them, for each page (0.25 s a page of a
	// 100,000-document table); row comparisons are estimated as a range
	// and read in index order whatever the statistics (0.2 ms). The
	// narrower scan also takes narrower predicate locks in a backfill
	// batch (see "Reads that later steps rely on are validated" in
	// docs/decisions.md for why a batch needs no wider ones).
	q := `SELECT id, body FROM strata_documents WHERE (tbl, id) >= ($1, $2) AND tbl <= $1 ORDER BY tbl, id`
	args := []any{table, start}
	if r.End != nil {
		q = `SELECT id, body FROM strata_documents WHERE (tbl, id) >= ($1, $2) AND (tbl, id) < ($1, $3) ORDER BY tbl, id`
		args = append(args, r.End)
	}
	var out []storage.Entry
	err := t.query("scan documents", q+limitClause(limit), args, func(rows pgx.Rows) error {
		for rows.Next() && (limit == 0 || len(out) < limit) {
			var e storage.Entry
			if err := rows.Scan(&e.ID, &e.Body); err != nil {
				return err
			}
			e.ID, e.Body = nz(e.ID), nz(e.Body)
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// retryable reports whether a statement failed for a reason that a retry
// may not meet: a serialization failure, a deadlock, a full lock table.
func retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01", "53200":
		return true
	}
	return false
}

// Commit sends the buffered writes and COMMIT in one round trip. A
// statement that fails, a transaction that failed earlier, or a done
// context rolls back and returns an error, wrapping storage.ErrConflict
// on a serialization failure, deadlock or full lock table. Once sent, the commit is not
// interrupted by the context. If the connection is lost after COMMIT was
// sent and before its answer arrived, the error says that the outcome is
// unknown.
func (t *tx) Commit() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != txActive {
		return t.check(false)
	}
	if t.failed != nil {
		t.rollbackLocked()
		return fmt.Errorf("postgres: commit: transaction failed earlier and was rolled back: %w", t.failed)
	}
	if err := t.ctx.Err(); err != nil {
		t.rollbackLocked()
		return fmt.Errorf("postgres: commit: %w", err)
	}
	if !t.begun && len(t.pending) == 0 {
		t.finishLocked(txDone) // nothing was sent: nothing to commit
		return nil
	}
	if t.assumed != nil {
		// No statement carried the check: check before committing.
		if err := t.query("commit", "SELECT 1", nil, func(pgx.Rows) error { return nil }); err != nil {
			t.rollbackLocked()
			return fmt.Errorf("postgres: commit: nothing was committed: %w", err)
		}
	}
	err := t.writeDirect(context.WithoutCancel(t.ctx), true)
	if errors.Is(err, errCommitUnknown) {
		t.rollbackLocked()
		return fmt.Errorf("postgres: commit: %w", mapErr(err))
	}
	if err != nil {
		t.b.noteLockShortage(err)
		t.rollbackLocked()
		return fmt.Errorf("postgres: commit: nothing was committed: %w", mapErr(err))
	}
	t.finishLocked(txDone)
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
	t.rollbackStmt()
	t.state = txAborted
	t.b.unregister(t)
	t.b.gate.release(t.c, false)
}

// rollbackLocked ends the transaction. A read-only transaction whose
// statements all succeeded does not wait for its ROLLBACK: it leaves its
// connection dirty for the next transaction to roll back (park.go).
// Isolation is unchanged: its reads have all been answered, and a
// rolled-back transaction's reads constrain nothing.
func (t *tx) rollbackLocked() {
	if t.begun && !t.writable && t.failed == nil && t.c.Conn().PgConn().TxStatus() == 'T' {
		t.pending = nil
		t.dirty = true
		t.finishLocked(txDone)
		return
	}
	t.rollbackStmt()
	t.finishLocked(txDone)
}

// rollbackStmt ends the server transaction, if one was started (by this
// transaction or by the connection's previous one). A connection left
// in an unknown state is closed; the pool then drops it.
func (t *tx) rollbackStmt() {
	t.pending = nil
	if !t.begun && !t.dirty {
		return
	}
	t.begun, t.dirty = false, false
	rollbackConn(t.c)
}

// finishLocked ends the transaction and hands its connection back
// (park.go): to the pool, or, while still inside a finished read-only
// transaction, to the next transaction.
func (t *tx) finishLocked(state txState) {
	t.state = state
	t.b.unregister(t)
	t.b.gate.release(t.c, t.dirty)
}
