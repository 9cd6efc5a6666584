package strata

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// indexKeyFormat is the format of the index keys this build writes, kept
// in the store's metadata (storage.Metadata) under keyFormatName:
//
//	1  (no metadata) every NaN keyed as value.LegacyNaNKey
//	2  floats in IEEE totalOrder, each NaN keyed by its own bits
//
// Keys of the two formats differ only in entries holding a NaN.
const indexKeyFormat = 2

// keyFormatName is the metadata name of the index key format.
const keyFormatName = "index_key_format"

// readKeyFormat returns the index key format recorded in st: 1 when none
// is, or when the backend keeps no metadata.
func readKeyFormat(st storage.Tx) (int64, error) {
	m, ok := st.(storage.Metadata)
	if !ok {
		return 1, nil
	}
	v, ok, err := m.Metadata(keyFormatName)
	if err != nil {
		return 0, fmt.Errorf("read the index key format: %w", err)
	}
	if !ok {
		return 1, nil
	}
	if v < 1 || v > indexKeyFormat {
		return 0, fmt.Errorf("index key format %d is not one this build of strata reads (1 to %d); upgrade strata", v, indexKeyFormat)
	}
	return v, nil
}

// upgradeIndexKeys brings the index keys of a database written by strata
// before the total order of floats (index key format 1) to the current
// format, once: it checks the recorded format in a read, and if it is
// older, re-keys in one write transaction every entry of the active
// schema's indexes that holds a NaN and records the new format with it.
// Entries without a NaN are the same in both formats, so the write reads
// every key of those indexes but rewrites only entries of documents that
// hold a NaN other than the positive quiet one. A backend without
// metadata is left as it is (DB.RepairIndexes rebuilds its keys).
func (db *DB) upgradeIndexKeys(ctx context.Context) error {
	ctx = system.Unlimited(ctx)
	current := int64(indexKeyFormat)
	err := db.Query(ctx, func(tx *Tx) error {
		if _, ok := tx.st.(storage.Metadata); !ok {
			return nil
		}
		var err error
		current, err = readKeyFormat(tx.st)
		return err
	})
	if err != nil || current == indexKeyFormat {
		return err
	}
	err = db.Mutation(ctx, func(tx *Tx) error {
		v, err := readKeyFormat(tx.st)
		if err != nil || v == indexKeyFormat {
			return err
		}
		if err := tx.rekeyNaNs(); err != nil {
			return err
		}
		return tx.st.(storage.Metadata).SetMetadata(keyFormatName, indexKeyFormat)
	})
	if err != nil {
		return fmt.Errorf("strata: upgrade index keys to format %d: %w", indexKeyFormat, err)
	}
	return nil
}

// rekeyNaNs rewrites, in tx, the entries of the active schema's indexes
// whose key holds a NaN and differs from the key of the document it
// points at. by_creation_time holds no NaN (creation times are finite).
func (tx *Tx) rekeyNaNs() error {
	if tx.schema == nil {
		return nil
	}
	tables := make([]string, 0, len(tx.schema.Tables))
	for t := range tx.schema.Tables {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	for _, table := range tables {
		for _, ix := range tx.indexes(table) {
			if ix.Name == indexByCreationTime {
				continue
			}
			if err := tx.rekeyIndex(table, ix); err != nil {
				return fmt.Errorf("table %q index %q: %w", table, ix.Name, err)
			}
		}
	}
	return nil
}

func (tx *Tx) rekeyIndex(table string, ix schema.Index) error {
	var start []byte
	for {
		ents, err := tx.st.Scan(storage.ScanRequest{Table: table, Index: ix.Name, Range: storage.Range{Start: start}, Limit: checkPage, KeysOnly: true})
		if err != nil {
			return err
		}
		for _, e := range ents {
			nan, err := value.KeyHasNaN(e.Key)
			if err != nil || !nan {
				continue // a damaged key is DB.Check's to report
			}
			body, err := tx.st.Get(table, e.ID)
			if err != nil {
				continue // an entry without its document: DB.Check's too
			}
			d, _, why := decodeRecord(tx.state, table, ID(e.ID), body)
			if why != "" {
				continue
			}
			key, err := storedIndexKey(ix, d)
			if err != nil || bytes.Equal(key, e.Key) {
				continue
			}
			if err := tx.st.DeleteIndex(table, ix.Name, e.Key); err != nil {
				return err
			}
			if err := tx.st.PutIndex(table, ix.Name, key, e.ID); err != nil {
				return err
			}
		}
		if len(ents) < checkPage {
			return nil
		}
		start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}

// copyKeyFormat records on the destination of a copy the index key
// format of the source's snapshot rtx, since the copy writes the source's
// keys as they are: a destination that gets keys of format 1 is re-keyed
// when a DB opens it.
func (c *copier) copyKeyFormat(rtx storage.Tx) error {
	v, err := readKeyFormat(rtx)
	if err != nil {
		return fmt.Errorf("strata: copy: source: %w", err)
	}
	return c.writeBatch(func(tx storage.Tx) error {
		if m, ok := tx.(storage.Metadata); ok {
			return m.SetMetadata(keyFormatName, v)
		}
		return nil
	})
}
