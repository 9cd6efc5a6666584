package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// The declarative lifecycle, for a migration file f on one table:
//
//	Start:    record f; push the expanded schema with f's transforms
//	          active in every process (one transaction); backfill to the
//	          high-water mark; state ready.
//	Complete: verify every document; switch f's transforms to their final
//	          form; contract every document; push the final schema without
//	          f (one transaction); state completed.
//	Rollback: revert every document; push the schema from before f
//	          without f; state rolled_back. (From completing too, when
//	          every document can be reverted.)
//
// No step refuses a write that the old or the new shape allows: the
// schema only tightens in the same transaction that removes the
// transforms, after every document has been brought to the final shape.

const kindDeclarative = "declarative"

// Start runs the expand phase of the declarative migration f (see
// op.ParseFile) and leaves it ready: old and new readers and writers all
// work, both shapes are kept in step. Start of a ready or completed
// migration does nothing and says so; an interrupted Start resumes.
func (m *Migrator) Start(ctx context.Context, f *op.File) (Status, error) {
	text, err := op.MarshalFile(f)
	if err != nil {
		return Status{}, fmt.Errorf("migrate: start: %w", err)
	}
	table, err := fileTable(f)
	if err == nil {
		err = f.CheckOperations()
	}
	if err != nil {
		return Status{}, fmt.Errorf("migrate: start %s: %w", f.Name, err)
	}
	st, err := m.Status(ctx, f.Name)
	switch {
	case errors.Is(err, ErrUnknown):
		if err := m.checkConflicts(ctx, f, table); err != nil {
			return Status{}, err
		}
		deployed, err := m.deployed(ctx)
		if err != nil {
			return Status{}, err
		}
		if _, err := shapesOf(f, deployed); err != nil {
			return Status{}, fmt.Errorf("migrate: start %s: %w; nothing was changed", f.Name, err)
		}
		before := ""
		if deployed != nil {
			b, err := deployed.MarshalJSON()
			if err != nil {
				return Status{}, err
			}
			before = string(b)
		}
		instant, _ := instantOK(f, deployed)
		instant = instant && !m.opts.Rewrite
		if !instant && partial(f, deployed) {
			// The rewriting path reads every document first (no writes):
			// a value the mapping lacks would fail the backfill half-way.
			bad, first, err := m.scanCheck(ctx, table, func(doc strata.Doc) error {
				_, err := diffOf(f.Operations, false)(doc)
				return err
			})
			if err != nil {
				return Status{}, err
			}
			if bad > 0 {
				return Status{}, fmt.Errorf("migrate: start %s: %d document(s) of %s cannot be brought to the new shape, e.g. %v: add their values to the map, or give a default; nothing was changed", f.Name, bad, table, first)
			}
		}
		m.hooks.call(m.hooks.beforeTrack, "start")
		err = m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
			// Another process may have started it since Status: its
			// tracking document stands, and this start continues it.
			if d, err := find(tx, f.Name); err != nil || d != nil {
				return err
			}
			_, err := sys.Insert(tx, Table, map[string]any{
				"name": f.Name, "table": table, "kind": kindDeclarative, "state": string(Pending),
				"file": string(text), "before": before,
				"processed": int64(0), "changed": int64(0), "total": int64(0), "batches": int64(0),
				"startedAt": timeMS(time.Now()), instantMark: instant,
			})
			return err
		})
		if err != nil {
			return Status{}, fmt.Errorf("migrate: start %s: %w", f.Name, err)
		}
	case err != nil:
		return Status{}, err
	default:
		if completing, err := m.contracting(ctx, st); err != nil {
			return st, err
		} else if completing {
			return st, fmt.Errorf("migrate: start %s: it is completing (its contract pass is %s): documents have lost the old shape; run complete to finish it, or rollback", f.Name, st.State)
		}
		switch st.State {
		case Ready:
			st.Message = "ready: every document is migrated; run complete when no code uses the old shape"
			return st, nil
		case Completed:
			st.Message = "already completed; nothing to do"
			return st, nil
		case Completing:
			return st, fmt.Errorf("migrate: start %s: it is completing; run complete to finish it", f.Name)
		case RolledBack:
			return st, fmt.Errorf("migrate: start %s: it was rolled back; reset it to start over", f.Name)
		}
	}
	// Expand (idempotent: a resumed start pushes the same schema again).
	d, err := m.trackingDoc(ctx, f.Name)
	if err != nil {
		return Status{}, err
	}
	before, err := parseBefore(d)
	if err != nil {
		return Status{}, err
	}
	if instant, _ := d.Bool(instantMark); instant {
		return m.startInstant(ctx, f, text, trackedDoc{id: d.ID(), table: table}, before)
	}
	sh, err := shapesOf(f, before)
	if err != nil {
		return Status{}, fmt.Errorf("migrate: start %s: %w", f.Name, err)
	}
	entry, err := active.Encode(active.Expand, text)
	if err != nil {
		return Status{}, err
	}
	m.hooks.call(m.hooks.beforeSwitch, "expand")
	if err := m.pushWith(ctx, sh.expanded, f.Name, entry); err != nil {
		return Status{}, fmt.Errorf("migrate: start %s: expand: %w", f.Name, err)
	}
	if d.StringOr("state", "") == string(Pending) {
		if err := m.markHighWater(ctx, d.ID(), table); err != nil {
			return Status{}, err
		}
		m.hooks.call(m.hooks.afterMark, "expand")
	}
	// Backfill: bring every document at or below the high-water mark to
	// the expanded shape (later ones were transformed on write).
	return m.run(ctx, &Migration{
		Name: f.Name, Table: table, BatchSize: 100,
		MigrateOne:      diffOf(f.Operations, false),
		stopAtHighWater: true, doneState: Ready,
	})
}

// Complete finishes a ready declarative migration: it verifies that every
// document can take the final shape, makes every write produce the final
// shape, removes the old representation from every document, and pushes
// the final schema. If a step fails, Complete can be run again.
func (m *Migrator) Complete(ctx context.Context, name string) (Status, error) {
	d, err := m.trackingDoc(ctx, name)
	if err != nil {
		return Status{}, err
	}
	st := statusOf(d)
	if st.Kind != kindDeclarative {
		return st, fmt.Errorf("migrate: complete %s: only declarative migrations are completed (this one is %s)", name, st.Kind)
	}
	if completing, err := m.contracting(ctx, st); err != nil {
		return st, err
	} else if completing {
		st.State = Completing // its contract pass failed or stopped: continue it
	}
	switch st.State {
	case Completed:
		st.Message = "already completed; nothing to do"
		return st, nil
	case Ready, Completing:
	default:
		return st, fmt.Errorf("migrate: complete %s: it is %s; it must be ready (run start until it is)", name, st.State)
	}
	if st.State == Completing {
		if phase, err := m.activePhase(ctx, name); err != nil {
			return st, err
		} else if phase == active.Rollback {
			return st, fmt.Errorf("migrate: complete %s: it is being rolled back; run rollback to finish that", name)
		}
	}
	f, text, before, err := parseTracked(d)
	if err != nil {
		return st, err
	}
	if instant, _ := d.Bool(instantMark); instant {
		return m.completeInstant(ctx, st, f, text, before)
	}
	// Every check the final push makes runs now, before a document
	// changes: a migration whose final schema cannot be pushed stays
	// ready (or, completing, can be rolled back).
	sh, dropped, err := shapesDropping(f, before, st.State == Completing)
	if err != nil {
		if st.State == Completing {
			return st, fmt.Errorf("migrate: complete %s: %w; nothing was changed (roll it back with rollback %s)", name, err, name)
		}
		return st, fmt.Errorf("migrate: complete %s: %w; nothing was changed, it is still ready (roll it back, or reset it)", name, err)
	}
	final := sh.final
	if st.State == Ready {
		if err := m.verify(ctx, f, st.Table, final); err != nil {
			return st, err
		}
		entry, err := active.Encode(active.Contract, text)
		if err != nil {
			return st, err
		}
		m.hooks.call(m.hooks.beforeSwitch, "contract")
		if err := m.pushWith(ctx, sh.relaxed, name, entry); err != nil {
			return st, fmt.Errorf("migrate: complete %s: %w", name, err)
		}
		if err := m.restart(ctx, d.ID(), Completing, st.Table); err != nil {
			return st, err
		}
		m.hooks.call(m.hooks.afterMark, "contract")
	}
	if _, err := m.run(ctx, &Migration{
		Name: name, Table: st.Table, BatchSize: 100,
		MigrateOne:      diffOf(f.Operations, true),
		stopAtHighWater: true, runState: Completing, doneState: Completing,
	}); err != nil {
		return st, fmt.Errorf("migrate: complete %s: contract: %w", name, err)
	}
	if err := m.pushWith(ctx, final, name, ""); err != nil {
		return st, fmt.Errorf("migrate: complete %s: final schema: %w", name, err)
	}
	done, err := m.finish(ctx, d.ID(), Completed)
	if err == nil && len(dropped) > 0 {
		done.Message = fmt.Sprintf("completed; dropped index(es) %s, which used a field the migration removed", strings.Join(dropped, ", "))
	}
	return done, err
}

// Rollback undoes a declarative migration that has not completed: it
// removes what the migration added from every document and pushes the
// schema from before it. A completing migration is rolled back only if
// every document can be brought back to the schema from before it (a
// renamed field is copied back from the new one; a removed field cannot
// be); otherwise Rollback changes nothing and says to run Complete.
func (m *Migrator) Rollback(ctx context.Context, name string) (Status, error) {
	d, err := m.trackingDoc(ctx, name)
	if err != nil {
		return Status{}, err
	}
	st := statusOf(d)
	if st.Kind != kindDeclarative {
		return st, fmt.Errorf("migrate: rollback %s: only declarative migrations can be rolled back", name)
	}
	switch st.State {
	case Completed:
		return st, fmt.Errorf("migrate: rollback %s: it is completed: the old representation is removed; write a migration back", name)
	case RolledBack:
		st.Message = "already rolled back"
		return st, nil
	}
	if st.LeaseOwner != "" && (st.State == Running || st.State == Completing) && st.LeaseOwner != m.owner && time.Now().Before(st.LeaseExpires) {
		return st, fmt.Errorf("migrate: rollback %s: %w; pause it first", name, ErrRunningElsewhere)
	}
	f, text, before, err := parseTracked(d)
	if err != nil {
		return st, err
	}
	if instant, _ := d.Bool(instantMark); instant {
		return m.rollbackInstant(ctx, st, f, text, before)
	}
	expanded, err := expand(f, before)
	if err != nil {
		return st, err
	}
	completing, err := m.contracting(ctx, st)
	if err != nil {
		return st, err
	}
	if st.State == Completing || completing {
		// Complete has removed the old representation from some
		// documents: roll back only if reverting brings every one of them
		// back to a shape the old schema accepts (a renamed field is
		// copied back; a removed field is gone).
		if err := m.verifyRevert(ctx, f, st.Table, before); err != nil {
			return st, fmt.Errorf("migrate: rollback %s: it is completing and %w; nothing was changed: run complete to finish it", name, err)
		}
	}
	// From now on every write produces the old shape.
	entry, err := active.Encode(active.Rollback, text)
	if err != nil {
		return st, err
	}
	if err := m.pushWith(ctx, expanded, name, entry); err != nil {
		return st, fmt.Errorf("migrate: rollback %s: %w", name, err)
	}
	revert := func(doc strata.Doc) (strata.Patch, error) {
		p := strata.Patch{}
		for _, o := range f.Operations {
			for k, x := range o.Revert(doc) {
				p[k] = x
			}
		}
		return p, nil
	}
	for attempt := 0; ; attempt++ {
		if err := m.restart(ctx, d.ID(), Running, st.Table); err != nil {
			return st, err
		}
		if _, err := m.run(ctx, &Migration{Name: name, Table: st.Table, BatchSize: 100, MigrateOne: revert, doneState: Paused}); err != nil {
			return st, fmt.Errorf("migrate: rollback %s: %w", name, err)
		}
		err := m.pushWith(ctx, before, name, "")
		if err == nil {
			break
		}
		var refused *strata.PushRefusedError
		if !errors.As(err, &refused) || attempt >= 2 {
			return st, fmt.Errorf("migrate: rollback %s: restore the schema: %w", name, err)
		}
		// Writers added the new shape again between the revert and the
		// push: revert once more.
	}
	return m.finish(ctx, d.ID(), RolledBack)
}

func fileTable(f *op.File) (string, error) {
	table := f.Operations[0].Table()
	for _, o := range f.Operations[1:] {
		if o.Table() != table {
			return "", fmt.Errorf("operations on tables %q and %q: a migration file changes one table; split it", table, o.Table())
		}
	}
	return table, nil
}

// deployed returns the active schema as the database has it now.
func (m *Migrator) deployed(ctx context.Context) (*schema.Schema, error) {
	if _, err := sys.ActiveMigrations(ctx, m.db); err != nil { // refreshes the schema
		return nil, err
	}
	return m.db.Schema(), nil
}

// checkConflicts refuses f if an unfinished declarative migration touches
// one of its fields.
func (m *Migrator) checkConflicts(ctx context.Context, f *op.File, table string) error {
	all, err := List(ctx, m.db)
	if err != nil {
		return err
	}
	mine := fieldsOf(f)
	for _, st := range all {
		if st.Kind != kindDeclarative || st.Table != table || st.Name == f.Name ||
			st.State == Completed || st.State == RolledBack {
			continue
		}
		d, err := m.trackingDoc(ctx, st.Name)
		if err != nil {
			return err
		}
		other, _, _, err := parseTracked(d)
		if err != nil {
			return err
		}
		for _, fld := range fieldsOf(other) {
			if slices.Contains(mine, fld) {
				return fmt.Errorf("migrate: start %s: field %s.%s is also changed by migration %q (%s); complete or roll it back first", f.Name, table, fld, st.Name, st.State)
			}
		}
	}
	return nil
}

func fieldsOf(f *op.File) []string {
	var out []string
	for _, o := range f.Operations {
		out = append(out, o.Fields()...)
	}
	return out
}

func (m *Migrator) trackingDoc(ctx context.Context, name string) (strata.Doc, error) {
	var d strata.Doc
	err := m.db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
		var err error
		d, err = find(tx, name)
		return err
	})
	if err == nil && d == nil {
		err = fmt.Errorf("migrate: %q: %w", name, ErrUnknown)
	}
	return d, err
}

func parseBefore(d strata.Doc) (*schema.Schema, error) {
	text := d.StringOr("before", "")
	if text == "" {
		return nil, nil
	}
	s, err := schema.Parse([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("migrate: %s: recorded schema: %w", d.StringOr("name", ""), err)
	}
	return s, nil
}

func parseTracked(d strata.Doc) (*op.File, []byte, *schema.Schema, error) {
	text := []byte(d.StringOr("file", ""))
	f, err := op.ParseRecorded(text)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("migrate: %s: recorded file: %w", d.StringOr("name", ""), err)
	}
	before, err := parseBefore(d)
	return f, text, before, err
}

// expand applies every operation's Check and Expand to a copy of s.
func expand(f *op.File, s *schema.Schema) (*schema.Schema, error) {
	out := op.CopySchema(s)
	for _, o := range f.Operations {
		if err := o.Check(out); err != nil {
			return nil, err
		}
		if err := o.Expand(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// contract applies every operation's Contract to a copy of expanded.
func contract(f *op.File, before, expanded *schema.Schema) (*schema.Schema, error) {
	out := op.CopySchema(expanded)
	for _, o := range f.Operations {
		if err := o.Contract(before, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// diffOf returns the per-document function that brings a document to the
// expanded shape (or, final, to the final shape) as a patch.
func diffOf(ops []op.Operation, final bool) func(strata.Doc) (strata.Patch, error) {
	return func(doc strata.Doc) (strata.Patch, error) {
		next := op.Doc(doc)
		for _, o := range ops {
			var err error
			if final {
				next, err = o.Finalize(nil, next)
			} else {
				next, err = o.Transform(nil, next)
			}
			if err != nil {
				return nil, err
			}
		}
		p := strata.Patch{}
		for k, x := range next {
			if old, ok := doc[k]; !ok || !value.Equal(old, x) {
				p[k] = x
			}
		}
		for k := range doc {
			if _, ok := next[k]; !ok {
				p[k] = strata.Unset
			}
		}
		if len(p) == 0 {
			return nil, nil
		}
		return p, nil
	}
}

// activeSetWith returns the active migration set with the entry of name
// replaced by entry ("" removes it).
func (m *Migrator) activeSetWith(ctx context.Context, name, entry string) ([]string, error) {
	set, err := sys.ActiveMigrations(ctx, m.db)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range set {
		_, f, err := active.Decode(a)
		if err == nil && f.Name == name {
			continue
		}
		out = append(out, a)
	}
	if entry != "" {
		out = append(out, entry)
	}
	return out, nil
}

// pushWith pushes s with the active migration set changed: the entry of
// name replaced by entry ("" removes it). It waits for index builds.
func (m *Migrator) pushWith(ctx context.Context, s *schema.Schema, name, entry string) error {
	if s == nil {
		s = &schema.Schema{Tables: map[string]*schema.Table{}}
	}
	out, err := m.activeSetWith(ctx, name, entry)
	if err != nil {
		return err
	}
	return sys.Push(ctx, m.db, s, out, true)
}

// markHighWater records the newest _creationTime of table (after the
// transforms became active) and the documents to visit.
func (m *Migrator) markHighWater(ctx context.Context, id strata.ID, table string) error {
	total, hw, err := m.count(ctx, table)
	if err != nil {
		return err
	}
	return m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
		return sys.Patch(tx, id, map[string]any{"highWater": hw, "total": total})
	})
}

// count counts table and reads its high-water mark after a switch of the
// write transforms. The pass that follows skips the documents above the
// mark, taking them for written under the new transforms, so the read
// must be validated (sys.QueryValidated): it reads the schema head
// (so it is ordered after the switch) and commits, so that a writer that
// read the schema from before the switch and inserted what this read
// missed conflicts and retries under the new transforms.
func (m *Migrator) count(ctx context.Context, table string) (total int64, hw float64, err error) {
	err = sys.QueryValidated(storage.WithBulkRead(ctx), m.db, func(tx *strata.Tx) error {
		total, hw, err = countTable(tx, &Migration{Table: table})
		return err
	})
	return total, hw, err
}

// restart begins a new pass over the table: a fresh cursor and high-water
// mark, the given state.
func (m *Migrator) restart(ctx context.Context, id strata.ID, state State, table string) error {
	total, hw, err := m.count(ctx, table)
	if err != nil {
		return err
	}
	return m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
		return sys.Patch(tx, id, map[string]any{
			"state": string(state), "cursor": value.Undef, "highWater": hw, "total": total,
			"processed": int64(0), "changed": int64(0), "leaseOwner": value.Undef, "leaseExpiresAt": value.Undef,
		})
	})
}

func (m *Migrator) finish(ctx context.Context, id strata.ID, state State) (Status, error) {
	var st Status
	err := m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
		p := map[string]any{"state": string(state), "updatedAt": timeMS(time.Now()), "leaseOwner": value.Undef, "leaseExpiresAt": value.Undef}
		if state == Completed {
			p["completedAt"] = timeMS(time.Now())
		}
		if err := sys.Patch(tx, id, p); err != nil {
			return err
		}
		d, err := tx.Get(id)
		st = statusOf(d)
		return err
	})
	return st, err
}

// verify checks, without writing, that every document of table takes the
// final shape and that the final schema accepts it.
func (m *Migrator) verify(ctx context.Context, f *op.File, table string, final *schema.Schema) error {
	fin := diffOf(f.Operations, true)
	bad, first, err := m.scanCheck(ctx, table, func(doc strata.Doc) error {
		p, err := fin(doc)
		if err == nil {
			err = final.ValidateDocument(table, applyPatch(doc, p).Fields())
		}
		return err
	})
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("migrate: complete: %d document(s) of %s would not satisfy the final schema, e.g. %v; nothing was changed", bad, table, first)
	}
	return nil
}

// verifyRevert checks, without writing, that every document of table
// reverted as Rollback reverts it satisfies before.
func (m *Migrator) verifyRevert(ctx context.Context, f *op.File, table string, before *schema.Schema) error {
	bad, first, err := m.scanCheck(ctx, table, func(doc strata.Doc) error {
		next := op.Doc(doc)
		for _, o := range f.Operations {
			var err error
			if next, err = active.Apply(o, active.Rollback, nil, next); err != nil {
				return err
			}
		}
		return before.ValidateDocument(table, next)
	})
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d document(s) of %s could not be reverted to the schema from before it, e.g. %v", bad, table, first)
	}
	return nil
}

// scanCheck runs check on every document of table, in read-only pages,
// and returns how many failed and the first few failures.
func (m *Migrator) scanCheck(ctx context.Context, table string, check func(strata.Doc) error) (bad int64, first []string, err error) {
	cursor := ""
	for {
		var page strata.Page
		err := m.db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
			var err error
			page, err = tx.Table(table).Paginate(1000, cursor)
			return err
		})
		if err != nil {
			return 0, nil, err
		}
		for _, doc := range page.Page {
			if err := check(doc); err != nil {
				bad++
				if len(first) < 3 {
					first = append(first, fmt.Sprintf("%s: %v", doc.ID(), err))
				}
			}
		}
		if page.IsDone {
			return bad, first, nil
		}
		cursor = page.ContinueCursor
	}
}

// relax returns expanded with every field that final drops made optional
// and with final's indexes: the schema in force while Complete removes
// those fields from documents. Indexes take their final form first, while
// the old and new fields of a rename still agree in every document, so
// that an index carried to the new field is complete before the old one
// goes.
func relax(expanded, final *schema.Schema, table string) *schema.Schema {
	out := op.CopySchema(expanded)
	if out == nil || final == nil {
		return out // no schema: nothing to relax
	}
	et, ft := out.Tables[table], final.Tables[table]
	if et == nil || ft == nil {
		return out
	}
	cp := &schema.Table{Name: et.Name, Fields: v.Object{}, Indexes: ft.Indexes}
	for k, x := range et.Fields {
		if _, kept := ft.Fields[k]; !kept {
			if _, opt := x.(*v.OptionalType); !opt {
				x = v.Optional(x)
			}
		}
		cp.Fields[k] = x
	}
	out.Tables[table] = cp
	return out
}

// contracting reports a migration whose contract pass began and stopped
// before it finished (failed, paused or canceled): its writes already
// produce the final shape and some documents have lost the old one, so it
// is completing whatever its state says.
func (m *Migrator) contracting(ctx context.Context, st Status) (bool, error) {
	switch st.State {
	case Failed, Paused, Canceled, Running:
	default:
		return false, nil
	}
	phase, err := m.activePhase(ctx, st.Name)
	return phase == active.Contract, err
}
