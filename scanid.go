package strata

import (
	"fmt"

	"github.com/strata-db/strata/storage"
)

// scanRecordsByID returns the ids and records of up to limit documents of
// table whose ids sort after after ("" for the first), in id order, and
// whether the table holds no more; the records are kept in the
// transaction's record cache. Ids never change, so a scan in id order
// meets every document that exists throughout it exactly once, and reads
// the document records alone, without an index. The migration engine
// uses it (through internal/system) for backfills that stop at a
// high-water mark, and decodes the records itself, off the transaction's
// goroutine (see adoptDecoded).
func (tx *Tx) scanRecordsByID(table string, after ID, limit int) ([]ID, [][]byte, bool, error) {
	if err := checkReadTableName(table); err != nil {
		return nil, nil, false, err
	}
	en, ok := tx.st.(storage.Enumerator)
	if !ok {
		return nil, nil, false, fmt.Errorf("strata: scan %s by id: the storage backend cannot scan documents", table)
	}
	var r storage.Range
	if after != "" {
		r.Start = append([]byte(after), 0)
	}
	ents, err := en.ScanDocuments(table, r, limit)
	if err != nil {
		return nil, nil, false, fmt.Errorf("strata: scan %s by id: %w", table, err)
	}
	ids := make([]ID, len(ents))
	bodies := make([][]byte, len(ents))
	for i, e := range ents {
		ids[i], bodies[i] = ID(e.ID), e.Body
		tx.records.put(tx, ids[i], e.Body)
	}
	return ids, bodies, len(ents) < limit, nil
}

// adoptDecoded gives the record cache doc, the decoding of body, the
// record of id that scanRecordsByID returned, so that updating id does
// not decode it again. It is ignored if id was written since. The caller
// must not keep or modify doc.
func (tx *Tx) adoptDecoded(id ID, body []byte, doc Doc) { tx.records.adopt(id, body, doc) }
