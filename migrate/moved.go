package migrate

import (
	"bytes"
	"context"
	"fmt"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/schema"
)

// MovedTable is the system table where a migration over an index range
// remembers the documents it rewrote to a position after its cursor, so
// that it skips them when it meets them again (see mover). Each batch that
// moves documents appends one record {migration, ids, keys} naming them
// and the index key each was moved to; nothing is ever rewritten, so the
// cost of remembering is proportional to the batch, not to the documents
// moved so far. The runner keeps the entries in memory (loaded once when
// it claims the migration); the records are deleted when the migration
// completes or is reset.
const MovedTable = "_migrations_moved"

// movedSet is what a runner remembers of the documents moved ahead.
type movedSet struct {
	keys    map[strata.ID][]byte // id → the index key it was moved to
	records []strata.ID          // the MovedTable records of the migration
}

// loadMoved reads the moved documents recorded for the migration name.
func loadMoved(ctx context.Context, db *strata.DB, name string) (*movedSet, error) {
	ms := &movedSet{keys: map[strata.ID][]byte{}}
	err := db.Query(ctx, func(tx *strata.Tx) error {
		ms.keys, ms.records = map[strata.ID][]byte{}, nil
		return tx.Table(MovedTable).Filter(strata.Field("migration").Eq(name)).Each(func(d strata.Doc) error {
			ids, _ := d["ids"].([]any)
			keys, _ := d["keys"].([]any)
			if len(ids) != len(keys) {
				return fmt.Errorf("migrate: %q: %s record %s: %d ids and %d keys", name, MovedTable, d.ID(), len(ids), len(keys))
			}
			for i, x := range ids {
				id, _ := x.(string)
				key, _ := keys[i].([]byte)
				ms.keys[strata.ID(id)] = key
			}
			ms.records = append(ms.records, d.ID())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: %q: read %s: %w", name, MovedTable, err)
	}
	return ms, nil
}

// deleteMoved deletes the MovedTable records of migration name in tx.
func deleteMoved(tx *strata.Tx, name string) error {
	var ids []strata.ID
	err := tx.Table(MovedTable).Filter(strata.Field("migration").Eq(name)).Each(func(d strata.Doc) error {
		ids = append(ids, d.ID())
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := sys.Delete(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// mover supports migrations over an index range that rewrite the indexed
// field: a document a batch rewrites may move past the cursor and would be
// visited again.
type mover struct{ ix schema.Index }

// mover returns nil for scans whose keys never change (_creationTime
// order, or an index the schema does not know).
func (r *runner) mover(tx *strata.Tx) (*mover, error) {
	mig := r.mig
	if mig.Index == "" || tx.Schema() == nil || tx.Schema().Tables[mig.Table] == nil {
		return nil, nil
	}
	ix, ok := tx.Schema().Tables[mig.Table].IndexByName(mig.Index)
	if !ok {
		return nil, nil
	}
	return &mover{ix}, nil
}

// batchMoves is what one batch learns about moved documents: those it
// moved ahead (added) and those it met again and skipped (met). They
// change the runner's movedSet only once the batch has committed.
type batchMoves struct {
	added map[strata.ID][]byte
	met   []strata.ID
}

// seen reports whether doc, met by the scan, was moved to its position by
// an earlier batch (or this one) and so was visited already. legacy holds
// ids recorded by older versions in the tracking document, without keys.
func (r *runner) seen(m *mover, doc strata.Doc, bm *batchMoves, legacy map[strata.ID]bool) (bool, error) {
	id := doc.ID()
	if legacy[id] {
		delete(legacy, id)
		return true, nil
	}
	if m == nil {
		return false, nil
	}
	key, ok := bm.added[id]
	if !ok && r.moved != nil {
		key, ok = r.moved.keys[id]
	}
	if !ok {
		return false, nil
	}
	now, err := sys.IndexKey(m.ix, doc)
	if err != nil {
		return false, err
	}
	// A document the application moved again since is met where the
	// application put it: a new position, visited as any other.
	if !bytes.Equal(now, key) {
		return false, nil
	}
	bm.met = append(bm.met, id)
	return true, nil
}

// note records in bm each rewritten document whose key now lies after
// that of last, the document at the cursor (as read).
func (m *mover) note(tx *strata.Tx, rewritten []strata.ID, last strata.Doc, bm *batchMoves) error {
	lastKey, err := sys.IndexKey(m.ix, last)
	if err != nil {
		return err
	}
	for _, id := range rewritten {
		now, err := tx.Get(id)
		if err != nil {
			return err
		}
		if now == nil {
			continue
		}
		newKey, err := sys.IndexKey(m.ix, now)
		if err != nil {
			return err
		}
		if bytes.Compare(newKey, lastKey) > 0 {
			if bm.added == nil {
				bm.added = map[strata.ID][]byte{}
			}
			bm.added[id] = newKey
		}
	}
	return nil
}

// record appends bm's new entries to MovedTable in tx, as one record.
func (bm *batchMoves) record(tx *strata.Tx, name string) (strata.ID, error) {
	if len(bm.added) == 0 {
		return "", nil
	}
	ids := make([]any, 0, len(bm.added))
	keys := make([]any, 0, len(bm.added))
	for id, key := range bm.added {
		ids = append(ids, string(id))
		keys = append(keys, key)
	}
	return sys.Insert(tx, MovedTable, map[string]any{"migration": name, "ids": ids, "keys": keys})
}

// commit applies a committed batch's moves to the runner's memory.
func (r *runner) commitMoves(bm *batchMoves, record strata.ID) {
	if r.moved == nil || (len(bm.added) == 0 && len(bm.met) == 0) {
		return
	}
	for _, id := range bm.met {
		delete(r.moved.keys, id)
	}
	for id, key := range bm.added {
		r.moved.keys[id] = key
	}
	if record != "" {
		r.moved.records = append(r.moved.records, record)
	}
}
