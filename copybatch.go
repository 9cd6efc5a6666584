package strata

import (
	"fmt"
	"math"

	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// copyDocuments copies the records of ct.Table, CopyBatch per destination
// transaction, counting them in ct.
func (c *copier) copyDocuments(enum storage.Enumerator, ct *CopiedTable) error {
	var start []byte
	for {
		docs, err := enum.ScanDocuments(ct.Table, storage.Range{Start: start}, CopyBatch)
		if err != nil {
			return fmt.Errorf("strata: copy: source: %s: %w", ct.Table, err)
		}
		if len(docs) == 0 {
			return nil
		}
		err = c.writeBatch(func(tx storage.Tx) error {
			for _, d := range docs {
				if err := tx.Put(ct.Table, d.ID, d.Body); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%w (table %s)", err, ct.Table)
		}
		ct.Documents += len(docs)
		c.report(*ct, "", false)
		start = after(docs[len(docs)-1].ID)
	}
}

// copyIndex copies the entries of one index of ct.Table, CopyBatch per
// destination transaction, counting them in ct.
func (c *copier) copyIndex(rtx storage.Tx, ct *CopiedTable, index string) error {
	var start []byte
	for {
		ents, err := rtx.Scan(storage.ScanRequest{Table: ct.Table, Index: index, Range: storage.Range{Start: start}, Limit: CopyBatch, KeysOnly: true})
		if err != nil {
			return fmt.Errorf("strata: copy: source: %s.%s: %w", ct.Table, index, err)
		}
		if len(ents) == 0 {
			return nil
		}
		err = c.writeBatch(func(tx storage.Tx) error {
			for _, e := range ents {
				if err := tx.PutIndex(ct.Table, index, e.Key, e.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%w (index %s.%s)", err, ct.Table, index)
		}
		ct.Indexes[index] += len(ents)
		c.report(*ct, index, false)
		start = after(ents[len(ents)-1].Key)
	}
}

// advanceClock moves the destination's creation-time clock (storage.Clock)
// of table past the table's newest _creationTime in the source, so that
// documents inserted after the copy sort after the copied ones. A
// destination without a clock reads the newest _creationTime at each
// insert and needs nothing.
func (c *copier) advanceClock(rtx storage.Tx, table string) error {
	ents, err := rtx.Scan(storage.ScanRequest{Table: table, Index: "by_creation_time", Reverse: true, Limit: 1, KeysOnly: true})
	if err != nil {
		return fmt.Errorf("strata: copy: source: %s.by_creation_time: %w", table, err)
	}
	if len(ents) == 0 {
		return nil
	}
	x, _, err := value.DecodeKey(ents[0].Key)
	if err != nil {
		return fmt.Errorf("strata: copy: source: %s: corrupt by_creation_time key: %w", table, err)
	}
	last, ok := x.(float64)
	if !ok || !(last > 0) || math.IsInf(last, 0) {
		return nil
	}
	return c.writeBatch(func(tx storage.Tx) error {
		clock, ok := tx.(storage.Clock)
		if !ok {
			return nil
		}
		_, _, err := clock.ReserveCreationTimes(table, math.Nextafter(last, math.Inf(1)), 1, true)
		return err
	})
}

// writeBatch runs fn in one destination write transaction and commits it.
func (c *copier) writeBatch(fn func(tx storage.Tx) error) error {
	tx, err := c.dst.Begin(c.ctx, true)
	if err != nil {
		return fmt.Errorf("strata: copy: destination: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("strata: copy: destination: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("strata: copy: destination: %w", err)
	}
	return nil
}

// after returns the smallest key above k: the start of the next page.
func after(k []byte) []byte {
	return append(append(make([]byte, 0, len(k)+1), k...), 0)
}
