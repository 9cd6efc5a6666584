package strata

import (
	"errors"
	"fmt"

	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// EachDocument calls fn with every document of table in _id order,
// reading the document records themselves a page at a time, never an
// index: it meets every document the table holds even when an index is
// damaged, which is what exports and copies need. A record stored under a
// key that is not an id of table, one that does not decode, or one whose
// _id is missing or differs from the id it is stored under stops it with an error wrapping ErrCorrupt that names the table
// and the document (DB.Check lists every such record). It stops at and
// returns fn's first error. fn owns the documents it is given.
func (tx *Tx) EachDocument(table string, fn func(Doc) error) error {
	if err := checkReadTableName(table); err != nil {
		return &QueryError{Table: table, Err: err}
	}
	if err := tx.checkReadTable(table); err != nil {
		return err
	}
	en, ok := tx.st.(storage.Enumerator)
	if !ok {
		return &QueryError{Table: table, Err: errors.New("the storage backend cannot scan documents (no storage.Enumerator)")}
	}
	var ferr error
	err := eachRecord(en, table, func(ids []ID, bodies [][]byte) error {
		for i, id := range ids {
			if _, err := value.ParseIDFor(string(id), table); err != nil {
				return fmt.Errorf("strata: table %q: record stored under a key that is not an id of the table: %v: %w (strata check lists every damaged record)", table, err, ErrCorrupt)
			}
			m, err := tx.decodeRecord(table, bodies[i])
			if err != nil {
				return fmt.Errorf("strata: table %q: document %s: record does not decode: %v: %w (strata check lists every damaged record)", table, id, err, ErrCorrupt)
			}
			if got, ok := m[FieldID].(ID); !ok {
				return fmt.Errorf("strata: table %q: document %s: record has no %s: %w (strata check lists every damaged record)", table, id, FieldID, ErrCorrupt)
			} else if got != id {
				return fmt.Errorf("strata: table %q: document %s: record holds %s %q, not the id it is stored under: %w (strata check lists every damaged record)", table, id, FieldID, got, ErrCorrupt)
			}
			if ferr = fn(Doc(m)); ferr != nil {
				return ferr
			}
		}
		return nil
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return &QueryError{Table: table, Err: fmt.Errorf("scan documents: %w", err)}
	}
	return nil
}
