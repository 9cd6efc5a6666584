package migrate

import (
	"context"
	"fmt"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/value"
)

// Sample is one document before and after a migration.
type Sample struct {
	Before, After strata.Doc
}

// Invalid is a migrated document that the target schema would refuse.
type Invalid struct {
	DocID strata.ID
	Err   string
}

// DryRunReport is what a migration would do.
type DryRunReport struct {
	Name      string
	Visited   int64
	Changed   int64
	Samples   []Sample  // the first few changed documents
	Invalid   int64     // results the target schema refuses
	Examples  []Invalid // the first few of them
	Satisfied bool      // every result satisfies the target schema (true if none given)
}

// DryRun runs a per-document migration over its whole range without
// writing anything and reports how many documents it would change, up to
// samples before/after pairs, and whether every resulting document
// satisfies target's validator for the table (target may be nil). It reads
// in pages, each in its own read-only snapshot. Batch migrations cannot be
// dry-run: they write through the transaction themselves.
func (m *Migrator) DryRun(ctx context.Context, name string, target *schema.Schema, samples int) (DryRunReport, error) {
	mig, err := m.lookup(name)
	if err != nil {
		return DryRunReport{}, err
	}
	return m.dryRun(ctx, mig, target, samples)
}

// DryRunFile reports what the declarative migration f would do to its
// table — documents changed, samples in the final shape — and whether the
// final schema accepts every result, without writing anything.
func (m *Migrator) DryRunFile(ctx context.Context, f *op.File, samples int) (DryRunReport, error) {
	table, err := fileTable(f)
	if err == nil {
		err = f.CheckOperations()
	}
	if err != nil {
		return DryRunReport{}, fmt.Errorf("migrate: dry run %s: %w", f.Name, err)
	}
	deployed, err := m.deployed(ctx)
	if err != nil {
		return DryRunReport{}, err
	}
	// The checks Start makes, so that a dry run that passes is a start
	// that passes.
	sh, err := shapesOf(f, deployed)
	if err != nil {
		return DryRunReport{}, fmt.Errorf("migrate: dry run %s: %w", f.Name, err)
	}
	return m.dryRun(ctx, &Migration{Name: f.Name, Table: table, MigrateOne: diffOf(f.Operations, true)}, sh.final, samples)
}

func (m *Migrator) dryRun(ctx context.Context, mig *Migration, target *schema.Schema, samples int) (DryRunReport, error) {
	name := mig.Name
	if mig.MigrateOne == nil {
		return DryRunReport{}, fmt.Errorf("migrate: dry run %q: only MigrateOne migrations can be dry-run", name)
	}
	rep := DryRunReport{Name: name, Satisfied: true}
	cursor := ""
	for {
		var page strata.Page
		err := m.db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
			q := tx.Table(mig.Table)
			if mig.Index != "" {
				q = q.WithIndex(mig.Index, mig.Range...)
			}
			var err error
			page, err = q.Paginate(500, cursor)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("migrate: dry run %q: %w", name, err)
		}
		for _, doc := range page.Page {
			rep.Visited++
			p, err := callOne(mig.MigrateOne, doc)
			if err != nil {
				return rep, &BatchError{Migration: name, DocID: doc.ID(), Err: err}
			}
			after := doc
			if len(p) > 0 {
				rep.Changed++
				after = applyPatch(doc, p)
				if len(rep.Samples) < samples {
					rep.Samples = append(rep.Samples, Sample{Before: doc, After: after})
				}
			}
			if target != nil {
				if err := target.ValidateDocument(mig.Table, after.Fields()); err != nil {
					rep.Invalid++
					rep.Satisfied = false
					if len(rep.Examples) < max(samples, 3) {
						rep.Examples = append(rep.Examples, Invalid{DocID: doc.ID(), Err: err.Error()})
					}
				}
			}
		}
		if page.IsDone {
			return rep, nil
		}
		cursor = page.ContinueCursor
	}
}

// applyPatch returns a copy of doc with p shallow-merged into it.
func applyPatch(doc strata.Doc, p strata.Patch) strata.Doc {
	out := make(strata.Doc, len(doc)+len(p))
	for k, x := range doc {
		out[k] = x
	}
	for k, x := range p {
		if _, unset := x.(value.UndefinedValue); unset {
			delete(out, k)
			continue
		}
		out[k] = x
	}
	return out
}
