package strata

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// TableRepair is what DB.RepairIndexes did to one table.
type TableRepair struct {
	Table     string           `json:"table"`
	Documents int64            `json:"documents"` // documents indexed
	Skipped   int64            `json:"skipped"`   // damaged records (not decodable, or not holding their id as _id), left unindexed
	Indexes   map[string]int64 `json:"indexes"`   // index name -> entries written
	Dropped   []string         `json:"dropped,omitempty"`
}

// RepairIndexes rebuilds every index entry from the documents, in one
// write transaction: it deletes every entry of every index of every table
// (by_creation_time, the active schema's indexes, and indexes the schema
// does not declare, which stay dropped) and writes each document's entry
// in by_creation_time and in each index the active schema declares for
// its table, keyed by the id the document is stored under (records under a
// name that is not a valid table name are left alone). On SQLite the
// entries are deleted by freeing the whole index B-tree
// (storage.IndexClearer), so a tree damaged on disk is replaced by a new
// one. Damaged records (that do not decode, or do not hold the id they
// are stored under as _id) are left unindexed, so queries do not return
// them, and counted in Skipped; DB.Check still reports them. Documents are not changed.
// Concurrent writers wait for (SQLite) or conflict with and retry after
// (PostgreSQL) the repair. opts.Progress is called after every page; the
// other options are unused.
func (db *DB) RepairIndexes(ctx context.Context, opts CheckOptions) ([]TableRepair, error) {
	var out []TableRepair
	err := db.Mutation(ctx, func(tx *Tx) error {
		out = out[:0]
		all, err := (&checker{tx: tx}).tables()
		if err != nil {
			return err
		}
		// Records under a name that is not a table name are not indexed
		// (DB.Check reports them).
		tables := slices.DeleteFunc(all, func(t string) bool { return !value.ValidTableName(t) })
		totals := make([]int64, len(tables))
		for i, t := range tables {
			if totals[i], err = tx.Table(t).Count(); err != nil { // for progress only
				return err
			}
		}
		ic, cleared := tx.st.(storage.IndexClearer)
		if cleared {
			if err := ic.ClearIndexes(); err != nil {
				return err
			}
		}
		for i, table := range tables {
			tr, err := tx.rebuildIndexes(table, cleared, CheckProgress{Table: table, Step: "rebuild", Total: totals[i]}, opts.Progress)
			if err != nil {
				return fmt.Errorf("table %q: %w", table, err)
			}
			out = append(out, tr)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("strata: repair indexes: %w", err)
	}
	return out, nil
}

// rebuildIndexes deletes (unless cleared already) and rewrites every
// index entry of table in tx.
func (tx *Tx) rebuildIndexes(table string, cleared bool, prog CheckProgress, progress func(CheckProgress)) (TableRepair, error) {
	tr := TableRepair{Table: table, Indexes: map[string]int64{}}
	en, ok := tx.st.(storage.Enumerator)
	if !ok {
		return tr, errors.New("the storage backend cannot scan documents (no storage.Enumerator)")
	}
	indexes := tx.indexes(table)
	declared := map[string]bool{}
	for _, ix := range indexes {
		declared[ix.Name] = true
		tr.Indexes[ix.Name] = 0
	}
	if !cleared {
		stored, err := en.Indexes(table)
		if err != nil {
			return tr, err
		}
		for _, name := range stored {
			if err := tx.st.DropIndex(table, name); err != nil {
				return tr, err
			}
			if !declared[name] {
				tr.Dropped = append(tr.Dropped, name)
			}
		}
	}
	err := eachRecord(en, table, func(ids []ID, bodies [][]byte) error {
		for i, id := range ids {
			d, _, why := decodeRecord(tx.state, table, id, bodies[i])
			if why != "" {
				tr.Skipped++
				continue
			}
			tr.Documents++
			for _, ix := range indexes {
				key, err := storedIndexKey(ix, d)
				if err != nil {
					return fmt.Errorf("document %s: %w", id, err)
				}
				if err := tx.st.PutIndex(table, ix.Name, key, []byte(id)); err != nil {
					return err
				}
				tr.Indexes[ix.Name]++
			}
		}
		prog.Done += int64(len(ids))
		if progress != nil {
			progress(prog)
		}
		return nil
	})
	tx.records.clear()
	return tr, err
}
