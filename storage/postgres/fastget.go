package postgres

import (
	"bytes"
	"encoding/binary"
	"unsafe"
)

// Statements getDirect sends ahead of its read, by the name they are
// prepared under on each connection.
var directSQL = map[string]string{
	"strata_chain":    sqlRollbackChain,
	"strata_rollback": "ROLLBACK",
	"strata_begin_ro": sqlBeginRO,
	"strata_begin_rw": sqlBeginRW,
}

// direct reports whether Get can read through getDirect: no buffered
// writes and no bulk lock have to go with the read (an assumption may).
func (t *tx) direct() bool {
	return len(t.pending) == 0 && !t.bulk
}

// getDirect reads one document as query would, through readDirect.
// body is a copy owned by the caller.
func (t *tx) getDirect(table string, id []byte) (body []byte, found bool, err error) {
	err = t.readDirect("get", "strata_get", sqlGet, append(t.params[:0], stringBytes(table), nz(id)), 1, func(v [][]byte) {
		body, found = bytes.Clone(v[0]), true
	})
	return nz(body), found, err
}

// getManyDirect reads the documents ids of table as GetMany's query
// would, through readDirect, into found (by id; copies).
func (t *tx) getManyDirect(table string, ids [][]byte, found map[string][]byte) error {
	return t.readDirect("get many", "strata_get_many", sqlGetMany, append(t.params[:0], stringBytes(table), byteaArray(ids)), 2, func(v [][]byte) {
		found[string(v[0])] = nz(bytes.Clone(v[1]))
	})
}

// readDirect runs the read statement q (prepared as name) with params,
// all in binary format, in one round trip with what the transaction
// owes ahead of it: the connection's deferred ROLLBACK, this
// transaction's BEGIN (if not sent yet) and the check of its assumption
// (if any). It sends prepared statements through roundTrip rather than
// pgx's pipeline: text and bytea parameters and bytea results are bytes
// as they are, so the statements need no encoding plans, and the round
// trip no per-statement bookkeeping. That bookkeeping was most of the
// client's cost of a point read beyond the round trip, so reads are worth
// their own path. Each statement is prepared once per connection
// (pgx.Conn.Prepare keeps them by name). row is called with the values
// of each of q's rows (results columns, binary), valid until it returns.
func (t *tx) readDirect(op, name, q string, params [][]byte, results int, row func(values [][]byte)) (err error) {
	names, n := t.prelude()
	conn := t.c.Conn()
	t.wire.reset()
	for _, name := range names[:n] {
		sd, err := conn.Prepare(t.ctx, name, directSQL[name])
		if err != nil {
			return t.fail(op, err)
		}
		t.wire.add(sd, nil, nil)
	}
	a := t.assumed
	if a != nil {
		// The assumption's statement is one of a few (assumeSQL),
		// prepared under a name pgx derives from its text.
		sd, err := conn.Prepare(t.ctx, a.q, a.q)
		if err != nil {
			return t.fail(op, err)
		}
		ap := a.params(t.params[len(params):len(params)])
		t.wire.add(sd, ap, binaryFormats[:2])
	}
	sd, err := conn.Prepare(t.ctx, name, q)
	if err != nil {
		return t.fail(op, err)
	}
	t.wire.add(sd, params, binaryFormats[:results])
	t.dirty, t.begun, t.assumed = false, true, nil
	var got []byte
	seen := false
	_, err = t.roundTrip(t.ctx, func(i int, values [][]byte) error {
		switch {
		case i < n: // ROLLBACK, BEGIN: no rows
		case a != nil && i == n: // the assumption: its first key
			if !seen {
				got, seen = bytes.Clone(values[0]), true
			}
		default:
			row(values)
		}
		return nil
	})
	if err == nil && a != nil && (seen != (a.want != nil) || !bytes.Equal(got, a.want)) {
		err = errAssumption
	}
	if err != nil {
		return t.fail(op, err)
	}
	return nil
}

// stringBytes returns the bytes of s without copying them. They must not
// be written: callers pass them as statement parameters, which a batch
// copies when the statement is queued.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// binaryFormats holds format codes for up to four parameters or results, all
// binary.
var binaryFormats = []int16{1, 1, 1, 1}

// byteaArray is the binary form of a one-dimensional bytea[] of elems,
// none NULL.
func byteaArray(elems [][]byte) []byte {
	size := 20
	for _, e := range elems {
		size += 4 + len(e)
	}
	b := make([]byte, 0, size)
	if len(elems) == 0 {
		b = binary32(b, 0, 0, byteaOID) // no dimensions: the empty array
		return b
	}
	b = binary32(b, 1, 0, byteaOID, uint32(len(elems)), 1) // one dimension from 1, no NULLs
	for _, e := range elems {
		b = binary32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

// byteaOID is the type OID of bytea.
const byteaOID = 17

func binary32(b []byte, vs ...uint32) []byte {
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}
