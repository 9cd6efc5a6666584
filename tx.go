package strata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// Tx is a transaction, passed to the function given to DB.Query or
// DB.Mutation. It must not be used after that function returns, nor by
// more than one goroutine at a time.
type Tx struct {
	db       *DB
	st       storage.Tx
	ctx      context.Context
	writable bool
	schema   *schema.Schema
	lastCT   map[string]float64 // last _creationTime per table seen by this tx
	ctEnd    map[string]float64 // end of the creation times reserved from a storage.Clock
	state    *schemaState       // the schema lifecycle state tx.schema belongs to
	onCommit []func()
	records  recordCache // write transactions: records read or written
	limited  bool        // counts holds this transaction to db.limits
	counts   txCounts    // see Limits
}

// OnCommit registers fn to run after the transaction commits, on the
// goroutine that called Mutation, in registration order. It does not run
// if the transaction rolls back, nor for an attempt that lost a
// serialization race and was retried (the retry registers its own). Use it
// to signal work that may only start once the writes are visible, such as
// waking a worker for a job the transaction scheduled.
func (tx *Tx) OnCommit(fn func()) {
	tx.onCommit = append(tx.onCommit, fn)
}

// Context returns the context the transaction runs under.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Schema returns the schema the transaction validates writes against, or
// nil if none is set.
func (tx *Tx) Schema() *schema.Schema { return tx.schema }

// WritersWaiting reports whether other write transactions of this process
// are queued behind tx, a write transaction, on a backend whose writers
// take turns (SQLite). A long batch can check it and commit early to let
// them in. It is always false on PostgreSQL, whose writers run
// concurrently, and in a read-only transaction.
func (tx *Tx) WritersWaiting() bool {
	if !tx.writable {
		return false
	}
	w, ok := tx.st.(storage.Waiters)
	return ok && w.WritersWaiting() > 0
}

const (
	indexByCreationTime = "by_creation_time"
	indexByID           = "by_id"
	schemasTable        = "_schemas"
)

// Get returns the document with the given id, or nil (and no error) if
// there is none. An id that is malformed is an error.
func (tx *Tx) Get(id ID) (Doc, error) {
	table, err := id.Table()
	if err != nil {
		return nil, fmt.Errorf("strata: get: %w", err)
	}
	d, err := tx.get(table, id)
	if err == nil && d != nil {
		if err := tx.countRead(table, 1); err != nil {
			return nil, err
		}
	}
	return d, err
}

func (tx *Tx) get(table string, id ID) (Doc, error) {
	d, shared, err := tx.load(table, id)
	if shared {
		d = value.Clone(map[string]any(d)).(map[string]any)
	}
	return d, err
}

// load returns the document id of table, or nil if there is none. If
// shared is true the document is the record cache's decoded copy, which
// the caller may read but must neither modify nor hand out.
func (tx *Tx) load(table string, id ID) (d Doc, shared bool, err error) {
	rec, found, err := tx.loadRecord(table, id)
	if err != nil || !found {
		return nil, false, err
	}
	if rec.doc != nil {
		return rec.doc, true, nil
	}
	d, err = tx.decodeBody(table, id, rec.body)
	return d, false, err
}

// decodeBody decodes the record body of document id of table into its
// logical document.
func (tx *Tx) decodeBody(table string, id ID, body []byte) (Doc, error) {
	m, err := tx.decodeRecord(table, body)
	if err != nil {
		return nil, fmt.Errorf("strata: get %s: corrupt record: %w", id, err)
	}
	return Doc(m), nil
}

// loadRecord returns the record of document id of table, from the record
// cache (with its decoded document, when a migration batch adopted one)
// or from storage; found is false if there is none.
func (tx *Tx) loadRecord(table string, id ID) (rec record, found bool, err error) {
	rec, ok := tx.records.get(id)
	if ok {
		return rec, true, nil
	}
	body, err := tx.st.Get(table, []byte(id))
	if errors.Is(err, storage.ErrNotFound) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, fmt.Errorf("strata: get %s: %w", id, err)
	}
	tx.records.put(tx, id, body)
	return record{body: body}, true, nil
}

// getInto is get for the typed reads: when into (if not nil) takes the
// document straight from its record, d is nil and found true; otherwise
// d is the document as get returns it.
func (tx *Tx) getInto(table string, id ID, into func(body []byte) bool) (d Doc, found bool, err error) {
	rec, found, err := tx.loadRecord(table, id)
	if err != nil || !found {
		return nil, false, err
	}
	if rec.doc != nil {
		return value.Clone(map[string]any(rec.doc)).(map[string]any), true, nil
	}
	if into != nil && tx.offerInto(table, rec.body, into) {
		return nil, true, nil
	}
	d, err = tx.decodeBody(table, id, rec.body)
	return d, err == nil, err
}

// Insert adds a document to table and returns its new id. The document is
// a Doc, a map with string keys or a struct (see value.Convert for the Go
// values it may hold); it must not contain system fields. If the table has
// a schema, the document must satisfy it; otherwise nothing is written and
// the error names the table and field path.
func (tx *Tx) Insert(table string, v any) (ID, error) {
	if err := tx.checkUserWrite("insert", table); err != nil {
		return "", err
	}
	doc, err := toDoc(v)
	if err != nil {
		return "", &WriteError{Op: "insert", Table: table, Err: err}
	}
	for k := range doc {
		if k == FieldID || k == FieldCreationTime {
			return "", &WriteError{Op: "insert", Table: table, Err: fmt.Errorf("system field %s cannot be set", k)}
		}
	}
	return tx.insert(table, doc, "", 0)
}

// Import inserts a document keeping its _id and _creationTime when it has
// them (as exported by strata export); a document without them gets new
// ones. An _id that belongs to another table or already exists is an
// error. Import is for restoring data; applications use Insert.
func (tx *Tx) Import(table string, doc Doc) (ID, error) {
	if err := tx.checkUserWrite("import", table); err != nil {
		return "", err
	}
	var id ID
	var ct float64
	if x, ok := doc[FieldID]; ok {
		s, isStr := x.(string)
		if i, isID := x.(ID); isID {
			s, isStr = string(i), true
		}
		if !isStr {
			return "", &WriteError{Op: "import", Table: table, Err: fmt.Errorf("_id: expected string, found %s", value.TypeName(x))}
		}
		parsed, err := value.ParseIDFor(s, table)
		if err != nil {
			return "", &WriteError{Op: "import", Table: table, Err: err}
		}
		id = parsed
		if _, err := tx.st.Get(table, []byte(id)); err == nil {
			return "", &WriteError{Op: "import", Table: table, ID: id, Err: errors.New("a document with this _id already exists")}
		} else if !errors.Is(err, storage.ErrNotFound) {
			return "", err
		}
	}
	if x, ok := doc[FieldCreationTime]; ok {
		f, isF := x.(float64)
		if !isF || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
			return "", &WriteError{Op: "import", Table: table, ID: id, Err: fmt.Errorf("_creationTime: expected a positive finite number, found %s", value.TypeName(x))}
		}
		ct = f
	}
	fields, err := convertDoc(doc.Fields())
	if err != nil {
		return "", &WriteError{Op: "import", Table: table, ID: id, Err: err}
	}
	return tx.insert(table, fields, id, ct)
}

func (tx *Tx) insert(table string, fields Doc, id ID, ct float64) (ID, error) {
	op := "insert"
	if err := value.Check(map[string]any(fields)); err != nil {
		return "", &WriteError{Op: op, Table: table, Err: err}
	}
	if !tx.hasTransforms(table) {
		// Without transforms the document is final: refuse it before
		// taking an id and a creation time.
		if err := tx.validate(table, fields); err != nil {
			return "", &WriteError{Op: op, Table: table, Err: err}
		}
	}
	if id == "" {
		id = value.NewID(table)
	}
	if ct == 0 {
		var err error
		if ct, err = tx.nextCreationTime(table); err != nil {
			return "", &WriteError{Op: op, Table: table, Err: err}
		}
	} else if err := tx.importedCreationTime(table, ct); err != nil {
		return "", &WriteError{Op: op, Table: table, Err: err}
	}
	doc := make(Doc, len(fields)+2)
	for k, x := range fields {
		doc[k] = x
	}
	doc[FieldID] = id
	doc[FieldCreationTime] = ct
	if tx.hasTransforms(table) {
		var err error
		if doc, err = tx.transform(table, nil, doc); err != nil {
			return "", &WriteError{Op: op, Table: table, ID: id, Err: err}
		}
		if err := value.Check(map[string]any(doc)); err != nil {
			return "", &WriteError{Op: op, Table: table, ID: id, Err: err}
		}
		if err := tx.validate(table, doc); err != nil {
			return "", &WriteError{Op: op, Table: table, ID: id, Err: err}
		}
	}
	if err := tx.write(table, id, nil, doc); err != nil {
		return "", &WriteError{Op: op, Table: table, ID: id, Err: err}
	}
	return id, nil
}

// Patch shallow-merges p into the document: each field of p is set, and a
// field set to Unset is removed. The result is validated as a whole. It is
// an error if the document does not exist.
func (tx *Tx) Patch(id ID, p Patch) error {
	return tx.patch(id, p, false)
}

func (tx *Tx) patch(id ID, p Patch, system bool) error {
	return tx.update("patch", id, system, func(old Doc) (Doc, error) {
		p, err := convertPatch(p)
		if err != nil {
			return nil, err
		}
		// A patch of fields the document has (a backfill's second run, an
		// application's update) clones the map, twice as fast as copying
		// it key by key; a patch adding fields copies into a map sized for
		// them, which cloning would have to grow.
		var next Doc
		if patchAddsFields(old, p) {
			next = make(Doc, len(old)+len(p))
			for k, x := range old {
				next[k] = x
			}
		} else {
			next = maps.Clone(old)
		}
		for k, x := range p {
			if k == FieldID || k == FieldCreationTime {
				return nil, fmt.Errorf("system field %s cannot be patched", k)
			}
			if _, unset := x.(value.UndefinedValue); unset {
				delete(next, k)
				continue
			}
			next[k] = x
		}
		return next, nil
	})
}

// patchAddsFields reports whether p sets a field old lacks.
func patchAddsFields(old Doc, p Patch) bool {
	for k, x := range p {
		if _, ok := old[k]; !ok {
			if _, unset := x.(value.UndefinedValue); !unset {
				return true
			}
		}
	}
	return false
}

// Replace swaps the document's fields for doc (a Doc, a map with string
// keys or a struct, as for Insert), keeping its _id and _creationTime. doc
// must not contain other system fields (it may repeat the document's own
// _id and _creationTime). It is an error if the document does not exist.
func (tx *Tx) Replace(id ID, doc any) error {
	return tx.replace(id, doc, false)
}

func (tx *Tx) replace(id ID, v any, system bool) error {
	return tx.update("replace", id, system, func(old Doc) (Doc, error) {
		doc, err := toDoc(v)
		if err != nil {
			return nil, err
		}
		next := make(Doc, len(doc)+2)
		for k, x := range doc {
			if k == FieldID || k == FieldCreationTime {
				if value.Equal(x, old[k]) {
					continue
				}
				return nil, fmt.Errorf("system field %s cannot be replaced", k)
			}
			next[k] = x
		}
		next[FieldID] = old[FieldID]
		next[FieldCreationTime] = old[FieldCreationTime]
		return next, nil
	})
}

func (tx *Tx) update(op string, id ID, system bool, change func(old Doc) (Doc, error)) error {
	table, err := id.Table()
	if err != nil {
		return &WriteError{Op: op, Err: err}
	}
	if !system {
		if err := tx.checkUserWrite(op, table); err != nil {
			return err
		}
	}
	// The old document is only read (change and transforms must not
	// modify it), so the cache's decoded copy serves, once.
	old, shared, err := tx.load(table, id)
	if err != nil {
		return &WriteError{Op: op, Table: table, ID: id, Err: err}
	}
	if shared {
		tx.records.release(id)
	}
	if old == nil {
		return &WriteError{Op: op, Table: table, ID: id, Err: errors.New("document does not exist")}
	}
	next, err := change(old)
	if err != nil {
		return &WriteError{Op: op, Table: table, ID: id, Err: err}
	}
	if next, err = tx.transform(table, old, next); err != nil {
		return &WriteError{Op: op, Table: table, ID: id, Err: err}
	}
	if err := value.Check(map[string]any(next)); err != nil {
		return &WriteError{Op: op, Table: table, ID: id, Err: err}
	}
	if err := tx.validate(table, next); err != nil {
		return &WriteError{Op: op, Table: table, ID: id, Err: err}
	}
	if err := tx.write(table, id, old, next); err != nil {
		return &WriteError{Op: op, Table: table, ID: id, Err: err}
	}
	return nil
}

// Delete removes the document. Deleting a document that does not exist is
// an error, so a mistyped id is not silently ignored.
func (tx *Tx) Delete(id ID) error {
	return tx.delete(id, false)
}

func (tx *Tx) delete(id ID, system bool) error {
	table, err := id.Table()
	if err != nil {
		return &WriteError{Op: "delete", Err: err}
	}
	if !system {
		if err := tx.checkUserWrite("delete", table); err != nil {
			return err
		}
	}
	old, shared, err := tx.load(table, id)
	if err != nil {
		return &WriteError{Op: "delete", Table: table, ID: id, Err: err}
	}
	if shared {
		tx.records.release(id)
	}
	if old == nil {
		return &WriteError{Op: "delete", Table: table, ID: id, Err: errors.New("document does not exist")}
	}
	if err := tx.write(table, id, old, nil); err != nil {
		return &WriteError{Op: "delete", Table: table, ID: id, Err: err}
	}
	return nil
}

func (tx *Tx) checkUserWrite(op, table string) error {
	if !tx.writable {
		return ErrReadOnly
	}
	if err := checkTableName(table); err != nil {
		return &WriteError{Op: op, Table: table, Err: err}
	}
	return tx.checkDeclared(op, table)
}

func (tx *Tx) validate(table string, fields Doc) error {
	if tx.schema == nil {
		return nil
	}
	return tx.schema.ValidateDocument(table, fields)
}

// write replaces old by next (either may be nil) in table: the record and
// every index entry whose key changed.
func (tx *Tx) write(table string, id ID, old, next Doc) error {
	if err := tx.checkPending(table, id, next); err != nil {
		return err
	}
	var body []byte
	if next != nil {
		// An update is sized by the record it replaces: encoding then
		// rarely grows its buffer.
		size := 256
		if r, ok := tx.records.get(id); ok && len(r.body)+64 > size {
			size = len(r.body) + 64
		}
		var err error
		if body, err = tx.appendRecord(make([]byte, 0, size), table, next); err != nil {
			return err
		}
	}
	if err := tx.countWrite(table, len(body)); err != nil {
		return err
	}
	// old is nil for a document this transaction made (its id is new, or
	// was checked for: Import, restore): the storage transaction may then
	// write it and its index entries as new ones (storage.Inserter).
	ins, _ := tx.st.(storage.Inserter)
	for _, ix := range tx.indexes(table) {
		if old != nil && next != nil && ix.Name == indexByCreationTime {
			continue // an update keeps _creationTime and _id: the same key
		}
		var oldKey, newKey []byte
		var err error
		if old != nil {
			if oldKey, err = indexKey(nil, ix, old); err != nil {
				return err
			}
		}
		if next != nil {
			if newKey, err = indexKey(nil, ix, next); err != nil {
				return err
			}
		}
		if old != nil && next != nil && bytes.Equal(oldKey, newKey) {
			continue
		}
		if old != nil {
			if err := tx.st.DeleteIndex(table, ix.Name, oldKey); err != nil {
				return err
			}
		}
		if next != nil {
			if err := tx.putIndex(ins, old == nil, table, ix.Name, newKey, id); err != nil {
				return err
			}
		}
	}
	if next == nil {
		tx.records.forget(id)
		return tx.st.Delete(table, []byte(id))
	}
	var err error
	if ins != nil && old == nil {
		err = ins.Insert(table, []byte(id), body)
	} else {
		err = tx.st.Put(table, []byte(id), body)
	}
	if err != nil {
		tx.records.forget(id)
		return err
	}
	tx.records.put(tx, id, body)
	return nil
}

// putIndex writes the entry key -> id of index ix of table: through ins
// as a new entry when the document is new (created: its keys end with
// its id, which no document had, so none can exist), else as PutIndex.
func (tx *Tx) putIndex(ins storage.Inserter, created bool, table, ix string, key []byte, id ID) error {
	if ins != nil && created {
		return ins.InsertIndex(table, ix, key, []byte(id))
	}
	return tx.st.PutIndex(table, ix, key, []byte(id))
}

// nextCreationTime returns a _creationTime for a new document of table:
// the current time in milliseconds, or just above the table's newest
// _creationTime if the clock has not moved past it, so creation times are
// strictly increasing within a table.
//
// When the storage transaction is a storage.Clock (PostgreSQL), the times
// come from the store's per-table clock instead of a read of the table's
// newest entry, which would make every two concurrent inserts into one
// table conflict under SERIALIZABLE. A transaction reserves one time on
// its first insert into a table and blocks of 128 after that.
func (tx *Tx) nextCreationTime(table string) (float64, error) {
	if c, ok := tx.st.(storage.Clock); ok {
		if end, ok := tx.ctEnd[table]; ok {
			if last := tx.lastCT[table]; last < end {
				next := math.Nextafter(last, math.Inf(1))
				tx.noteCreationTime(table, next)
				return next, nil
			}
			return tx.reserveCreationTimes(c, table, creationNow(), 128)
		}
		return tx.reserveCreationTimes(c, table, creationNow(), 1)
	}
	last, err := tx.lastCreationTime(table)
	if err != nil {
		return 0, err
	}
	now := float64(time.Now().UnixMicro()) / 1000
	if now <= last {
		now = math.Nextafter(last, math.Inf(1))
	}
	tx.noteCreationTime(table, now)
	return now, nil
}

func creationNow() float64 { return float64(time.Now().UnixMicro()) / 1000 }

// reserveCreationTimes reserves n creation times of at least atLeast from
// the store's clock, returns the first and keeps the others for the
// transaction's next inserts into table. The first reservation ever for a
// table seeds the clock above the table's newest _creationTime (read in
// the transaction), so data written without the clock (copied, or from
// an older strata) keeps its order.
func (tx *Tx) reserveCreationTimes(c storage.Clock, table string, atLeast float64, n int) (float64, error) {
	first, ok, err := c.ReserveCreationTimes(table, atLeast, n, false)
	if err == nil && !ok {
		var last float64
		if last, err = tx.lastCreationTime(table); err == nil {
			first, _, err = c.ReserveCreationTimes(table, max(atLeast, math.Nextafter(last, math.Inf(1))), n, true)
		}
	}
	if err != nil {
		return 0, err
	}
	end := first
	for range n - 1 {
		end = math.Nextafter(end, math.Inf(1))
	}
	if tx.ctEnd == nil {
		tx.ctEnd = make(map[string]float64)
	}
	tx.ctEnd[table] = end
	tx.noteCreationTime(table, first)
	return first, nil
}

// importedCreationTime accounts for a document imported with an explicit
// _creationTime ct: later inserts into table, in this transaction and
// (through a storage.Clock) in every other, get creation times above it.
func (tx *Tx) importedCreationTime(table string, ct float64) error {
	if c, ok := tx.st.(storage.Clock); ok {
		if end, ok := tx.ctEnd[table]; ok && ct <= end {
			if ct > tx.lastCT[table] {
				tx.noteCreationTime(table, ct)
			}
			return nil
		}
		_, err := tx.reserveCreationTimes(c, table, ct, 1)
		return err
	}
	last, err := tx.lastCreationTime(table)
	if err != nil {
		return err
	}
	if ct > last {
		tx.noteCreationTime(table, ct)
	}
	return nil
}

// lastCreationTime returns the newest _creationTime in table (0 if it is
// empty), reading it once per transaction.
func (tx *Tx) lastCreationTime(table string) (float64, error) {
	if last, ok := tx.lastCT[table]; ok {
		return last, nil
	}
	ents, err := tx.st.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Reverse: true, Limit: 1, KeysOnly: true})
	if err != nil {
		return 0, err
	}
	var last float64
	if len(ents) == 1 {
		x, _, err := value.DecodeKey(ents[0].Key)
		if err != nil {
			return 0, fmt.Errorf("corrupt %s key: %w", indexByCreationTime, err)
		}
		last, _ = x.(float64)
	}
	tx.noteCreationTime(table, last)
	return last, nil
}

func (tx *Tx) noteCreationTime(table string, ct float64) {
	if tx.lastCT == nil {
		tx.lastCT = make(map[string]float64)
	}
	tx.lastCT[table] = ct
}

// Tables lists the tables that hold at least one document, system tables
// included, sorted by name.
func (tx *Tx) Tables() ([]string, error) {
	t, err := tx.st.Tables()
	if err != nil {
		return nil, fmt.Errorf("strata: list tables: %w", err)
	}
	return t, nil
}

// GetMany returns the documents with the given ids, in order, with nil for
// each that does not exist. All ids must belong to one table. On
// PostgreSQL it reads them in one round trip, and a later Get, Patch or
// Replace of one of them in the same transaction needs no further read:
// prefetch with GetMany before updating many documents by id.
func (tx *Tx) GetMany(ids []ID) ([]Doc, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	table, err := ids[0].Table()
	if err != nil {
		return nil, fmt.Errorf("strata: get many: %w", err)
	}
	raw := make([][]byte, len(ids))
	for i, id := range ids {
		t, err := id.Table()
		if err != nil {
			return nil, fmt.Errorf("strata: get many: %w", err)
		}
		if t != table {
			return nil, fmt.Errorf("strata: get many: ids of tables %q and %q: all must belong to one table", table, t)
		}
		raw[i] = []byte(id)
	}
	out := make([]Doc, len(ids))
	bg, ok := tx.st.(storage.BatchGetter)
	if !ok {
		for i, id := range ids {
			if out[i], err = tx.get(table, id); err != nil {
				return nil, err
			}
			if out[i] != nil {
				if err := tx.countRead(table, 1); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	bodies, err := bg.GetMany(table, raw)
	if err != nil {
		return nil, fmt.Errorf("strata: get many: %w", err)
	}
	for i, b := range bodies {
		if b == nil {
			continue
		}
		if err := tx.countRead(table, 1); err != nil {
			return nil, err
		}
		m, err := tx.decodeRecord(table, b)
		if err != nil {
			return nil, fmt.Errorf("strata: get %s: corrupt record: %w", ids[i], err)
		}
		out[i] = m
	}
	return out, nil
}
