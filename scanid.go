package strata

import (
	"fmt"

	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// scanByID returns up to limit documents of table whose ids sort after
// after ("" for the first), in id order, and whether the table holds no
// more. Ids never change, so a scan in id order meets every document that
// exists throughout it exactly once, and reads the document records
// alone, without an index. The migration engine uses it (through
// internal/system) for backfills that stop at a high-water mark.
func (tx *Tx) scanByID(table string, after ID, limit int) ([]Doc, bool, error) {
	if err := checkReadTableName(table); err != nil {
		return nil, false, err
	}
	en, ok := tx.st.(storage.Enumerator)
	if !ok {
		return nil, false, fmt.Errorf("strata: scan %s by id: the storage backend cannot scan documents", table)
	}
	var r storage.Range
	if after != "" {
		r.Start = append([]byte(after), 0)
	}
	ents, err := en.ScanDocuments(table, r, limit)
	if err != nil {
		return nil, false, fmt.Errorf("strata: scan %s by id: %w", table, err)
	}
	out := make([]Doc, len(ents))
	for i, e := range ents {
		m, err := value.DecodeDoc(e.Body)
		if err != nil {
			return nil, false, fmt.Errorf("strata: scan %s by id: corrupt record %s: %w", table, e.ID, err)
		}
		tx.records.put(tx, ID(e.ID), e.Body)
		out[i] = Doc(m)
	}
	return out, len(ents) < limit, nil
}
