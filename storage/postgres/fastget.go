package postgres

import (
	"bytes"

	"github.com/jackc/pgx/v5/pgconn"
)

// Statements a point read sends through pgconn's batch (getDirect), by
// the name they are prepared under on each connection.
var directSQL = map[string]string{
	"strata_get":      sqlGet,
	"strata_chain":    sqlRollbackChain,
	"strata_rollback": "ROLLBACK",
	"strata_begin_ro": sqlBeginRO,
	"strata_begin_rw": sqlBeginRW,
}

// Parameter and result formats of strata_get: binary, which for text and
// bytea is the bytes themselves.
var (
	getParamFormats  = []int16{1, 1}
	getResultFormats = []int16{1}
)

// direct reports whether Get can read through getDirect: nothing else
// has to go with the read (buffered writes, an assumption, the bulk
// lock).
func (t *tx) direct() bool {
	return len(t.pending) == 0 && t.assumed == nil && !t.bulk
}

// getDirect reads one document as query would (in one round trip with
// the connection's deferred ROLLBACK and this transaction's BEGIN, if
// not sent yet), but through pgconn's batch of prepared statements
// rather than pgx's pipeline: the parameters and the result are bytes
// as they are, so the statements need no encoding plans, and the batch
// no per-statement bookkeeping. This is the whole client-side cost of a
// point read beyond the round trip, so it is worth its own path. Each
// statement is prepared once per connection (pgx.Conn.Prepare keeps
// them by name). body is a copy owned by the caller.
func (t *tx) getDirect(table string, id []byte) (body []byte, found bool, err error) {
	var names [3]string
	n := 0
	switch {
	case t.dirty && !t.begun && !t.writable:
		names[n] = "strata_chain"
		n++
	default:
		if t.dirty {
			names[n] = "strata_rollback"
			n++
		}
		if !t.begun {
			names[n] = "strata_begin_ro"
			if t.writable {
				names[n] = "strata_begin_rw"
			}
			n++
		}
	}
	names[n] = "strata_get"
	n++
	conn := t.c.Conn()
	var batch pgconn.Batch
	for i, name := range names[:n] {
		sd, err := conn.Prepare(t.ctx, name, directSQL[name])
		if err != nil {
			return nil, false, t.fail("get", err)
		}
		if i == n-1 {
			batch.ExecStatement(sd, [][]byte{[]byte(table), nz(id)}, getParamFormats, getResultFormats)
		} else {
			batch.ExecStatement(sd, nil, nil, nil)
		}
	}
	t.dirty, t.begun = false, true
	mrr := conn.PgConn().ExecBatch(t.ctx, &batch)
	for i := 0; i < n && err == nil; i++ {
		if !mrr.NextResult() {
			break
		}
		rr := mrr.ResultReader()
		for rr.NextRow() {
			body, found = bytes.Clone(rr.Values()[0]), true
		}
		_, err = rr.Close()
	}
	if cerr := mrr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, t.fail("get", err)
	}
	return nz(body), found, nil
}
