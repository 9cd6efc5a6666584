package strata

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// creationTimeIndex is the built-in index every table has: documents in
// _creationTime order.
var creationTimeIndex = schema.Index{Name: indexByCreationTime}

// indexes returns the physical indexes of table that writes maintain:
// by_creation_time first, then the active schema's indexes, ready or
// still backfilling (a staged index is in the active schema from the
// transaction that staged it on).
func (tx *Tx) indexes(table string) []schema.Index {
	if tx.schema != nil {
		if t := tx.schema.Tables[table]; t != nil && len(t.Indexes) > 0 {
			out := make([]schema.Index, 0, len(t.Indexes)+1)
			out = append(out, creationTimeIndex)
			return append(out, t.Indexes...)
		}
	}
	return []schema.Index{creationTimeIndex}
}

// indexKey appends doc's key in index ix: the values of the index's fields
// (undefined where missing), then _creationTime and _id, so every key is
// unique and ties keep creation order.
func indexKey(dst []byte, ix schema.Index, doc Doc) ([]byte, error) {
	var err error
	for _, f := range ix.Fields {
		x, ok := lookupPath(doc, f)
		if !ok {
			x = value.Undef
		}
		if dst, err = value.AppendKey(dst, x); err != nil {
			return nil, fmt.Errorf("index %s: field %s: %w", ix.Name, f, err)
		}
	}
	if dst, err = value.AppendKey(dst, doc[FieldCreationTime]); err != nil {
		return nil, fmt.Errorf("index %s: _creationTime: %w", ix.Name, err)
	}
	id, _ := doc[FieldID].(ID)
	return value.AppendKey(dst, string(id))
}

// storedIndexKey returns the key of doc (a stored document, with its
// system fields) in index ix, as strata writes it to storage.
func storedIndexKey(ix schema.Index, doc map[string]any) ([]byte, error) {
	if ix.Name == indexByCreationTime {
		ix.Fields = nil
	}
	return indexKey(nil, ix, Doc(doc))
}

// Index build states, in the "state" field of _index_builds documents.
const (
	BuildBackfilling = "backfilling" // writes maintain the index; old documents are being indexed
	BuildReady       = "ready"       // complete; queries may use it
	BuildCanceled    = "canceled"    // the index left the schema before it was ready
)

// IndexBuild is the state of one online index build, as recorded in
// _index_builds.
type IndexBuild struct {
	ID        ID       `json:"id"`
	Table     string   `json:"table"`
	Index     string   `json:"index"`
	Fields    []string `json:"fields"`
	State     string   `json:"state"`     // BuildBackfilling, BuildReady or BuildCanceled
	Processed int64    `json:"processed"` // existing documents indexed so far
	Total     int64    `json:"total"`     // documents the table held when the build started
}

// ErrIndexNotReady is wrapped by the error of a query on an index that a
// push added but that is still being built.
var ErrIndexNotReady = errors.New("index not ready")

// ErrIndexDropped is wrapped by the error of a query on an index that a
// push removed from the schema.
var ErrIndexDropped = errors.New("index dropped")

// stageIndex registers a build of ix in _index_builds within tx, which
// activates the schema holding ix. Its high-water mark is the newest
// document of the table at that moment: documents written later are
// indexed by their writes. An empty table's index is ready at once.
func (tx *Tx) stageIndex(table string, ix schema.Index) (ID, error) {
	ents, err := tx.st.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Reverse: true, Limit: 1, KeysOnly: true})
	if err != nil {
		return "", err
	}
	d := Doc{
		"table":     table,
		"index":     ix.Name,
		"fields":    stringsValue(ix.Fields),
		"state":     BuildBackfilling,
		"processed": int64(0),
		"startedAt": nowMillis(),
		"updatedAt": nowMillis(),
	}
	if len(ents) == 0 {
		d["state"] = BuildReady
		d["readyAt"] = nowMillis()
	} else {
		d["hwm"] = append(bytes.Clone(ents[0].Key), 0) // exclusive end
	}
	return tx.appendSystemID(indexBuildsTable, d)
}

func buildFromDoc(d Doc) IndexBuild {
	b := IndexBuild{ID: d.ID(), Table: d.StringOr("table", ""), Index: d.StringOr("index", ""), State: d.StringOr("state", "")}
	b.Processed, _ = d.Int("processed")
	b.Total, _ = d.Int("total")
	if list, ok := d["fields"].([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				b.Fields = append(b.Fields, s)
			}
		}
	}
	return b
}

// IndexBuilds returns every index build recorded in _index_builds, oldest
// first, as of one snapshot.
func (db *DB) IndexBuilds(ctx context.Context) ([]IndexBuild, error) {
	var out []IndexBuild
	err := db.Query(system.Unlimited(ctx), func(tx *Tx) error {
		return tx.scanAll(indexBuildsTable, func(d Doc) bool {
			out = append(out, buildFromDoc(d))
			return true
		})
	})
	if err != nil {
		return nil, fmt.Errorf("strata: index builds: %w", err)
	}
	return out, nil
}

// ResumeIndexBuilds runs every unfinished index build to completion, in
// this goroutine, and returns when all are ready (or ctx ends: the builds
// keep their progress and resume from it). It is safe to run from several
// goroutines or processes at once: one runner holds a build at a time (a
// lease in its _index_builds document, renewed by every batch, expiring
// 10 s after the last one if its runner died), the others wait for it to
// be ready; each batch is a serializable transaction that reads and
// advances the build's cursor. Batches adapt their size to a 10 ms target,
// end early when an application writer waits (SQLite), and commit without
// waiting for stable storage but for the build's last commit.
func (db *DB) ResumeIndexBuilds(ctx context.Context) error {
	_, err := db.finishBuilds(ctx, PushOptions{Wait: true})
	return err
}

// finishBuilds resumes unfinished builds: in this goroutine with
// opts.Wait, else in a background goroutine that stops when the DB is
// closed. It returns the builds' states.
func (db *DB) finishBuilds(ctx context.Context, opts PushOptions) ([]IndexBuild, error) {
	all, err := db.IndexBuilds(ctx)
	if err != nil {
		return nil, err
	}
	var todo []IndexBuild
	for _, b := range all {
		if b.State == BuildBackfilling {
			todo = append(todo, b)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	if !opts.Wait {
		if opts.Staged {
			return todo, nil
		}
		go func() {
			for _, b := range todo {
				if db.runBuild(context.Background(), b.ID, opts) != nil {
					return // closed, or failing: a later push or ResumeIndexBuilds continues
				}
			}
		}()
		return todo, nil
	}
	for i, b := range todo {
		if err := db.runBuild(ctx, b.ID, opts); err != nil {
			return todo, fmt.Errorf("strata: build index %s.%s: %w", b.Table, b.Index, err)
		}
		todo[i].State = BuildReady
	}
	// Report the final counts.
	all, err = db.IndexBuilds(ctx)
	if err != nil {
		return todo, err
	}
	for i := range todo {
		for _, b := range all {
			if b.ID == todo[i].ID {
				todo[i] = b
			}
		}
	}
	return todo, nil
}

// countRange counts the entries of table's by_creation_time below end.
func countRange(t storage.Tx, table string, end []byte) (int64, error) {
	var n int64
	var start []byte
	for {
		ents, err := t.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Range: storage.Range{Start: start, End: end}, Limit: 8192, KeysOnly: true})
		if err != nil {
			return 0, err
		}
		n += int64(len(ents))
		if len(ents) < 8192 {
			return n, nil
		}
		start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}

// checkIndexReady returns an error wrapping ErrIndexNotReady if the index
// was staged by the active push and its build is not finished in tx's
// snapshot. Once seen ready, an index is not checked again under the same
// schema.
func (tx *Tx) checkIndexReady(table, index string) error {
	st := tx.state
	if st == nil || st.active != tx.schema {
		if err := tx.loadSchema(); err != nil {
			return err
		}
		st = tx.state
	}
	k := indexKeyName(table, index)
	bid, staged := st.builds[k]
	if !staged {
		return nil
	}
	if _, ok := st.ready.Load(k); ok {
		return nil
	}
	d, err := tx.get(indexBuildsTable, bid)
	if err != nil {
		return err
	}
	if d != nil && d.StringOr("state", "") == BuildReady {
		st.ready.Store(k, true)
		return nil
	}
	b := buildFromDoc(d)
	return &QueryError{Table: table, Index: index, Err: fmt.Errorf("%w: index %q of table %q is still being built (%s of %s existing documents indexed); wait for it (strata schema push --wait, DB.ResumeIndexBuilds)",
		ErrIndexNotReady, index, table, formatCount(b.Processed), formatCount(b.Total))}
}

// scanAll calls fn for every document of table in _creationTime order
// until fn returns false.
func (tx *Tx) scanAll(table string, fn func(Doc) bool) error {
	var start []byte
	for {
		ents, err := tx.st.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Range: storage.Range{Start: start}, Limit: 512})
		if err != nil {
			return err
		}
		for _, e := range ents {
			m, err := tx.decodeRecord(table, e.Body)
			if err != nil {
				return fmt.Errorf("table %s: corrupt record %s: %w", table, e.ID, err)
			}
			if !fn(Doc(m)) {
				return nil
			}
		}
		if len(ents) < 512 {
			return nil
		}
		start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}
