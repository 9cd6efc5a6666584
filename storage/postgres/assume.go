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
	q    string
	args []any
	want []byte
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
	req.Limit, req.KeysOnly = 1, true
	q, args, ok := scanStatement(req)
	if !ok {
		if want != nil {
			return fmt.Errorf("postgres: assume: key %x in an empty range", want)
		}
		return nil
	}
	t.assumed = &assumption{q: q, args: args, want: want}
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
