package postgres

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/storage"
)

var _ storage.Assumer = (*tx)(nil)

// assumption is a read a transaction assumed the answer of: the first
// key of a range (nil: none).
type assumption struct {
	q string // assumeSQL's statement
	// table and index name the range's index; start and end bound it
	// (end nil: unbounded).
	table, index string
	start, end   []byte
	want         []byte
}

// assumeSQL[reverse][bounded] is the statement of an assumption: the
// first key of a range, keys only, one row.
var assumeSQL = func() (out [2][2]string) {
	for r := range 2 {
		for b := range 2 {
			out[r][b] = scanSQL[r][b][1] + limitClause(1)
		}
	}
	return out
}()

// args returns the statement's arguments for pgx.
func (a *assumption) args() []any {
	if a.end == nil {
		return []any{a.table, a.index, a.start}
	}
	return []any{a.table, a.index, a.start, a.end}
}

// params appends the statement's parameters, in binary format, to dst.
// The table and index names are read-only views of their strings: a
// batch copies its parameters when it queues the statement.
func (a *assumption) params(dst [][]byte) [][]byte {
	dst = append(dst, stringBytes(a.table), stringBytes(a.index), a.start)
	if a.end != nil {
		dst = append(dst, a.end)
	}
	return dst
}

// AssumeFirstKey implements storage.Assumer: the statement that reads the
// first key of req's range is sent with the transaction's next round trip
// that reads (query), or before Commit, and its answer compared with want
// there.
func (t *tx) AssumeFirstKey(req storage.ScanRequest, want []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return err
	}
	if t.assumed != nil {
		return errors.New("postgres: assume: a transaction holds one assumption at a time")
	}
	start, end := nz(req.Range.Start), req.Range.End
	if end != nil && bytes.Compare(start, end) >= 0 {
		if want != nil {
			return fmt.Errorf("postgres: assume: key %x in an empty range", want)
		}
		return nil
	}
	t.assumption = assumption{
		q:     assumeSQL[b2i(req.Reverse)][b2i(end != nil)],
		table: req.Table, index: req.Index, start: start, end: end, want: want,
	}
	t.assumed = &t.assumption
	return nil
}

// errAssumption is the error of a transaction whose assumption did not
// hold: a conflict, so that the caller retries it.
var errAssumption = fmt.Errorf("%w: %w", storage.ErrConflict, storage.ErrAssumption)

// check reads the assumed statement's result from br and compares it.
func (a *assumption) check(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	var got []byte
	found := false
	for rows.Next() {
		var key, id []byte
		if err := rows.Scan(&key, &id); err != nil {
			rows.Close()
			return err
		}
		if !found {
			got, found = nz(key), true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if found != (a.want != nil) || !bytes.Equal(got, a.want) {
		return errAssumption
	}
	return nil
}
