package strata

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// Schema is a database schema: tables with document validators and
// indexes. Build one with NewSchema and Table, or parse a schema file with
// schema.Parse.
type Schema = schema.Schema

// NewSchema builds a schema from table definitions and checks it (names,
// index limits, id references), returning every problem found.
func NewSchema(tables ...*schema.Table) (*Schema, error) {
	return schema.New(tables...)
}

// Table defines a table whose documents must satisfy fields. Chain Index
// calls to add indexes: strata.Table("users", v.Object{...}).Index("by_email", "email").
func Table(name string, fields v.Object) *schema.Table {
	return schema.Define(name, fields)
}

// SetSchema makes s the active schema: it is Push with Wait, so it returns
// once every existing document has been checked, s is active and its new
// indexes are ready. If any document does not satisfy s, nothing changes
// (but the history in _schemas) and the error, a *PushRefusedError, names
// them. Tables that s does not mention keep their data and are no longer
// validated.
func (db *DB) SetSchema(ctx context.Context, s *Schema) error {
	_, err := db.Push(ctx, s, PushOptions{Wait: true})
	return err
}

// System tables written by the schema lifecycle.
const indexBuildsTable = "_index_builds"

// Values of the "state" field of _schemas documents. The newest document
// of _schemas (its head) says what is in force: an active document
// carries the active schema; a pending one a push being checked (and the
// id of the active document in "active"); any other state records how a
// push ended, also with "active". A push refused by its check removes
// its pending document: it leaves no trace.
const (
	stateActive     = "active"
	statePending    = "pending"
	stateFailed     = "failed"     // a write broke the pending schema
	stateSuperseded = "superseded" // recorded on the pending document's push by a newer push
)

// schemaState is what the head of _schemas says, parsed once and cached
// on the DB by the head's key. It is immutable but for ready.
type schemaState struct {
	head     []byte // by_creation_time key of the head; nil if _schemas is empty
	headID   ID
	active   *schema.Schema
	activeID ID
	pending  *pendingPush
	builds   map[string]ID   // "table.index" -> _index_builds id, for indexes staged by the active push
	dropped  map[string]bool // "table.index" dropped by a push and not added again
	ready    sync.Map        // "table.index" -> true once a staged index was seen ready

	// migrations are the declarative migration files whose transforms
	// every write applies while they are active (set by package migrate);
	// ops holds their operations by table, in order.
	migrations []string
	ops        map[string][]activeOp
	// shapes are the shape chains of the tables (shapes.go).
	shapes map[string]*shapeChain
}

// pendingPush is a schema registered by a push that is checking data.
type pendingPush struct {
	id     ID
	schema *schema.Schema
	check  map[string]bool // tables whose writes must satisfy schema
	step   *pushStep       // the shape step the push appends, if any
}

func indexKeyName(table, index string) string { return table + "." + index }

// withoutPending returns a copy of st that no longer checks a pending push.
func (st *schemaState) withoutPending() *schemaState {
	return &schemaState{head: st.head, headID: st.headID, active: st.active, activeID: st.activeID,
		builds: st.builds, dropped: st.dropped, migrations: st.migrations, ops: st.ops, shapes: st.shapes}
}

// headKey reads the key and id of the newest _schemas document.
func headKey(t storage.Tx) ([]byte, ID, error) {
	ents, err := t.Scan(headRequest)
	if err != nil || len(ents) == 0 {
		return nil, "", err
	}
	return ents[0].Key, ID(ents[0].ID), nil
}

// headRequest reads the head of _schemas: its newest document's key.
var headRequest = storage.ScanRequest{Table: schemasTable, Index: indexByCreationTime, Reverse: true, Limit: 1, KeysOnly: true}

// assumeSchema makes a write transaction use the DB's cached schema state
// without first reading the head of _schemas, when the storage
// transaction checks the cached head in its own snapshot with its first
// round trip (storage.Assumer) — as loadSchema would read it, and with
// the same effect under SERIALIZABLE: a concurrent schema change
// conflicts with the transaction. If the head moved, the transaction
// fails with storage.ErrAssumption and its retry reads the head first.
// It reports whether it did.
func (tx *Tx) assumeSchema() bool {
	a, ok := tx.st.(storage.Assumer)
	if !ok {
		return false
	}
	tx.db.mu.RLock()
	cur := tx.db.state
	tx.db.mu.RUnlock()
	if cur == nil || a.AssumeFirstKey(headRequest, cur.head) != nil {
		return false
	}
	tx.schema, tx.state = cur.active, cur
	return true
}

// loadSchema makes tx use the schema state of its snapshot, parsing it
// only when the head of _schemas differs from the DB's cached one. In a
// write transaction the read of the head makes a concurrent schema change
// conflict with the transaction.
func (tx *Tx) loadSchema() error {
	key, id, err := headKey(tx.st)
	if err != nil {
		return fmt.Errorf("strata: load schema: %w", err)
	}
	db := tx.db
	db.mu.RLock()
	cur := db.state
	db.mu.RUnlock()
	if key == nil {
		tx.schema, tx.state = nil, &schemaState{}
		if tx.writable {
			db.mu.Lock()
			db.schema, db.schemaAt, db.state = nil, nil, tx.state
			db.mu.Unlock()
		}
		return nil
	}
	if cur != nil && bytes.Equal(key, cur.head) {
		tx.schema, tx.state = cur.active, cur
		return nil
	}
	st, err := tx.readState(key, id, cur)
	if err != nil {
		return fmt.Errorf("strata: load schema %s: %w", id, err)
	}
	tx.schema, tx.state = st.active, st
	// The head can move back (a refused push removes its pending
	// document); a write transaction sees the newest state, so it always
	// updates the cache, a read one only with a newer head.
	db.mu.Lock()
	if tx.writable || bytes.Compare(key, db.schemaAt) > 0 {
		db.schema, db.schemaAt, db.state = st.active, key, st
	}
	db.mu.Unlock()
	return nil
}

// readState parses the head document id (whose key is key), reusing the
// parsed active schema of cur when it is the same document.
func (tx *Tx) readState(key []byte, id ID, cur *schemaState) (*schemaState, error) {
	doc, err := tx.get(schemasTable, id)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("head document vanished")
	}
	st := &schemaState{head: key, headID: id}
	activeDoc := doc
	if doc.StringOr("state", "") != stateActive {
		aid, _ := doc["active"].(ID)
		activeDoc = nil
		if aid != "" && cur != nil && cur.activeID == aid {
			st.active, st.activeID, st.builds, st.dropped = cur.active, aid, cur.builds, cur.dropped
			st.migrations, st.ops, st.shapes = cur.migrations, cur.ops, cur.shapes
		} else if aid != "" {
			if activeDoc, err = tx.get(schemasTable, aid); err != nil {
				return nil, err
			}
			if activeDoc == nil {
				return nil, fmt.Errorf("active schema document %s is missing", aid)
			}
		}
		if doc.StringOr("state", "") == statePending {
			p, err := schema.Parse([]byte(doc.StringOr("schema", "")))
			if err != nil {
				return nil, fmt.Errorf("pending schema: %w", err)
			}
			step, err := parsePushStep(doc["step"])
			if err != nil {
				return nil, err
			}
			st.pending = &pendingPush{id: id, schema: p, check: map[string]bool{}, step: step}
			if list, ok := doc["check"].([]any); ok {
				for _, x := range list {
					if s, ok := x.(string); ok {
						st.pending.check[s] = true
					}
				}
			}
		}
	}
	if activeDoc != nil {
		s, err := schema.Parse([]byte(activeDoc.StringOr("schema", "")))
		if err != nil {
			return nil, err
		}
		st.active, st.activeID = s, activeDoc.ID()
		st.builds, st.dropped = map[string]ID{}, map[string]bool{}
		if m, ok := activeDoc["builds"].(map[string]any); ok {
			for k, x := range m {
				if bid, ok := x.(ID); ok {
					st.builds[k] = bid
				}
			}
		}
		if list, ok := activeDoc["dropped"].([]any); ok {
			for _, x := range list {
				if s, ok := x.(string); ok {
					st.dropped[s] = true
				}
			}
		}
		if err := st.loadMigrations(activeDoc["migrations"]); err != nil {
			return nil, err
		}
		if st.shapes, err = loadShapes(activeDoc["shapes"]); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// checkPending validates next, about to be written to table, against the
// schema of a pending push. A document that breaks it does not refuse the
// write: the push is marked failed, naming the document, in this same
// transaction (so the mark exists exactly if the write commits), and the
// push, which re-reads the head before activating, fails.
func (tx *Tx) checkPending(table string, id ID, next Doc) error {
	st := tx.state
	if next == nil || st == nil || st.pending == nil || !st.pending.check[table] {
		return nil
	}
	shaped, verr := st.pending.step.applyTo(table, next)
	if verr == nil {
		verr = st.pending.schema.ValidateDocument(table, shaped)
	}
	if verr == nil {
		return nil
	}
	tx.state = st.withoutPending()
	rec := Doc{
		"state": stateFailed,
		"push":  st.pending.id,
		"error": fmt.Sprintf("document %s of table %s written during the check does not satisfy the new schema: %v: "+
			"deploy code that writes only documents the new schema accepts, migrate the documents written since, then push again", id, table, verr),
		"table":    table,
		"document": id,
		"endedAt":  nowMillis(),
	}
	if st.activeID != "" {
		rec["active"] = st.activeID
	}
	if err := tx.appendSystem(schemasTable, rec); err != nil {
		return fmt.Errorf("record failed schema push: %w", err)
	}
	return nil
}

// appendSystem inserts doc into a system table without validation.
func (tx *Tx) appendSystem(table string, doc Doc) error {
	_, err := tx.appendSystemID(table, doc)
	return err
}

func (tx *Tx) appendSystemID(table string, doc Doc) (ID, error) {
	ct, err := tx.nextCreationTime(table)
	if err != nil {
		return "", err
	}
	id := value.NewID(table)
	doc[FieldID] = id
	doc[FieldCreationTime] = ct
	return id, tx.write(table, id, nil, doc)
}
