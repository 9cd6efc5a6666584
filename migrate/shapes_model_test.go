package migrate_test

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// TestShapesModel is the model-based test of versioned records (issue
// 13): random histories of declarative migrations on the instant path
// (start, complete and rollback of add_field with a default,
// rename_field, remove_field and change_type by a map with a default),
// inserts and patches by old-shape and new-shape writers, deletes, reads
// and index queries. A model applies the same history eagerly to an
// in-memory copy, with the same operations (active.Apply): at start every
// document is transformed, at complete finalized, at rollback reverted,
// as the rewriting path does to stored documents. After every step every
// document read through the database (a scan, Get of each) equals the
// model's, and dbcheck passes.
//
// It runs modelChecks histories per backend unless -rapid.checks says
// otherwise (go test ./migrate -run TestShapesModel -rapid.checks=1000).
func TestShapesModel(t *testing.T) {
	// Parallel with the package's other tests: it is the only one that
	// runs rapid, so setting -rapid.checks races with no reader.
	t.Parallel()
	fewerChecks(t, modelChecks)
	for _, b := range []procBackend{procSQLite, procPostgres} {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			stats := map[string]int{}
			// The histories must reach every kind of migration and each
			// end of it, or the model checks less than it says: a batch
			// of histories that missed one is followed by another, up to
			// four.
			kinds := []string{"start add_field", "start rename_field", "start remove_field", "start change_type", "start require_field", "complete", "rollback", "compact while active", "compact", "replace while active"}
			missing := kinds
			for round := 0; round < 4 && len(missing) > 0 && !t.Failed(); round++ {
				rapid.Check(t, func(rt *rapid.T) { runShapesModel(t, rt, b, stats) })
				missing = slices.DeleteFunc(slices.Clone(kinds), func(k string) bool { return stats[k] > 0 })
			}
			t.Logf("steps taken: %v", stats)
			for _, k := range missing {
				t.Errorf("no history took the step %q", k)
			}
		})
	}
}

// modelChecks is how many histories TestShapesModel tries per backend by
// default: each opens a database, so rapid's default of 100 would take a
// minute on PostgreSQL.
const modelChecks = 15

// fewerChecks sets -rapid.checks to n for the duration of t, unless the
// command line set it.
func fewerChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil {
		return
	}
	set := false
	flag.Visit(func(g *flag.Flag) { set = set || g.Name == "rapid.checks" })
	if set {
		return
	}
	old := f.Value.String()
	if err := f.Value.Set(fmt.Sprint(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

// runShapesModel runs one random history on a fresh database on b.
func runShapesModel(t *testing.T, rt *rapid.T, b procBackend, stats map[string]int) {
	db, url := procDBNoCleanup(t, b)
	defer db.Close()
	s := newShapeModel(rt, db)
	s.stats, s.url = stats, url
	// A second handle on the database, as another process of the
	// application: its cached schema lags the migrator's switches.
	other, err := strata.Open(ctx, url)
	if err != nil {
		rt.Fatal(err)
	}
	defer other.Close()
	s.other = other
	// The second handle reads in read-only transactions, which check the
	// schema head of their snapshot (a stale cached shape chain would
	// read old records wrongly); STRATA_MODEL_STALE=0 reads it in write
	// transactions instead.
	s.stale = os.Getenv("STRATA_MODEL_STALE") != "0"
	for i, n := 0, rapid.IntRange(0, 12).Draw(rt, "initial docs"); i < n; i++ {
		s.insert(rt)
	}
	rt.Repeat(map[string]func(*rapid.T){
		"":               s.check,
		"insert":         s.insert,
		"insert again":   s.insert,
		"patch":          s.patch,
		"patch again":    s.patch,
		"delete":         s.delete,
		"replace":        s.replace,
		"query":          s.query,
		"paginate":       s.paginate,
		"start":          s.start,
		"start again":    s.start,
		"complete":       s.complete,
		"rollback":       s.rollback,
		"start conflict": s.startConflict,
		"compact":        s.compact,
	})
}

// procDBNoCleanup opens a fresh, empty database on b, which the caller
// closes (a rapid check opens one per history).
func procDBNoCleanup(t *testing.T, b procBackend) (*strata.DB, string) {
	url := "sqlite:" + t.TempDir() + "/m.db?synchronous=normal"
	if b == procPostgres {
		url = pgtest.URL(t)
	}
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	return db, url
}

// The model's table is "items"; its fields have one of three kinds.
const modelTable = "items"

type fieldKind int

const (
	kindStr  fieldKind = iota // a string from strValues
	kindNum                   // a number from numValues
	kindPrio                  // a union of the literals prioValues
)

var (
	strValues  = []any{"a", "b", "c", "d"}
	numValues  = []any{0.0, 1.0, 2.0, 2.5, -1.0}
	prioValues = []any{"low", "medium", "high"}
)

func (k fieldKind) values() []any {
	switch k {
	case kindNum:
		return numValues
	case kindPrio:
		return prioValues
	}
	return strValues
}

func (k fieldKind) validator() v.Validator {
	switch k {
	case kindNum:
		return v.Number()
	case kindPrio:
		return v.Union(v.Literal("low"), v.Literal("medium"), v.Literal("high"))
	}
	return v.String()
}

// fieldType is a field of the model's schema.
type fieldType struct {
	kind fieldKind
	opt  bool
}

// modelMig is an active migration of the model.
type modelMig struct {
	name    string
	rewrite bool                 // started on the rewriting path (Options.Rewrite)
	ops     []op.Operation       // as the database records them (the file's round trip)
	adds    map[string]fieldType // fields the final schema has and the one before lacks
	drops   []string             // fields the final schema lacks
	relabel map[string]string    // index name -> its field after complete (a rename)
	added   map[string]string    // the indexes it adds, usable from start on
	// newVals restricts what new-shape writers write to a field: the new
	// field of a change_type with a reverse map (only values it maps
	// back).
	newVals map[string][]any
}

// finalOf returns fields with mig's changes made.
func (mig *modelMig) finalOf(fields map[string]fieldType) map[string]fieldType {
	out := maps.Clone(fields)
	for _, f := range mig.drops {
		delete(out, f)
	}
	maps.Copy(out, mig.adds)
	return out
}

// indexesOf returns indexes with mig's changes made.
func (mig *modelMig) indexesOf(indexes map[string]string) map[string]string {
	out := maps.Clone(indexes)
	maps.Copy(out, mig.relabel)
	maps.Copy(out, mig.added)
	return out
}

// touches returns the fields mig's operations name.
func (mig *modelMig) touches() []string {
	var out []string
	for _, o := range mig.ops {
		out = append(out, o.Fields()...)
	}
	return out
}

// modelActive is how many migrations TestShapesModel keeps active at
// once: 2 (a second migration, on other fields, while one is active:
// completing or rolling back either keeps the other's fields in the
// schema), or STRATA_MODEL_ACTIVE.
func modelActive() int {
	if n, err := strconv.Atoi(os.Getenv("STRATA_MODEL_ACTIVE")); err == nil && n > 0 {
		return n
	}
	return 2
}

// shapeModel is the eager reference: the logical documents, the schema
// and the active migration.
type shapeModel struct {
	db      *strata.DB
	m       *migrate.Migrator
	docs    map[strata.ID]op.Doc
	fields  map[string]fieldType // the schema without the active migrations
	indexes map[string]string    // index name -> the field it indexes
	actives []*modelMig          // in the order they started
	most    int                  // the most migrations active at once
	seq     int
	stats   map[string]int // steps taken, by kind, over every history
	url     string         // the database's, to read stored records
	other   *strata.DB     // a second handle on it (another process)
	stale   bool           // read the other handle in read-only transactions
}

func newShapeModel(rt *rapid.T, db *strata.DB) *shapeModel {
	s := &shapeModel{
		db: db, m: migrate.New(db), docs: map[strata.ID]op.Doc{},
		fields: map[string]fieldType{
			"name":  {kind: kindStr},
			"prio":  {kind: kindPrio},
			"score": {kind: kindNum},
			"note":  {kind: kindStr, opt: true},
		},
		indexes: map[string]string{"by_name": "name"}, most: modelActive(),
	}
	obj := v.Object{}
	for f, ft := range s.fields {
		obj[f] = ft.kind.validator()
		if ft.opt {
			obj[f] = v.Optional(obj[f])
		}
	}
	sch, err := strata.NewSchema(strata.Table(modelTable, obj).Index("by_name", "name"))
	if err != nil {
		rt.Fatal(err)
	}
	if err := db.SetSchema(ctx, sch); err != nil {
		rt.Fatal(err)
	}
	return s
}

// writer draws the shape a writer writes: of each active migration, the
// old or the new shape.
func (s *shapeModel) writer(rt *rapid.T) (fields map[string]fieldType, newFor map[*modelMig]bool) {
	fields, newFor = s.fields, map[*modelMig]bool{}
	for _, mig := range s.actives {
		if rapid.Bool().Draw(rt, "new-shape writer of "+mig.name) {
			fields, newFor[mig] = mig.finalOf(fields), true
		}
	}
	return fields, newFor
}

// value draws a value a writer of the given shapes writes to field f.
func (s *shapeModel) value(rt *rapid.T, f string, ft fieldType, newFor map[*modelMig]bool) any {
	vals := ft.kind.values()
	for mig := range newFor {
		if mig.newVals[f] != nil {
			vals = mig.newVals[f]
		}
	}
	return rapid.SampledFrom(vals).Draw(rt, f)
}

// apply runs the active migrations' write transforms over next, as the
// database does to every write (old is nil for an insert).
func (s *shapeModel) apply(rt *rapid.T, old, next op.Doc) op.Doc {
	for _, mig := range s.actives {
		for _, o := range mig.ops {
			out, err := active.Apply(o, active.Expand, old, next)
			if err != nil {
				rt.Fatalf("model: transform: %v", err)
			}
			next = out
		}
	}
	return next
}

// eager applies phase of mig to every document of the model, as the
// rewriting path does.
func (s *shapeModel) eager(rt *rapid.T, mig *modelMig, phase string) map[strata.ID]op.Doc {
	out := make(map[strata.ID]op.Doc, len(s.docs))
	for id, d := range s.docs {
		for _, o := range mig.ops {
			x, err := active.Apply(o, phase, nil, d)
			if err != nil {
				rt.Fatalf("model: %s %s: %v", phase, id, err)
			}
			d = x
		}
		out[id] = d
	}
	return out
}

// handle draws the handle a step uses: the migrator's, or the other
// process's.
func (s *shapeModel) handle(rt *rapid.T) *strata.DB {
	if rapid.Bool().Draw(rt, "other process") {
		return s.other
	}
	return s.db
}

// read runs fn in a read-only transaction of db, or on the other handle
// in a write transaction, which reads the schema head: a read-only
// transaction of another process decodes old-shape records with the
// schema it cached, which may predate the migrator's last step, and then
// reads documents of the old shape, or of both shapes in one query
// (reported; STRATA_MODEL_STALE=1 reads it read-only).
func (s *shapeModel) read(db *strata.DB, fn func(tx *strata.Tx) error) error {
	if db == s.other && !s.stale {
		return db.Mutation(ctx, fn)
	}
	return db.Query(ctx, fn)
}

func (s *shapeModel) ids() []strata.ID {
	return slices.Sorted(maps.Keys(s.docs))
}

func (s *shapeModel) insert(rt *rapid.T) {
	fields, newFor := s.writer(rt)
	doc := strata.Doc{}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		ft := fields[f]
		if ft.opt && rapid.Bool().Draw(rt, "omit "+f) {
			continue
		}
		doc[f] = s.value(rt, f, ft, newFor)
	}
	var stored strata.Doc
	err := s.handle(rt).Mutation(ctx, func(tx *strata.Tx) error {
		id, err := tx.Insert(modelTable, doc)
		if err != nil {
			return err
		}
		stored, err = tx.Get(id)
		return err
	})
	if err != nil {
		rt.Fatalf("insert %v (new shapes %d): %v", doc, len(newFor), err)
	}
	if len(newFor) > 0 {
		s.stats["new-shape insert"]++
	}
	next := op.Doc(maps.Clone(doc))
	next[strata.FieldID] = stored.ID()
	next[strata.FieldCreationTime] = stored[strata.FieldCreationTime]
	s.docs[stored.ID()] = s.apply(rt, nil, next)
}

func (s *shapeModel) patch(rt *rapid.T) {
	if len(s.docs) == 0 {
		rt.Skip("no document")
	}
	id := rapid.SampledFrom(s.ids()).Draw(rt, "id")
	fields, newFor := s.writer(rt)
	p := strata.Patch{}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		ft := fields[f]
		switch rapid.IntRange(0, 3).Draw(rt, "patch "+f) {
		case 0:
			p[f] = s.value(rt, f, ft, newFor)
		case 1:
			if ft.opt {
				p[f] = strata.Unset
			}
		}
	}
	if err := s.handle(rt).Mutation(ctx, func(tx *strata.Tx) error { return tx.Patch(id, p) }); err != nil {
		rt.Fatalf("patch %s with %v (new shapes %d): %v", id, p, len(newFor), err)
	}
	if len(s.actives) > 0 {
		s.stats["patch while active"]++
	}
	old := s.docs[id]
	next := maps.Clone(old)
	for k, x := range p {
		if x == strata.Unset {
			delete(next, k)
		} else {
			next[k] = x
		}
	}
	s.docs[id] = s.apply(rt, old, next)
}

// replace replaces a document with one a writer of the drawn shapes
// writes (tx.Replace).
func (s *shapeModel) replace(rt *rapid.T) {
	if len(s.docs) == 0 {
		rt.Skip("no document")
	}
	id := rapid.SampledFrom(s.ids()).Draw(rt, "id")
	fields, newFor := s.writer(rt)
	doc := strata.Doc{}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		ft := fields[f]
		if ft.opt && rapid.Bool().Draw(rt, "omit "+f) {
			continue
		}
		doc[f] = s.value(rt, f, ft, newFor)
	}
	if err := s.handle(rt).Mutation(ctx, func(tx *strata.Tx) error { return tx.Replace(id, doc) }); err != nil {
		rt.Fatalf("replace %s with %v (new shapes %d): %v", id, doc, len(newFor), err)
	}
	old := s.docs[id]
	next := op.Doc(maps.Clone(doc))
	next[strata.FieldID], next[strata.FieldCreationTime] = old[strata.FieldID], old[strata.FieldCreationTime]
	s.docs[id] = s.apply(rt, old, next)
	if len(s.actives) > 0 {
		s.stats["replace while active"]++
	}
}

func (s *shapeModel) delete(rt *rapid.T) {
	if len(s.docs) == 0 {
		rt.Skip("no document")
	}
	id := rapid.SampledFrom(s.ids()).Draw(rt, "id")
	if err := s.handle(rt).Mutation(ctx, func(tx *strata.Tx) error { return tx.Delete(id) }); err != nil {
		rt.Fatalf("delete %s: %v", id, err)
	}
	delete(s.docs, id)
}

// fresh returns a field name no schema of the history has used.
func (s *shapeModel) fresh() string {
	s.seq++
	return fmt.Sprintf("f%d", s.seq)
}

// start draws a migration file valid for the current schema and starts
// it: it must take the instant path (one in five, the rewriting path)
// and be ready at once. It touches no field an active migration does.
func (s *shapeModel) start(rt *rapid.T) {
	if len(s.actives) >= s.most {
		rt.Skip("as many migrations as allowed are active")
	}
	rewriting := false
	if len(s.actives) == 0 {
		// Now and then a migration takes the rewriting path, which reads
		// old-shape records and writes them in the current shape.
		rewriting = rapid.IntRange(0, 4).Draw(rt, "rewriting path") == 0
	} else if s.actives[0].rewrite {
		rt.Skip("a migration on the rewriting path is active")
	}
	var busy []string
	for _, mig := range s.actives {
		busy = append(busy, mig.touches()...)
	}
	var names, unindexed, typed, optional []string
	for _, f := range slices.Sorted(maps.Keys(s.fields)) {
		if slices.Contains(busy, f) {
			continue
		}
		names = append(names, f)
		if s.fields[f].opt {
			optional = append(optional, f)
		}
		if slices.Contains(slices.Collect(maps.Values(s.indexes)), f) {
			continue
		}
		unindexed = append(unindexed, f)
		if k := s.fields[f].kind; k == kindStr || k == kindPrio {
			typed = append(typed, f)
		}
	}
	kinds := []string{"add_field"}
	if len(names) > 0 {
		kinds = append(kinds, "rename_field")
	}
	if len(unindexed) > 0 {
		kinds = append(kinds, "remove_field")
	}
	if len(typed) > 0 {
		kinds = append(kinds, "change_type")
	}
	if len(optional) > 0 {
		kinds = append(kinds, "require_field")
	}
	mig := &modelMig{rewrite: rewriting, adds: map[string]fieldType{}, relabel: map[string]string{}, added: map[string]string{}, newVals: map[string][]any{}}
	var o op.Operation
	var more []op.Operation
	switch rapid.SampledFrom(kinds).Draw(rt, "kind") {
	case "add_field":
		f := s.fresh()
		k := rapid.SampledFrom([]fieldKind{kindStr, kindNum}).Draw(rt, "type")
		o = op.AddField{TableName: modelTable, Field: f, Type: k.validator(), Default: rapid.SampledFrom(k.values()).Draw(rt, "default")}
		mig.adds[f] = fieldType{kind: k}
		if rapid.Bool().Draw(rt, "index it") {
			// An index on the new field: built online from the logical
			// documents at start.
			more = append(more, op.AddIndex{TableName: modelTable, Name: "by_" + f, On: []string{f}})
			mig.added["by_"+f] = f
		}
	case "rename_field":
		from, to := rapid.SampledFrom(names).Draw(rt, "from"), s.fresh()
		o = op.RenameField{TableName: modelTable, From: from, To: to}
		mig.adds[to], mig.drops = s.fields[from], []string{from}
		for name, f := range s.indexes {
			if f == from {
				mig.relabel[name] = to
			}
		}
	case "require_field":
		f := rapid.SampledFrom(optional).Draw(rt, "field")
		k := s.fields[f].kind
		o = op.RequireField{TableName: modelTable, Field: f, Type: k.validator(),
			Default: rapid.SampledFrom(k.values()).Draw(rt, "default"), HasDefault: true}
		mig.adds[f] = fieldType{kind: k}
	case "remove_field":
		f := rapid.SampledFrom(unindexed).Draw(rt, "field")
		o = op.RemoveField{TableName: modelTable, Field: f}
		mig.drops = []string{f}
	case "change_type":
		from, to := rapid.SampledFrom(typed).Draw(rt, "from"), s.fresh()
		ct := op.ChangeType{TableName: modelTable, From: from, To: to, Type: v.Number(),
			Default: rapid.SampledFrom([]any{0.0, -1.0}).Draw(rt, "default"), HasDefault: true}
		mapped := map[any]bool{}
		for _, x := range s.fields[from].kind.values() {
			if rapid.Bool().Draw(rt, fmt.Sprintf("map %v", x)) || len(ct.Map) == 0 && x == s.fields[from].kind.values()[0] {
				y := rapid.SampledFrom([]any{1.0, 2.0, 3.0}).Draw(rt, fmt.Sprintf("map %v to", x))
				ct.Map = append(ct.Map, op.Pair{From: x, To: y})
				if !mapped[y] {
					mapped[y] = true
					ct.ReverseMap = append(ct.ReverseMap, op.Pair{From: y, To: x})
				}
			}
		}
		// A reverse map that is not the map's inverse (two old values to
		// one new value) is drawn on both paths: the rewriting path's
		// backfill patch of the new field must keep the old value that
		// already maps to it (TestLossyReverseMapKeepsOldValue).
		if rapid.Bool().Draw(rt, "reverse map") {
			for _, p := range ct.ReverseMap {
				mig.newVals[to] = append(mig.newVals[to], p.From)
			}
		} else {
			ct.ReverseMap = nil
		}
		o = ct
		mig.adds[to], mig.drops = fieldType{kind: kindNum, opt: s.fields[from].opt}, []string{from}
	}
	s.seq++
	mig.name = fmt.Sprintf("m%03d_%s", s.seq, o.Kind())
	f := &op.File{Name: mig.name, Operations: append([]op.Operation{o}, more...)}
	text, err := op.MarshalFile(f)
	if err != nil {
		rt.Fatal(err)
	}
	parsed, err := op.ParseFile(text)
	if err != nil {
		rt.Fatalf("parse %s: %v", text, err)
	}
	rec, err := op.ParseRecorded(text)
	if err != nil {
		rt.Fatal(err)
	}
	mig.ops = rec.Operations
	m := s.m
	if mig.rewrite {
		m = migrate.New(s.db, rewrite)
	}
	st, err := m.Start(ctx, parsed)
	if err != nil || st.State != migrate.Ready {
		rt.Fatalf("start %s (rewriting %v): %+v %v", text, mig.rewrite, st, err)
	}
	if strings.Contains(st.Message, "instant") == mig.rewrite {
		rt.Fatalf("start %s (rewriting %v) says %q", text, mig.rewrite, st.Message)
	}
	s.docs = s.eager(rt, mig, active.Expand)
	s.actives = append(s.actives, mig)
	s.stats["start "+o.Kind()]++
	if mig.rewrite {
		s.stats["start rewriting"]++
	}
	if len(s.actives) > 1 {
		s.stats["start while another is active"]++
	}
}

// drawActive draws an active migration (skipping the step if there is
// none) and returns it with its position in s.actives.
func (s *shapeModel) drawActive(rt *rapid.T) (*modelMig, int) {
	if len(s.actives) == 0 {
		rt.Skip("no migration is active")
	}
	i := rapid.IntRange(0, len(s.actives)-1).Draw(rt, "migration")
	return s.actives[i], i
}

// startConflict starts a migration of a field an active one changes: it
// is refused and nothing changes (the check after it says so).
func (s *shapeModel) startConflict(rt *rapid.T) {
	mig, _ := s.drawActive(rt)
	field := rapid.SampledFrom(mig.ops[0].Fields()).Draw(rt, "field")
	s.seq++
	f := &op.File{Name: fmt.Sprintf("m%03d_conflict", s.seq), Operations: []op.Operation{op.RemoveField{TableName: modelTable, Field: field}}}
	if st, err := s.m.Start(ctx, f); err == nil || !strings.Contains(err.Error(), "also changed by migration") {
		rt.Fatalf("start of a conflicting migration while %s is active: %+v %v", mig.name, st, err)
	}
}

func (s *shapeModel) complete(rt *rapid.T) {
	mig, i := s.drawActive(rt)
	st, err := s.m.Complete(ctx, mig.name)
	if err != nil || st.State != migrate.Completed {
		rt.Fatalf("complete %s: %+v %v", mig.name, st, err)
	}
	s.docs = s.eager(rt, mig, active.Contract)
	if len(mig.relabel) > 0 {
		s.stats["complete relabeling an index"]++
	}
	s.fields, s.indexes = mig.finalOf(s.fields), mig.indexesOf(s.indexes)
	s.actives = slices.Delete(s.actives, i, i+1)
	s.stats["complete"]++
}

// rollback rolls an active migration back. It is refused, changing
// nothing, when a document reverted does not fit the schema from before
// (a document a new-shape writer wrote without a field the old schema
// requires).
func (s *shapeModel) rollback(rt *rapid.T) {
	mig, i := s.drawActive(rt)
	reverted := s.eager(rt, mig, active.Rollback)
	var misfit []string
	for _, id := range s.ids() {
		if why := s.misfit(mig, reverted[id]); why != "" {
			misfit = append(misfit, fmt.Sprintf("%s %s", id, why))
		}
	}
	if len(misfit) > 0 && mig.rewrite {
		// The rewriting path reverts documents before it finds out.
		rt.Skip("a rollback on the rewriting path that cannot succeed")
	}
	st, err := s.m.Rollback(ctx, mig.name)
	if len(misfit) > 0 {
		if err == nil {
			rt.Fatalf("rollback %s succeeded, but reverted documents do not fit the old schema: %v", mig.name, misfit)
		}
		st, serr := s.m.Status(ctx, mig.name)
		if serr != nil || st.State != migrate.Ready {
			rt.Fatalf("refused rollback of %s left it %+v %v", mig.name, st, serr)
		}
		s.stats["rollback refused"]++
		return
	}
	if err != nil || st.State != migrate.RolledBack {
		rt.Fatalf("rollback %s: %+v %v", mig.name, st, err)
	}
	s.docs = reverted
	s.actives = slices.Delete(s.actives, i, i+1)
	s.stats["rollback"]++
}

// misfit says why d, reverted from mig, does not fit the schema from
// before mig (a required field it touches is missing, a field it adds is
// there), or "".
func (s *shapeModel) misfit(mig *modelMig, d op.Doc) string {
	for _, f := range mig.touches() {
		if ft, ok := s.fields[f]; ok && !ft.opt {
			if _, ok := d[f]; !ok {
				return "lacks " + f
			}
		}
	}
	for f := range mig.adds {
		if _, before := s.fields[f]; !before {
			if _, ok := d[f]; ok {
				return "has " + f
			}
		}
	}
	return ""
}
