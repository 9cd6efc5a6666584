package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// errCommitUnknown marks a commit whose connection was lost after COMMIT
// was sent and before its answer arrived.
var errCommitUnknown = errors.New("the connection was lost after COMMIT was sent; the transaction may or may not have committed")

// Type OIDs writeDirect sends parameters of, in binary form.
const (
	int8OID       = 20
	textOID       = 25
	byteaArrayOID = 1001
)

// writeDirect sends, in one round trip, what the transaction owes ahead
// of its writes (the connection's deferred ROLLBACK, BEGIN, the bulk
// lock), its buffered writes (coalesced) and, if commit, COMMIT, as
// prepared statements through roundTrip, as readDirect does: the writes'
// parameters (text, bytea, bytea[]) are sent as bytes in binary form,
// without pgx's encoding plans and per-statement pipeline bookkeeping,
// which were most of what the client spent on a write transaction's
// second round trip beyond the network. Each statement is prepared once
// per connection, under a name derived from its text.
//
// An error that arrives after COMMIT was sent, without an answer from the
// server (the connection broke), wraps errCommitUnknown.
func (t *tx) writeDirect(ctx context.Context, commit bool) error {
	conn := t.c.Conn()
	t.wire.reset()
	add := func(name, q string, params [][]byte, oids []uint32) error {
		sd, err := conn.Prepare(ctx, name, q)
		if err != nil {
			return err
		}
		if len(sd.ParamOIDs) != len(params) {
			return fmt.Errorf("statement %q takes %d parameters, not %d", q, len(sd.ParamOIDs), len(params))
		}
		for i, oid := range sd.ParamOIDs {
			if oid != oids[i] {
				return fmt.Errorf("statement %q: parameter $%d has type OID %d, not %d", q, i+1, oid, oids[i])
			}
		}
		t.wire.add(sd, params, nil)
		return nil
	}
	names, n := t.prelude()
	for _, name := range names[:n] {
		if err := add(name, directSQL[name], nil, nil); err != nil {
			return err
		}
	}
	if !t.begun && t.bulk {
		if err := add(sqlLockRelations, sqlLockRelations, nil, nil); err != nil {
			return err
		}
	}
	t.pending = coalesce(t.pending)
	for _, o := range t.pending {
		params, oids, err := directParams(o.args)
		if err != nil {
			return err
		}
		if err := add(o.sql, o.sql, params, oids); err != nil {
			return err
		}
	}
	if commit {
		if err := add("strata_commit", "COMMIT", nil, nil); err != nil {
			return err
		}
	}
	t.dirty, t.begun = false, true
	t.pending = t.pending[:0]
	sent, err := t.roundTrip(ctx, nil)
	if err != nil && commit && sent && sqlState(err) == "" {
		return fmt.Errorf("%w: %w", errCommitUnknown, err)
	}
	return err
}

// prelude names the prepared statements (directSQL) a transaction's
// first batch sends ahead of its own: the connection's deferred
// ROLLBACK and this transaction's BEGIN, or for a read-only transaction
// on such a connection one ROLLBACK AND CHAIN (see queuePending).
func (t *tx) prelude() (names [2]string, n int) {
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
	return names, n
}

// directParams returns the binary form of a buffered write's arguments
// and the type each must have in the statement: strings (text) and byte
// slices (bytea) as they are, slices of byte slices as bytea[], int64 as
// bigint.
func directParams(args []any) ([][]byte, []uint32, error) {
	if len(args) > len(binaryFormats) {
		return nil, nil, fmt.Errorf("%d parameters, at most %d", len(args), len(binaryFormats))
	}
	params := make([][]byte, len(args))
	oids := make([]uint32, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			params[i], oids[i] = []byte(v), textOID
		case []byte:
			params[i], oids[i] = nz(v), byteaOID
		case [][]byte:
			params[i], oids[i] = byteaArray(v), byteaArrayOID
		case int64:
			params[i], oids[i] = binary.BigEndian.AppendUint64(nil, uint64(v)), int8OID
		default:
			return nil, nil, fmt.Errorf("parameter $%d of type %T", i+1, a)
		}
	}
	return params, oids, nil
}
