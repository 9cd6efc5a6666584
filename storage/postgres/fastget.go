package postgres

import (
	"bytes"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Statements getDirect sends ahead of its read, by the name they are
// prepared under on each connection.
var directSQL = map[string]string{
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

// direct reports whether Get can read through getDirect: no buffered
// writes and no bulk lock have to go with the read (an assumption may).
func (t *tx) direct() bool {
	return len(t.pending) == 0 && !t.bulk
}

// getDirect reads one document as query would, in one round trip with
// the connection's deferred ROLLBACK, this transaction's BEGIN (if not
// sent yet) and the check of its assumption (if any), but through
// pgconn's batch of prepared statements rather than pgx's pipeline: the
// parameters and results are bytes as they are, so the statements need
// no encoding plans, and the batch no per-statement bookkeeping. This is
// most of the client's cost of a point read beyond the round trip, so it
// is worth its own path. Each statement is prepared once per connection
// (pgx.Conn.Prepare keeps them by name). body is a copy owned by the
// caller.
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
	conn := t.c.Conn()
	var batch pgconn.Batch
	for _, name := range names[:n] {
		sd, err := conn.Prepare(t.ctx, name, directSQL[name])
		if err != nil {
			return nil, false, t.fail("get", err)
		}
		batch.ExecStatement(sd, nil, nil, nil)
	}
	a := t.assumed
	if a != nil {
		// The assumption's statement is one of a few (scanSQL with LIMIT
		// 1), prepared under a name pgx derives from its text.
		sd, err := conn.Prepare(t.ctx, a.q, a.q)
		if err != nil {
			return nil, false, t.fail("get", err)
		}
		params := make([][]byte, len(a.args))
		formats := make([]int16, len(a.args))
		for i, v := range a.args {
			switch v := v.(type) {
			case string:
				params[i] = []byte(v)
			case []byte:
				params[i] = nz(v)
			default:
				return nil, false, fmt.Errorf("postgres: get: assumption argument of type %T", v)
			}
			formats[i] = 1
		}
		batch.ExecStatement(sd, params, formats, []int16{1, 1})
	}
	sd, err := conn.Prepare(t.ctx, "strata_get", sqlGet)
	if err != nil {
		return nil, false, t.fail("get", err)
	}
	batch.ExecStatement(sd, [][]byte{[]byte(table), nz(id)}, getParamFormats, getResultFormats)
	t.dirty, t.begun, t.assumed = false, true, nil
	mrr := conn.PgConn().ExecBatch(t.ctx, &batch)
	for i := 0; err == nil && mrr.NextResult(); i++ {
		rr := mrr.ResultReader()
		switch {
		case i < n: // ROLLBACK, BEGIN
		case a != nil && i == n: // the assumption: its first key
			var got []byte
			seen := false
			for rr.NextRow() {
				if !seen {
					got, seen = bytes.Clone(rr.Values()[0]), true
				}
			}
			if _, err = rr.Close(); err == nil && (seen != (a.want != nil) || !bytes.Equal(got, a.want)) {
				err = errAssumption
			}
			continue
		default:
			for rr.NextRow() {
				body, found = bytes.Clone(rr.Values()[0]), true
			}
		}
		if _, cerr := rr.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := mrr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, t.fail("get", err)
	}
	return nz(body), found, nil
}
