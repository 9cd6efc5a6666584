package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/strata-db/strata"

	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// The instant path of a declarative migration: each of Start, Complete
// and Rollback is one push that appends a step to the table's shape chain
// (versioned records, see strata's shapes.go) and switches the write
// transforms, in one transaction. No document is rewritten: a record
// written under an older shape is brought to the current one when it is
// read, and the compactor rewrites old records later (Compact).
//
// A migration takes the instant path when every document is known, from
// the schema alone, to satisfy each schema the migration pushes once the
// step is applied (instantOK); the others keep the rewriting path.

// instantOK reports whether f on table, started from the schema before,
// can take the instant path, and if not, why.
func instantOK(f *op.File, before *schema.Schema) (bool, string) {
	for _, o := range f.Operations {
		switch o := o.(type) {
		case op.AddField, op.RenameField, op.RemoveField, op.ChangeType, op.AddIndex, op.DropIndex:
		case op.RequireField:
			if !o.HasDefault {
				return false, "require_field without a default fills the field only where it can convert"
			}
		default:
			return false, o.Kind() + " has no read-time form"
		}
	}
	return true, ""
}

// partial reports whether an operation of f converts by a mapping the
// schema before cannot show total (op.ChangeType.Partial): the documents
// must be read to know.
func partial(f *op.File, before *schema.Schema) bool {
	for _, o := range f.Operations {
		if p, ok := o.(interface{ Partial(*schema.Schema) bool }); ok && p.Partial(before) {
			return true
		}
	}
	return false
}

// rollbackOK reports whether reverting every document of a migration
// started from before is known to satisfy before without reading the
// documents: a removed field the old schema requires, or a changed field
// new writers could leave out (no reverse mapping), may be missing from
// documents written in the new shape.
func rollbackOK(f *op.File, before *schema.Schema) bool {
	requiredIn := func(table, field string) bool {
		if before == nil || before.Tables[table] == nil {
			return false
		}
		t := before.Tables[table]
		x, ok := t.Fields[field]
		if !ok {
			return false
		}
		_, opt := x.(*v.OptionalType)
		return !opt
	}
	for _, o := range f.Operations {
		switch o := o.(type) {
		case op.RemoveField:
			if requiredIn(o.TableName, o.Field) {
				return false
			}
		case op.ChangeType:
			if len(o.ReverseMap) == 0 && o.ReverseConvert == "" && requiredIn(o.TableName, o.From) {
				return false
			}
		}
	}
	return true
}

// tight returns expanded with every field that final requires and
// expanded makes optional required as final has it: on the instant path
// the write transforms and the read-time step give every document such a
// field (a default, a copy, a conversion), and the schema is checked
// after them, so the final schema holds from Start on and Complete need
// not read a document.
func tight(expanded, final *schema.Schema, table string) *schema.Schema {
	out := op.CopySchema(expanded)
	if out == nil || final == nil || out.Tables[table] == nil || final.Tables[table] == nil {
		return out
	}
	et, ft := out.Tables[table], final.Tables[table]
	cp := &schema.Table{Name: et.Name, Fields: v.Object{}, Indexes: et.Indexes}
	for k, x := range et.Fields {
		if fx, ok := ft.Fields[k]; ok {
			_, eopt := x.(*v.OptionalType)
			_, fopt := fx.(*v.OptionalType)
			if eopt && !fopt {
				x = fx
			}
		}
		cp.Fields[k] = x
	}
	out.Tables[table] = cp
	return out
}

// relabeled returns the indexes ("table.index") whose fields differ
// between expanded and final only by the renames of f: their keys are the
// same in every document, so they keep their entries.
func relabeled(f *op.File, expanded, final *schema.Schema, table string) []string {
	if expanded == nil || final == nil || expanded.Tables[table] == nil || final.Tables[table] == nil {
		return nil
	}
	var out []string
	for _, ix := range expanded.Tables[table].Indexes {
		fix, ok := final.Tables[table].IndexByName(ix.Name)
		if !ok || slices.Equal(fix.Fields, ix.Fields) {
			continue
		}
		moved := []schema.Index{ix}
		for _, o := range f.Operations {
			if r, ok := o.(op.RenameField); ok {
				moved = op.RenameInIndexes(moved, r.From, r.To)
			}
		}
		if slices.Equal(moved[0].Fields, fix.Fields) {
			out = append(out, table+"."+ix.Name)
		}
	}
	return out
}

// reverted returns the schema deployed with f's changes to table undone:
// every field f's operations touch as before has it (or gone, if before
// has none), and the indexes f adds gone. Another migration active on the
// table (on other fields, see checkConflicts) keeps its changes.
func reverted(f *op.File, before, deployed *schema.Schema, table string) *schema.Schema {
	if deployed == nil || deployed.Tables[table] == nil {
		return before
	}
	out := op.CopySchema(deployed)
	dt := deployed.Tables[table]
	t := &schema.Table{Name: dt.Name, Fields: v.Object{}, Indexes: slices.Clone(dt.Indexes)}
	for k, x := range dt.Fields {
		t.Fields[k] = x
	}
	var bt *schema.Table
	if before != nil {
		bt = before.Tables[table]
	}
	for _, o := range f.Operations {
		for _, fld := range o.Fields() {
			if bt != nil && bt.Fields[fld] != nil {
				t.Fields[fld] = bt.Fields[fld]
			} else {
				delete(t.Fields, fld)
			}
		}
		if ai, ok := o.(op.AddIndex); ok {
			t.Indexes = slices.DeleteFunc(t.Indexes, func(ix schema.Index) bool { return ix.Name == ai.Name })
		}
	}
	out.Tables[table] = t
	return out
}

// contracts reports whether Complete changes documents: some operation
// removes a field.
func contracts(f *op.File) bool {
	for _, o := range f.Operations {
		switch o.(type) {
		case op.RenameField, op.RemoveField, op.ChangeType:
			return true
		}
	}
	return false
}

// expands reports whether Start (and Rollback) change documents: some
// operation adds or fills a field. Index operations and remove_field do
// not, and need no step.
func expands(f *op.File) bool {
	for _, o := range f.Operations {
		switch o.(type) {
		case op.AddIndex, op.DropIndex, op.RemoveField:
		default:
			return true
		}
	}
	return false
}

// pushStep pushes s with the active entry of name replaced by entry (""
// removes it) and, with step, appends step to table's shape chain, in one
// transaction. Trusted pushes read no document. A chain already holding
// strata.MaxShapeSteps steps is compacted first (m.compacted says so).
func (m *Migrator) pushStep(ctx context.Context, s *schema.Schema, name, entry, table, step string, trusted bool, relabel []string) error {
	if step != "" {
		info, err := Shapes(ctx, m.db, table)
		if err != nil {
			return err
		}
		if info.Pending() >= strata.MaxShapeSteps {
			st, err := m.Compact(ctx, table)
			if err != nil {
				return fmt.Errorf("table %s holds %d shapes not yet compacted, the most it may: %w", table, info.Pending(), err)
			}
			msg := fmt.Sprintf("table %s held %d shapes not yet compacted, the most it may: compacted it first (%d records rewritten)", table, info.Pending(), st.Changed)
			m.mu.Lock()
			m.compacted = msg
			m.mu.Unlock()
		}
	}
	if s == nil {
		s = &schema.Schema{Tables: map[string]*schema.Table{}}
	}
	out, err := m.activeSetWith(ctx, name, entry)
	if err != nil {
		return err
	}
	return sys.PushStep(ctx, m.db, system.ShapePush{
		Schema: s, Migrations: out, Wait: true,
		Table: table, Step: step, Trusted: trusted, Relabel: relabel,
	})
}

// startInstant is Start on the instant path, for the tracking document d
// of f: one push of the expanded schema (tightened) with f's transforms
// and the expand step. A start interrupted after that push finds f
// active and only records the state.
func (m *Migrator) startInstant(ctx context.Context, f *op.File, text []byte, d trackedDoc, before *schema.Schema) (Status, error) {
	phase, err := m.activePhase(ctx, f.Name)
	if err != nil {
		return Status{}, err
	}
	if phase == "" {
		sh, err := shapesOf(f, before)
		if err != nil {
			return Status{}, fmt.Errorf("migrate: start %s: %w", f.Name, err)
		}
		entry, err := active.Encode(active.Expand, text)
		if err != nil {
			return Status{}, err
		}
		step := ""
		if expands(f) {
			step = entry
		}
		m.hooks.call(m.hooks.beforeSwitch, "expand")
		// A partial mapping is checked against every document, with the
		// step applied, by the push (read-only; writes meanwhile are
		// checked too): refused, nothing changes and the migration is
		// forgotten, so that a fixed file can be started under its name.
		trusted := !partial(f, before)
		err = m.pushStep(ctx, tight(sh.expanded, sh.final, d.table), f.Name, entry, d.table, step, trusted, nil)
		if err != nil && m.switchedMeanwhile(ctx, f.Name, active.Expand) {
			err = nil // a racing start (another process) switched it
		}
		if err != nil {
			var refused *strata.PushRefusedError
			if errors.As(err, &refused) {
				if rerr := Reset(context.WithoutCancel(ctx), m.db, f.Name); rerr != nil {
					err = errors.Join(err, rerr)
				}
				return Status{}, fmt.Errorf("migrate: start %s: %w; nothing was changed", f.Name, err)
			}
			return Status{}, fmt.Errorf("migrate: start %s: expand: %w", f.Name, err)
		}
		m.hooks.call(m.hooks.afterMark, "expand")
	}
	st, err := m.finish(ctx, d.id, Ready)
	if err == nil {
		st.Message = m.withCompacted("ready: instant (no document was rewritten); run complete when no code uses the old shape")
	}
	return st, err
}

// completeInstant is Complete on the instant path: one push of the final
// schema without f's transforms, with the contract step. An interrupted
// Complete finds f no longer active and only records the state.
func (m *Migrator) completeInstant(ctx context.Context, st Status, f *op.File, text []byte, before *schema.Schema) (Status, error) {
	phase, err := m.activePhase(ctx, st.Name)
	if err != nil {
		return st, err
	}
	if phase == active.Expand {
		sh, err := shapesOf(f, before)
		if err != nil {
			return st, fmt.Errorf("migrate: complete %s: %w; nothing was changed, it is still ready (roll it back, or reset it)", st.Name, err)
		}
		step := ""
		if contracts(f) {
			if step, err = active.Encode(active.Contract, text); err != nil {
				return st, err
			}
		}
		// f's contraction of the schema deployed now, not of sh.expanded:
		// another migration active on the table (on other fields) keeps
		// its changes.
		deployed, err := m.deployed(ctx)
		if err != nil {
			return st, err
		}
		final, err := contract(f, before, deployed)
		if err != nil {
			return st, fmt.Errorf("migrate: complete %s: %w", st.Name, err)
		}
		if final == nil {
			final = sh.final
		}
		m.hooks.call(m.hooks.beforeSwitch, "contract")
		relabel := relabeled(f, deployed, final, st.Table)
		if err := m.pushStep(ctx, final, st.Name, "", st.Table, step, true, relabel); err != nil && !m.switchedMeanwhile(ctx, st.Name, "") {
			return st, fmt.Errorf("migrate: complete %s: %w", st.Name, err)
		}
		m.hooks.call(m.hooks.afterMark, "contract")
	}
	done, err := m.finish(ctx, st.ID, Completed)
	if msg := m.withCompacted(""); msg != "" {
		done.Message = "completed" + msg
	}
	return done, err
}

// withCompacted returns msg followed by what pushStep compacted, if it
// did (and forgets it).
func (m *Migrator) withCompacted(msg string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.compacted == "" {
		return msg
	}
	msg += "; " + m.compacted
	m.compacted = ""
	return msg
}

// rollbackInstant is Rollback on the instant path: one push of the schema
// from before f, without f's transforms, with the rollback step. Where
// documents written in the new shape may not satisfy the old schema
// (rollbackOK), the push checks every document with the step applied and
// is refused, naming them, if any does not.
func (m *Migrator) rollbackInstant(ctx context.Context, st Status, f *op.File, text []byte, before *schema.Schema) (Status, error) {
	phase, err := m.activePhase(ctx, st.Name)
	if err != nil {
		return st, err
	}
	if phase == active.Expand {
		step := ""
		if expands(f) {
			if step, err = active.Encode(active.Rollback, text); err != nil {
				return st, err
			}
		}
		deployed, err := m.deployed(ctx)
		if err != nil {
			return st, err
		}
		if err := m.pushStep(ctx, reverted(f, before, deployed, st.Table), st.Name, "", st.Table, step, rollbackOK(f, before), nil); err != nil && !m.switchedMeanwhile(ctx, st.Name, "") {
			return st, fmt.Errorf("migrate: rollback %s: documents written in the new shape cannot all be read in the old one: %w; nothing was changed", st.Name, err)
		}
	}
	return m.finish(ctx, st.ID, RolledBack)
}

// switchedMeanwhile reports whether, after a failed push of an instant
// step, the migration name is now in phase (expand; "" for no longer
// active): a step racing from another process made the same switch.
func (m *Migrator) switchedMeanwhile(ctx context.Context, name, phase string) bool {
	now, err := m.activePhase(context.WithoutCancel(ctx), name)
	return err == nil && now == phase
}

// trackedDoc is what the instant path needs of a tracking document.
type trackedDoc struct {
	id    value.ID
	table string
}

// instantMark is the tracking document field that records the path.
const instantMark = "instant"

func instantOf(d strata.Doc) bool {
	b, _ := d.Bool(instantMark)
	return b
}
