package strata

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/internal/header"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// Versioned records: every stored record carries the shape of its table
// it was written under (internal/record), and the active _schemas
// document records, per table, the chain of declarative steps between
// shapes. A record of an older shape is brought to the current logical
// document when it is read, by applying the steps after its shape in
// order; so a declarative migration changes the metadata, not the
// documents, and a compactor rewrites old records later.
//
// Stored form, in the active document's "shapes" field:
//
//	{"<table>": {"base": <int64>, "steps": ["<active.Encode entry>", ...]}}
//
// steps[i] takes a document of shape base+i to shape base+i+1; the
// current shape is base+len(steps). Every record of the table is of
// shape base or newer (a compaction raises base once it has rewritten
// every older record).

// MaxShapeSteps is the most steps a table's shape chain holds (MySQL caps
// row versions at 64 for the same reason: every step is applied to every
// old record read). A declarative migration that would pass it must wait
// for the table to be compacted (strata migrate compact).
const MaxShapeSteps = 64

// shapeChain is the shapes of one table.
type shapeChain struct {
	base  uint64
	steps []shapeStep
}

// shapeStep is one step of a chain: the operations of a migration file
// applied as its phase applies them to a write (active.Apply), with no
// old document.
type shapeStep struct {
	text  string // the stored entry
	phase string
	name  string // the migration's name
	ops   []op.Operation
}

// current returns the shape records are written under.
func (c *shapeChain) current() uint64 {
	if c == nil {
		return 0
	}
	return c.base + uint64(len(c.steps))
}

// apply brings doc, of shape from, to the current shape.
func (c *shapeChain) apply(doc map[string]any, from uint64) (map[string]any, error) {
	for _, s := range c.steps[from-c.base:] {
		for _, o := range s.ops {
			out, err := active.ApplyOwned(o, s.phase, doc)
			if err != nil {
				return nil, fmt.Errorf("shape step %s (%s) %s: %w", s.name, s.phase, o.Kind(), err)
			}
			doc = out
		}
	}
	return doc, nil
}

// parseShapeStep parses a stored step.
func parseShapeStep(text string) (shapeStep, error) {
	phase, f, err := active.Decode(text)
	if err != nil {
		return shapeStep{}, err
	}
	return shapeStep{text: text, phase: phase, name: f.Name, ops: f.Operations}, nil
}

// loadShapes parses the "shapes" field of an active _schemas document.
func loadShapes(x any) (map[string]*shapeChain, error) {
	m, _ := x.(map[string]any)
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]*shapeChain, len(m))
	for table, y := range m {
		cm, ok := y.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("shapes of %s: not an object", table)
		}
		base, ok := cm["base"].(int64)
		if !ok || base < 0 || base > header.MaxShape {
			return nil, fmt.Errorf("shapes of %s: base %v", table, cm["base"])
		}
		c := &shapeChain{base: uint64(base)}
		list, _ := cm["steps"].([]any)
		for i, s := range list {
			text, ok := s.(string)
			if !ok {
				return nil, fmt.Errorf("shapes of %s: step %d is not a string", table, i)
			}
			step, err := parseShapeStep(text)
			if err != nil {
				return nil, fmt.Errorf("shapes of %s: step %d: %w", table, i, err)
			}
			c.steps = append(c.steps, step)
		}
		out[table] = c
	}
	return out, nil
}

// shapesValue returns the stored form of chains.
func shapesValue(chains map[string]*shapeChain) map[string]any {
	out := make(map[string]any, len(chains))
	for _, table := range slices.Sorted(maps.Keys(chains)) {
		c := chains[table]
		steps := make([]any, len(c.steps))
		for i, s := range c.steps {
			steps[i] = s.text
		}
		out[table] = map[string]any{"base": int64(c.base), "steps": steps}
	}
	return out
}

// shapeOf returns the shape the records of table are written under.
func (st *schemaState) shapeOf(table string) uint64 {
	if st == nil {
		return 0
	}
	return st.shapes[table].current()
}

// errNewerShape is wrapped by the error of a record written under a shape
// the reading transaction's schema does not know yet.
var errNewerShape = errors.New("record of a newer shape than the schema read")

// decodeRecord decodes body, a stored record of table, into its logical
// document under st: the document as of the current shape.
func (st *schemaState) decodeRecord(table string, body []byte) (map[string]any, error) {
	shape, enc, err := header.Split(body)
	if err != nil {
		return nil, err
	}
	m, err := value.DecodeDoc(enc)
	if err != nil {
		return nil, err
	}
	var c *shapeChain
	if st != nil {
		c = st.shapes[table]
	}
	cur := c.current()
	switch {
	case shape == cur:
		return m, nil
	case shape > cur:
		return nil, fmt.Errorf("%w (shape %d, the schema knows %d)", errNewerShape, shape, cur)
	case shape < c.base:
		return nil, fmt.Errorf("record of shape %d, older than the oldest shape %d table %s keeps", shape, c.base, table)
	}
	return c.apply(m, shape)
}

// decodeRecord decodes body, a stored record of table, into its logical
// document. A read-only transaction whose cached schema predates the
// record's shape reads the schema of its snapshot and decodes again.
func (tx *Tx) decodeRecord(table string, body []byte) (Doc, error) {
	m, err := tx.state.decodeRecord(table, body)
	if err != nil && !tx.writable && errors.Is(err, errNewerShape) {
		if lerr := tx.loadSchema(); lerr != nil {
			return nil, lerr
		}
		m, err = tx.state.decodeRecord(table, body)
	}
	return Doc(m), err
}

// appendRecord appends the stored record of doc, a document of table, to
// dst: the header of the table's current shape, then the encoding.
func (tx *Tx) appendRecord(dst []byte, table string, doc Doc) ([]byte, error) {
	n := len(dst)
	dst = header.Append(dst, tx.state.shapeOf(table))
	out, err := value.AppendDoc(dst, map[string]any(doc))
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// pushStep is a step a push appends to the shape chain of table.
type pushStep struct {
	table string
	step  shapeStep
}

// value returns the stored form of s in a pending _schemas document.
func (s *pushStep) value() any {
	return map[string]any{"table": s.table, "entry": s.step.text}
}

// parsePushStep parses the stored form value wrote (nil without one).
func parsePushStep(x any) (*pushStep, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return nil, nil
	}
	table, _ := m["table"].(string)
	text, _ := m["entry"].(string)
	step, err := parseShapeStep(text)
	if err != nil {
		return nil, fmt.Errorf("pending shape step: %w", err)
	}
	return &pushStep{table: table, step: step}, nil
}

// applyTo brings doc, a logical document of table under the chain the
// step is appended to, to the shape after the step.
func (s *pushStep) applyTo(table string, doc map[string]any) (map[string]any, error) {
	if s == nil || table != s.table {
		return doc, nil
	}
	c := &shapeChain{steps: []shapeStep{s.step}}
	return c.apply(maps.Clone(doc), 0) // the steps change their document
}

// checkStep refuses a step that would make the chain of its table longer
// than MaxShapeSteps.
func (st *schemaState) checkStep(s *pushStep) error {
	if c := st.shapes[s.table]; c != nil && len(c.steps) >= MaxShapeSteps {
		return fmt.Errorf("table %q has %d schema shapes not yet materialized (the most is %d): compact it first (strata migrate compact %s)",
			s.table, len(c.steps), MaxShapeSteps, s.table)
	}
	return nil
}

// shapesWith returns the chains of st with step appended (a copy when
// there is a step; st's own otherwise).
func (st *schemaState) shapesWith(s *pushStep) map[string]*shapeChain {
	if s == nil {
		return st.shapes
	}
	out := maps.Clone(st.shapes)
	if out == nil {
		out = map[string]*shapeChain{}
	}
	c := &shapeChain{}
	if old := out[s.table]; old != nil {
		c.base, c.steps = old.base, slices.Clone(old.steps)
	}
	c.steps = append(c.steps, s.step)
	out[s.table] = c
	return out
}

// shapesFor returns the chain of table (nil if it has none).
func (st *schemaState) shapesFor(table string) *shapeChain {
	if st == nil {
		return nil
	}
	return st.shapes[table]
}

// baseShape returns the oldest shape a record may have.
func (c *shapeChain) baseShape() uint64 {
	if c == nil {
		return 0
	}
	return c.base
}

// materialize rewrites the record of document id of table under the
// table's current shape if it was written under an older one, and
// reports whether it did. The logical document does not change, so no
// index entry does.
func (tx *Tx) materialize(table string, id ID) (bool, error) {
	if !tx.writable {
		return false, ErrReadOnly
	}
	cur := tx.state.shapeOf(table)
	if cur == 0 {
		return false, nil
	}
	body, ok := tx.records.get(id)
	raw := body.body
	if !ok {
		var err error
		raw, err = tx.st.Get(table, []byte(id))
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("strata: materialize %s: %w", id, err)
		}
		tx.records.put(tx, id, raw)
	}
	shape, _, err := header.Split(raw)
	if err != nil {
		return false, fmt.Errorf("strata: materialize %s: %w", id, err)
	}
	if shape >= cur {
		return false, nil
	}
	doc, _, err := tx.load(table, id)
	if err != nil || doc == nil {
		return false, err
	}
	// The logical document, and so every index key, stays the same: only
	// the record is written again.
	rec, err := tx.appendRecord(make([]byte, 0, len(raw)+8), table, doc)
	if err != nil {
		return false, fmt.Errorf("strata: materialize %s: %w", id, err)
	}
	if err := tx.countWrite(table, len(rec)); err != nil {
		return false, err
	}
	if err := tx.st.Put(table, []byte(id), rec); err != nil {
		tx.records.forget(id)
		return false, fmt.Errorf("strata: materialize %s: %w", id, err)
	}
	tx.records.put(tx, id, rec)
	return true, nil
}

// shapeRaise is a push's raise of the oldest shape of a table's records,
// once a compaction has rewritten every older record.
type shapeRaise struct {
	table string
	base  uint64
}

// raised returns chains with the base of r.table raised to r.base and the
// steps before it dropped (chains itself when nothing changes).
func raised(chains map[string]*shapeChain, r *shapeRaise) map[string]*shapeChain {
	if r == nil {
		return chains
	}
	c := chains[r.table]
	if c == nil || r.base <= c.base || r.base > c.current() {
		return chains
	}
	out := maps.Clone(chains)
	out[r.table] = &shapeChain{base: r.base, steps: slices.Clone(c.steps[r.base-c.base:])}
	return out
}

// raiseShapeBase records, in one transaction that reads the schema head
// (so it conflicts with any concurrent push), an active document equal
// to the active one but for the shape chain of table, whose base becomes
// base.
func (db *DB) raiseShapeBase(ctx context.Context, table string, base uint64) error {
	err := db.Mutation(system.Unlimited(ctx), func(tx *Tx) error {
		st := tx.state
		if st.pending != nil {
			return errors.New("a schema push is checking the documents; compact again once it has ended")
		}
		next := raised(st.shapes, &shapeRaise{table: table, base: base})
		if c := next[table]; c == nil || c == st.shapes[table] {
			return nil // nothing to raise (already raised, or no such shape)
		}
		text := []byte(`{"tables":{}}`)
		if st.active != nil {
			var err error
			if text, err = st.active.MarshalJSON(); err != nil {
				return err
			}
		}
		builds := map[string]any{}
		for k, id := range st.builds {
			builds[k] = id
		}
		doc := activeDoc(st, nil, text, &schema.Diff{}, PushOptions{Comment: fmt.Sprintf("compacted %s: every record is of shape %d or newer", table, base)}, builds, st.dropped)
		doc["shapes"] = shapesValue(next)
		return tx.appendSystem(schemasTable, doc)
	})
	if err != nil {
		return fmt.Errorf("strata: compact %s: %w", table, err)
	}
	return db.refreshSchema(ctx)
}

// stepError is a document a push's shape step cannot bring to the new
// shape (a value a migration's map lacks).
type stepError struct{ err error }

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// offerInto offers the document encoding of body, a record of table, to
// into (a typed read decoding straight into its Go value) when the record
// is of the table's current shape, so that its document needs no step;
// it reports whether into took it. Other records take the map path
// (decodeRecord), which applies the steps.
func (tx *Tx) offerInto(table string, body []byte, into func([]byte) bool) bool {
	shape, enc, err := header.Split(body)
	if err != nil || shape != tx.state.shapeOf(table) {
		return false
	}
	return into(enc)
}

// hasStep reports whether s is in force already: it is the last step of
// its table's chain, or the active entry of its migration (an expand
// step is the entry itself). Two processes racing to make the same
// instant step append it once.
func (st *schemaState) hasStep(s *pushStep) bool {
	if c := st.shapes[s.table]; c != nil && len(c.steps) > 0 && c.steps[len(c.steps)-1].text == s.step.text {
		return true
	}
	return slices.Contains(st.migrations, s.step.text)
}
