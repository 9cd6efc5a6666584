package strata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// PushOptions tune DB.Push. The zero value checks the data, activates the
// schema and returns while new indexes are still being built.
type PushOptions struct {
	// DryRun computes the diff and checks the existing data, reporting
	// what the push would do or why it would be refused, and writes
	// nothing.
	DryRun bool
	// Wait makes Push return only once every index the push added is
	// ready. Without it Push returns when the schema is active; its new
	// indexes are then staged (queries on them fail until ready) and are
	// built in the background by this DB (see ResumeIndexBuilds).
	Wait bool
	// Staged, without Wait, leaves the new indexes staged instead of
	// building them in the background: a later ResumeIndexBuilds (or a
	// push with Wait) builds them. For a process about to exit, such as
	// the command line's push --no-wait.
	Staged bool
	// DropTables deletes the documents of tables the new schema removes.
	// Without it such tables keep their data and are no longer validated.
	DropTables bool
	// Progress, if set, is called from the pushing goroutine after each
	// batch of the data check and of each index build.
	Progress func(Progress)
	// Actor and Comment are recorded with the push in _schemas.
	Actor, Comment string
	// BatchSize is the number of documents per transaction of the data
	// check (default 1000) and of the index builds. Without it an index
	// build's batches start at 500 documents and adapt to a 10 ms target
	// (internal/batch); with it they keep this size. Either way a build's
	// batch ends early when an application writer waits (SQLite).
	BatchSize int

	// migrations, when set (by package migrate through internal/system),
	// replaces the declarative migrations whose transforms every write
	// applies; otherwise the active set carries over.
	migrations *[]string
	// step, when set (by package migrate), appends a step to a table's
	// shape chain in the transaction that activates the schema; the data
	// check then validates every document of that table with the step
	// applied. trusted skips the data check: the caller has shown that
	// every document satisfies the schema. relabel names the indexes
	// ("table.index") whose fields changed only by a rename whose old and
	// new fields hold equal values in every document: they keep their
	// entries instead of being rebuilt.
	step    *pushStep
	raise   *shapeRaise
	trusted bool
	relabel map[string]bool
	// beforePending, when set (by tests), is called just before the
	// pending schema is registered.
	beforePending func()
	// migrating names, by table, the declarative migration in progress
	// on it, for the fix of a refused push (set by Push).
	migrating map[string]string
	// onIndexed, when set (by tests), is called in an index build's
	// transaction after each document it indexed.
	onIndexed func()
}

// Progress reports how far a push has got.
type Progress struct {
	Phase string // "check" (existing documents) or "build" (an index)
	Table string
	Index string // for "build"
	Done  int64  // documents checked or indexed so far
	Total int64  // documents to index, 0 if unknown
}

// PushResult describes what a push did (or, with DryRun, would do).
type PushResult struct {
	Diff      *schema.Diff
	DryRun    bool
	Unchanged bool // the schema was already active; nothing was written
	// SchemaID is the _schemas document of the schema active after the
	// push.
	SchemaID ID
	// Checked is the number of existing documents checked, per table.
	Checked map[string]int64
	// KeptTables are tables removed from the schema whose documents stay
	// (and are no longer validated), with their document count.
	KeptTables map[string]int64
	// DroppedTables are tables removed with DropTables and the number of
	// documents deleted with them (or that would be, with DryRun).
	DroppedTables map[string]int64
	// Builds are the index builds the push started or resumed, in the
	// state they had when Push returned.
	Builds []IndexBuild
}

// OffendingDoc is a document that does not satisfy a pushed schema.
type OffendingDoc struct {
	Table    string `json:"table"`
	ID       ID     `json:"id"`
	Path     string `json:"path"` // field path, "" for the document
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found"`
}

// String returns "table id: path: expected E, found F".
func (o OffendingDoc) String() string {
	s := o.Table + " " + string(o.ID) + ": "
	if o.Path != "" {
		s += o.Path + ": "
	}
	if o.Expected != "" {
		return s + "expected " + o.Expected + ", found " + o.Found
	}
	return s + o.Found
}

// Violation groups the documents that break the new schema in the same
// way, with the fix.
type Violation struct {
	Table   string `json:"table"`
	Field   string `json:"field"`   // top-level field
	Problem string `json:"problem"` // "lack it", "still hold it", "hold another type"
	Count   int64  `json:"count"`
	Message string `json:"message"` // "field avatarUrl is required but 1,234 documents lack it: keep it optional, ..."
}

// PushRefusedError is returned when a push is refused because documents
// do not satisfy the new schema: existing ones found by the check, or one
// written while the push was checking. Nothing changed but the history in
// _schemas. Callers branch on it with errors.As.
type PushRefusedError struct {
	Count      int64          // offending documents found by the check
	Violations []Violation    // grouped, with the fix for each
	Samples    []OffendingDoc // the first few offending documents
	// Document is set when a write that committed during the check broke
	// the pending schema; Reason then says how.
	Document ID
	Table    string
	Reason   string
}

// Error returns one line: every violation with its fix, then the first
// offending documents; or, for a concurrent write, which document broke
// the pending schema and how.
func (e *PushRefusedError) Error() string {
	var b strings.Builder
	b.WriteString("strata: push schema: refused: ")
	if e.Document != "" {
		b.WriteString(e.Reason)
		return b.String()
	}
	msgs := make([]string, len(e.Violations))
	for i, vi := range e.Violations {
		msgs[i] = vi.Message
	}
	b.WriteString(strings.Join(msgs, "; "))
	if len(e.Samples) > 0 {
		b.WriteString(" (first offending documents: ")
		for i, s := range e.Samples {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(s.String())
		}
		b.WriteString(")")
	}
	return b.String()
}

// ErrPushSuperseded is returned by a push whose pending schema was
// replaced by a newer push before it could be activated.
var ErrPushSuperseded = errors.New("strata: push schema: superseded by a newer push")

const maxSamples = 5

// Push makes s the active schema, safely and online:
//
//  1. It compares s with the active schema and classifies every change
//     (schema.Compare). Tables whose validator merely widens are not
//     checked.
//  2. It registers s as pending in _schemas. From then on every write
//     transaction also validates its writes against s; a write that
//     breaks s is not refused, but marks the push failed in the same
//     transaction, naming the document.
//  3. It checks every existing document of the other tables in batches,
//     each its own short read transaction, so writers are never blocked.
//     Any document that does not satisfy s refuses the push with a
//     *PushRefusedError (the count, the first few documents and the fix);
//     nothing changes but the history.
//  4. It activates s in one transaction that re-reads the head of
//     _schemas: a concurrent violating write either committed before
//     (and failed the push) or conflicts. Dropped indexes (and, with
//     DropTables, removed tables) are deleted; each new index is
//     registered in _index_builds as backfilling, so every write maintains
//     it from then on.
//  5. It builds new indexes from the existing documents in batches
//     (keyset over by_creation_time up to the last document that existed
//     at activation), recording the cursor in each batch's transaction, so
//     a build resumes where it stopped. With Wait it returns when all are
//     ready; otherwise they are built in the background.
//
// Push is idempotent: pushing the active schema again writes nothing (it
// resumes unfinished index builds). When pushes race, the newest
// registration wins and the others fail with ErrPushSuperseded.
func (db *DB) Push(ctx context.Context, s *Schema, opts PushOptions) (*PushResult, error) {
	text, err := pushedText(s)
	if err != nil {
		return nil, err
	}
	// 1. Compare with the active schema.
	base, res, err := db.pushBase(ctx, s, opts)
	if err != nil {
		return nil, fmt.Errorf("strata: push schema: %w", err)
	}
	diff := compareForPush(base, s, res)
	if opts.step != nil && base.hasStep(opts.step) {
		opts.step = nil // a racing push of the same step got there first
	}
	if opts.step != nil {
		if err := base.checkStep(opts.step); err != nil {
			return nil, fmt.Errorf("strata: push schema: %w", err)
		}
		if !opts.trusted && !slices.Contains(diff.Check, opts.step.table) {
			diff.Check = append(diff.Check, opts.step.table)
		}
	}
	if opts.trusted {
		diff.Check = nil
	}
	if diff.Empty() && opts.step == nil && opts.raise == nil && (opts.migrations == nil || slices.Equal(*opts.migrations, base.migrations)) {
		return db.pushUnchanged(ctx, base, opts, res)
	}
	if opts.migrations == nil {
		opts.migrating = migratingTables(base)
	}
	if opts.DryRun {
		return res, db.checkData(ctx, nil, s, diff, opts, res)
	}
	expect := base.head
	// 2. Register s as pending; 3. check the existing documents.
	pending, err := db.registerPending(ctx, base, s, text, diff, opts)
	if err != nil {
		return nil, fmt.Errorf("strata: push schema: register pending schema: %w", err)
	}
	if pending != nil {
		if err := db.checkData(ctx, pending, s, diff, opts, res); err != nil {
			db.endPending(pending, err)
			return res, err
		}
	}
	// 4. Activate s.
	id, err := db.activate(ctx, pending, expect, s, text, diff, opts, res)
	if err != nil {
		if pending != nil {
			db.endPending(pending, err)
		}
		return res, err
	}
	res.SchemaID = id
	if err := db.refreshSchema(ctx); err != nil {
		return res, fmt.Errorf("strata: push schema: %w", err)
	}
	// 5. Build the new indexes.
	res.Builds, err = db.finishBuilds(ctx, opts)
	return res, err
}

// pushedText checks s and returns the JSON text recorded in _schemas.
func pushedText(s *Schema) ([]byte, error) {
	if s == nil {
		return nil, errors.New("strata: push schema: nil schema")
	}
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("strata: push schema: %w", err)
	}
	text, err := s.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("strata: push schema: %w", err)
	}
	return text, nil
}

// pushBase reads the state the diff is computed against and returns it
// with a result that counts the documents of every table s removes: kept,
// or with DropTables dropped.
func (db *DB) pushBase(ctx context.Context, s *Schema, opts PushOptions) (*schemaState, *PushResult, error) {
	var base *schemaState
	res := &PushResult{DryRun: opts.DryRun, Checked: map[string]int64{}, KeptTables: map[string]int64{}, DroppedTables: map[string]int64{}}
	err := db.Query(system.Unlimited(ctx), func(tx *Tx) error {
		if err := tx.loadSchema(); err != nil {
			return err
		}
		base = tx.state
		for name := range tablesOf(base.active) {
			if s.Tables[name] != nil {
				continue
			}
			n, err := countDocs(tx.st, name)
			if err != nil {
				return err
			}
			if opts.DropTables {
				res.DroppedTables[name] = n
			} else {
				res.KeptTables[name] = n
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return base, res, nil
}

// compareForPush compares s with the active schema of base, sets it as
// res.Diff and returns it. A table removed with DropTables is described
// by what dropping it deletes: destructive unless it is empty.
func compareForPush(base *schemaState, s *Schema, res *PushResult) *schema.Diff {
	diff := schema.Compare(base.active, s)
	res.Diff = diff
	for name, n := range res.DroppedTables {
		for i, c := range diff.Changes {
			if c.Kind == schema.RemoveTable && c.Table == name {
				diff.Changes[i].Summary = "drop table " + name + " (it is empty)"
				if n == 0 {
					continue
				}
				diff.Changes[i].Class = schema.Destructive
				diff.Changes[i].Summary = fmt.Sprintf("drop table %s and its %s documents", name, formatCount(n))
				diff.Changes[i].Fix = "export the table first if its data may be needed (strata export " + name + ")"
			}
		}
	}
	return diff
}

// pushUnchanged ends the push of the schema already active: it writes
// nothing, but (unless DryRun) resumes unfinished index builds.
func (db *DB) pushUnchanged(ctx context.Context, base *schemaState, opts PushOptions, res *PushResult) (*PushResult, error) {
	res.Unchanged, res.SchemaID = true, base.activeID
	if opts.DryRun {
		return res, nil
	}
	var err error
	res.Builds, err = db.finishBuilds(ctx, opts)
	return res, err
}

// registerPending registers s in _schemas as the pending schema that
// every write validates against, when diff has tables to check (it
// returns nil otherwise). A push that was pending is superseded.
func (db *DB) registerPending(ctx context.Context, base *schemaState, s *Schema, text []byte, diff *schema.Diff, opts PushOptions) (*pendingPush, error) {
	if len(diff.Check) == 0 {
		return nil, nil
	}
	pending := &pendingPush{schema: s, check: map[string]bool{}, step: opts.step}
	for _, t := range diff.Check {
		pending.check[t] = true
	}
	doc := Doc{
		"state":     statePending,
		"schema":    string(text),
		"changes":   changesValue(diff.Changes),
		"check":     stringsValue(diff.Check),
		"actor":     opts.Actor,
		"comment":   opts.Comment,
		"startedAt": nowMillis(),
	}
	if base.activeID != "" {
		doc["active"] = base.activeID
	}
	if opts.step != nil {
		doc["step"] = opts.step.value()
	}
	if opts.beforePending != nil {
		opts.beforePending()
	}
	err := db.Mutation(system.Unlimited(ctx), func(tx *Tx) error {
		if tx.state.activeID != base.activeID {
			return errors.New("the active schema changed while the push was starting; push again")
		}
		if prev := tx.state.pending; prev != nil {
			// A push that was pending is superseded: record it first, so
			// the new pending document is the head.
			if err := tx.appendSystem(schemasTable, copyFields(Doc{"state": stateSuperseded, "push": prev.id,
				"endedAt": nowMillis(), "active": doc["active"]})); err != nil {
				return err
			}
		}
		id, err := tx.appendSystemID(schemasTable, copyFields(doc))
		pending.id = id
		return err
	})
	if err != nil {
		return nil, err
	}
	return pending, nil
}

// copyFields returns a shallow copy of d, so a retried transaction starts from
// the same document.
func copyFields(d Doc) Doc {
	out := make(Doc, len(d)+2)
	for k, x := range d {
		if x != nil {
			out[k] = x
		}
	}
	return out
}

func tablesOf(s *schema.Schema) map[string]*schema.Table {
	if s == nil {
		return nil
	}
	return s.Tables
}

func nowMillis() float64 { return float64(time.Now().UnixMilli()) }

func changesValue(cs []schema.Change) []any {
	out := make([]any, len(cs))
	for i, c := range cs {
		m := map[string]any{"kind": string(c.Kind), "class": c.Class.String(), "table": c.Table, "summary": c.Summary}
		for k, x := range map[string]string{"field": c.Field, "index": c.Index, "old": c.Old, "new": c.New, "fix": c.Fix} {
			if x != "" {
				m[k] = x
			}
		}
		out[i] = m
	}
	return out
}

func stringsValue(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// countDocs counts the documents of table in t's snapshot.
func countDocs(t storage.Tx, table string) (int64, error) {
	var n int64
	var start []byte
	for {
		ents, err := t.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Range: storage.Range{Start: start}, Limit: 4096, KeysOnly: true})
		if err != nil {
			return 0, err
		}
		n += int64(len(ents))
		if len(ents) < 4096 {
			return n, nil
		}
		start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}

// endPending removes the pending document of a push that was refused by
// the check or gave up, so that a refused push leaves the database as it
// was; a push failed by a write keeps the record that write made.
func (db *DB) endPending(p *pendingPush, cause error) {
	var refused *PushRefusedError
	if errors.As(cause, &refused) && refused.Document != "" || errors.Is(cause, ErrPushSuperseded) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = db.Mutation(system.Unlimited(ctx), func(tx *Tx) error {
		if tx.state.headID != p.id {
			return nil
		}
		old, err := tx.get(schemasTable, p.id)
		if err != nil || old == nil {
			return err
		}
		return tx.write(schemasTable, p.id, old, nil)
	})
}

// pushEnded returns the error for a pending push that is no longer the
// head of _schemas, reading what the head says.
func pushEnded(tx *Tx, p *pendingPush) error {
	_, id, err := headKey(tx.st)
	if err != nil {
		return err
	}
	head, err := tx.get(schemasTable, id)
	if err != nil {
		return err
	}
	if head != nil && head.StringOr("state", "") == stateFailed {
		if pid, _ := head["push"].(ID); pid == p.id {
			doc, _ := head["document"].(ID)
			return &PushRefusedError{Document: doc, Table: head.StringOr("table", ""), Reason: head.StringOr("error", "")}
		}
	}
	return ErrPushSuperseded
}

// stillPending reports (as an error) whether p has stopped being the head
// of _schemas in t's snapshot.
func stillPending(tx *Tx, p *pendingPush) error {
	_, id, err := headKey(tx.st)
	if err != nil {
		return err
	}
	if id != p.id {
		return pushEnded(tx, p)
	}
	return nil
}

// checkData checks the existing documents of diff.Check against s, in
// batches of validated read transactions. With p it stops as soon as p is no longer
// pending.
func (db *DB) checkData(ctx context.Context, p *pendingPush, s *Schema, diff *schema.Diff, opts PushOptions, res *PushResult) error {
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 1000
	}
	rep := &checkReport{diff: diff, groups: map[[3]string]*Violation{}, migrating: opts.migrating}
	for _, table := range diff.Check {
		t := s.Tables[table]
		var start []byte
		var done int64
		for {
			var ents []storage.Entry
			type offense struct {
				doc Doc
				err error
			}
			var bad []offense // this page's, kept only once its read commits
			// Validated reads: a writer that read the schema from before
			// the pending one and writes what a page missed conflicts
			// (and retries, seeing the pending schema) instead of
			// committing behind the check (see txMode.validated).
			err := db.runWith(ctx, txMode{validated: true}, func(tx *Tx) error {
				bad = bad[:0] // a retried page starts over
				if p != nil {
					if err := stillPending(tx, p); err != nil {
						return err
					}
				}
				var err error
				ents, err = tx.st.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Range: storage.Range{Start: start}, Limit: batch})
				if err != nil {
					return err
				}
				for _, e := range ents {
					m, err := tx.decodeRecord(table, e.Body)
					if err != nil {
						return fmt.Errorf("table %q: corrupt record %s: %w", table, e.ID, err)
					}
					if shaped, serr := opts.step.applyTo(table, m); serr != nil {
						bad = append(bad, offense{Doc(m), &stepError{serr}})
						continue
					} else {
						m = shaped
					}
					if verr := t.ValidateDocument(m); verr != nil {
						bad = append(bad, offense{Doc(m), verr})
					}
				}
				return nil
			})
			if err != nil {
				var refused *PushRefusedError
				if errors.As(err, &refused) || errors.Is(err, ErrPushSuperseded) {
					return err
				}
				return fmt.Errorf("strata: push schema: check table %q: %w", table, err)
			}
			for _, o := range bad {
				rep.add(table, t, o.doc, o.err)
			}
			done += int64(len(ents))
			res.Checked[table] = done
			if opts.Progress != nil {
				opts.Progress(Progress{Phase: "check", Table: table, Done: done})
			}
			if len(ents) < batch {
				break
			}
			start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
		}
	}
	return rep.err()
}

// checkReport collects the documents that fail the data check.
type checkReport struct {
	diff      *schema.Diff
	migrating map[string]string // table -> declarative migration in progress
	count     int64
	samples   []OffendingDoc
	groups    map[[3]string]*Violation
	order     [][3]string
}

func (r *checkReport) add(table string, t *schema.Table, d Doc, verr error) {
	if se := (*stepError)(nil); errors.As(verr, &se) {
		r.count++
		if len(r.samples) < maxSamples {
			r.samples = append(r.samples, OffendingDoc{Table: table, ID: d.ID(), Found: se.Error()})
		}
		r.group(table, "", "cannot take the new shape", "")
		return
	}
	r.count++
	if len(r.samples) < maxSamples {
		o := OffendingDoc{Table: table, ID: d.ID(), Found: verr.Error()}
		var ve *v.Error
		if errors.As(verr, &ve) {
			o.Path, o.Expected, o.Found = ve.Path, ve.Expected, ve.Found
			if ve.Expected == "" {
				o.Found = ve.Reason
			}
		}
		r.samples = append(r.samples, o)
	}
	// Every problem of the document, per top-level field.
	for f, fv := range t.Fields {
		x, present := d[f]
		if present {
			if _, undef := x.(value.UndefinedValue); undef {
				present = false
			}
		}
		opt, isOpt := fv.(*v.OptionalType)
		switch {
		case !present && !isOpt:
			r.group(table, f, "lack it", "")
		case present:
			elem := fv
			if isOpt {
				elem = opt.Elem
			}
			if err := elem.Validate(x); err != nil {
				r.group(table, f, "hold another type", elem.String())
			}
		}
	}
	for k := range d {
		if _, ok := t.Fields[k]; !ok && k != FieldID && k != FieldCreationTime {
			if _, undef := d[k].(value.UndefinedValue); !undef {
				r.group(table, k, "still hold it", "")
			}
		}
	}
}

func (r *checkReport) group(table, field, problem, expected string) {
	k := [3]string{table, field, problem}
	g := r.groups[k]
	if g == nil {
		g = &Violation{Table: table, Field: field, Problem: problem, Message: expected}
		r.groups[k] = g
		r.order = append(r.order, k)
	}
	g.Count++
}

func (r *checkReport) err() error {
	if r.count == 0 {
		return nil
	}
	e := &PushRefusedError{Count: r.count, Samples: r.samples}
	slices.SortFunc(r.order, func(a, b [3]string) int {
		return strings.Compare(a[0]+"\x00"+a[1]+"\x00"+a[2], b[0]+"\x00"+b[1]+"\x00"+b[2])
	})
	for _, k := range r.order {
		g := *r.groups[k]
		docs, s := formatCount(g.Count)+" documents", ""
		if g.Count == 1 {
			docs, s = "1 document", "s"
		}
		prefix := "table " + g.Table + ": field " + g.Field
		switch g.Problem {
		case "cannot take the new shape":
			g.Message = "table " + g.Table + ": " + docs + " cannot be brought to the new shape (the samples say why): add their values to the migration's map, or give it a default"
		case "lack it":
			g.Message = prefix + " is required but " + docs + " lack" + s + " it"
		case "still hold it":
			g.Message = prefix + " is not in the new schema but " + docs + " still hold" + s + " it"
		default:
			g.Message = prefix + " must be " + g.Message + " but " + docs + " hold" + s + " another type"
		}
		if fix := r.fix(g.Table, g.Field); fix != "" && g.Field != "" {
			g.Message += ": " + fix
		}
		e.Violations = append(e.Violations, g)
	}
	return e
}

// fix returns the safe sequence for the change of the diff that touches
// table.field.
func (r *checkReport) fix(table, field string) string {
	if name, ok := r.migrating[table]; ok {
		// The push's changes to this table are the migration's to make:
		// guessing at a rename here would send the operator the wrong way.
		return "migration " + name + " is in progress on table " + table + " and changes its schema itself: finish it (strata migrate complete " + name +
			", which pushes its final schema) or undo it (strata migrate rollback " + name + "), then push"
	}
	for _, c := range r.diff.Changes {
		if c.Table == table && c.Field == field && c.Fix != "" {
			return c.Fix
		}
	}
	for _, c := range r.diff.Changes {
		if c.Table == table && c.Kind == schema.AddTable {
			return "fix or remove these documents (table " + table + " held data before it had a schema), then push again"
		}
	}
	return ""
}

// migratingTables returns, by table, the name of the declarative
// migration in progress on it in base (nil if none).
func migratingTables(base *schemaState) map[string]string {
	var out map[string]string
	for _, text := range base.migrations {
		_, f, err := active.Decode(text)
		if err != nil {
			continue // loadMigrations reported it when the state was read
		}
		for _, o := range f.Operations {
			if out == nil {
				out = map[string]string{}
			}
			if _, seen := out[o.Table()]; !seen {
				out[o.Table()] = f.Name
			}
		}
	}
	return out
}

// formatCount writes n with thousands separators: 1,234.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return s
	}
	var b []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// activate makes s active in one transaction, if the head of _schemas is
// still the pending document p (or, without p, still expect): it drops
// the indexes (and, with DropTables, the tables) s removes, stages the
// indexes it adds and appends the active document.
func (db *DB) activate(ctx context.Context, p *pendingPush, expect []byte, s *Schema, text []byte, diff *schema.Diff, opts PushOptions, res *PushResult) (ID, error) {
	var id ID
	err := db.Mutation(system.Unlimited(ctx), func(tx *Tx) error {
		st := tx.state
		if err := checkHead(tx, st, p, expect); err != nil {
			return err
		}
		dropped, err := tx.dropRemoved(st, s, opts.DropTables, opts.relabel)
		if err != nil {
			return err
		}
		builds, err := tx.stageAdded(st, s, dropped, opts.relabel)
		if err != nil {
			return err
		}
		doc := activeDoc(st, p, text, diff, opts, builds, dropped)
		id, err = tx.appendSystemID(schemasTable, doc)
		return err
	})
	if err != nil {
		var refused *PushRefusedError
		if errors.As(err, &refused) || errors.Is(err, ErrPushSuperseded) {
			return "", err
		}
		return "", fmt.Errorf("strata: push schema: activate: %w", err)
	}
	return id, nil
}

// checkHead returns an error unless the head of _schemas in st is still
// the pending document p (or, without p, still expect).
func checkHead(tx *Tx, st *schemaState, p *pendingPush, expect []byte) error {
	if p != nil {
		if st.headID != p.id {
			return pushEnded(tx, p)
		}
	} else if !bytes.Equal(st.head, expect) {
		return errors.New("the schema changed while the push was running; push again")
	}
	return nil
}

// dropRemoved deletes the indexes that leave the schema or change and,
// with dropTables, the tables s removes. It returns the indexes dropped so
// far ("table.index"): those of st and those s removes.
func (tx *Tx) dropRemoved(st *schemaState, s *Schema, dropTables bool, relabel map[string]bool) (map[string]bool, error) {
	dropped := map[string]bool{}
	for k := range st.dropped {
		dropped[k] = true
	}
	for name, ot := range tablesOf(st.active) {
		nt := s.Tables[name]
		if nt == nil && dropTables {
			tx.records.clear()
			if err := tx.st.DropTable(name); err != nil {
				return nil, fmt.Errorf("table %q: drop: %w", name, err)
			}
		}
		for _, ix := range ot.Indexes {
			nix, ok := nt.IndexByName(ix.Name)
			if ok && (slices.Equal(nix.Fields, ix.Fields) || relabel[indexKeyName(name, ix.Name)]) {
				continue
			}
			if err := tx.st.DropIndex(name, ix.Name); err != nil {
				return nil, fmt.Errorf("table %q: drop index %q: %w", name, ix.Name, err)
			}
			if !ok {
				dropped[indexKeyName(name, ix.Name)] = true
			}
		}
	}
	return dropped, nil
}

// stageAdded stages the new and changed indexes of s (registering each in
// _index_builds) and returns every index still building ("table.index" →
// build id). An index of s leaves dropped.
func (tx *Tx) stageAdded(st *schemaState, s *Schema, dropped map[string]bool, relabel map[string]bool) (map[string]any, error) {
	builds := map[string]any{}
	for name, nt := range s.Tables {
		ot := tablesOf(st.active)[name]
		for _, ix := range nt.Indexes {
			key := indexKeyName(name, ix.Name)
			delete(dropped, key)
			oix, ok := ot.IndexByName(ix.Name)
			if ok && (slices.Equal(oix.Fields, ix.Fields) || relabel[key]) {
				if bid, staged := st.builds[key]; staged {
					builds[key] = bid // still building
				}
				continue
			}
			bid, err := tx.stageIndex(name, ix)
			if err != nil {
				return nil, fmt.Errorf("table %q: index %q: %w", name, ix.Name, err)
			}
			builds[key] = bid
		}
	}
	return builds, nil
}

// activeDoc returns the _schemas document that makes s active.
func activeDoc(st *schemaState, p *pendingPush, text []byte, diff *schema.Diff, opts PushOptions, builds map[string]any, dropped map[string]bool) Doc {
	droppedList := make([]string, 0, len(dropped))
	for k := range dropped {
		droppedList = append(droppedList, k)
	}
	slices.Sort(droppedList)
	doc := Doc{
		"state":       stateActive,
		"schema":      string(text),
		"changes":     changesValue(diff.Changes),
		"actor":       opts.Actor,
		"comment":     opts.Comment,
		"activatedAt": nowMillis(),
		"builds":      builds,
		"dropped":     stringsValue(droppedList),
	}
	migs := st.migrations
	if opts.migrations != nil {
		migs = *opts.migrations
	}
	if len(migs) > 0 {
		doc["migrations"] = stringsValue(migs)
	}
	if chains := raised(st.shapesWith(opts.step), opts.raise); len(chains) > 0 {
		doc["shapes"] = shapesValue(chains)
	}
	if p != nil {
		doc["push"] = p.id
	}
	if st.activeID != "" {
		doc["previous"] = st.activeID
	}
	return doc
}
