package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
)

// shapes are the schemas a declarative migration passes through: the
// expanded one (both shapes valid, from Start to Complete), the relaxed
// one (while Complete removes the old representation) and the final one.
type shapes struct {
	expanded, relaxed, final *schema.Schema
}

// shapesOf computes the schemas f takes before through and checks every
// one of them the way a push would, so that every refusal Complete could
// meet is met first — at Start, before anything changes, and again before
// Complete changes a document: the operations must resolve against before
// (Operation.Check), a removed field must be in no index the final schema
// keeps, and each schema must be valid (indexes resolve in the
// validator, ...). The error names the operation or the schema at fault
// and the fix.
func shapesOf(f *op.File, before *schema.Schema) (shapes, error) {
	sh, _, err := shapesDropping(f, before, false)
	return sh, err
}

// shapesDropping is shapesOf; with dropStale, the indexes that use a
// field the migration removes are dropped from the final schema instead
// of refused, and named in dropped. Only Complete of a migration already
// completing — one started before Start refused such a file, whose
// documents have lost the field — uses it: the index can index nothing
// any more, and the migration can then always be finished.
func shapesDropping(f *op.File, before *schema.Schema, dropStale bool) (sh shapes, dropped []string, err error) {
	expanded, err := expand(f, before)
	if err != nil {
		return shapes{}, nil, err
	}
	final, err := contract(f, before, expanded)
	if err != nil {
		return shapes{}, nil, err
	}
	if dropStale {
		for _, st := range staleIndexes(f, final) {
			t := final.Tables[st.table]
			final.Tables[st.table] = &schema.Table{Name: t.Name, Fields: t.Fields,
				Indexes: slices.DeleteFunc(slices.Clone(t.Indexes), func(ix schema.Index) bool { return ix.Name == st.index.Name })}
			dropped = append(dropped, st.table+"."+st.index.Name)
		}
	}
	if err := removedIndexed(f, final); err != nil {
		return shapes{}, nil, err
	}
	table, err := fileTable(f)
	if err != nil {
		return shapes{}, nil, err
	}
	out := shapes{expanded: expanded, final: final, relaxed: relax(expanded, final, table)}
	for _, s := range []struct {
		name string
		s    *schema.Schema
	}{{"expanded schema", out.expanded}, {"schema while completing", out.relaxed}, {"final schema", out.final}} {
		if s.s == nil {
			continue
		}
		if err := s.s.Check(); err != nil {
			return shapes{}, nil, fmt.Errorf("the %s would be invalid: %w; change the migration file (or the deployed schema) so that it is valid", s.name, err)
		}
	}
	return out, dropped, nil
}

// staleIndex is an index of the final schema that uses a field the
// migration removes.
type staleIndex struct {
	op    op.Operation
	field string
	table string
	index schema.Index
}

// staleIndexes lists the indexes of final that use a field that a
// remove_field (or the old field of a change_type) of f removes.
func staleIndexes(f *op.File, final *schema.Schema) []staleIndex {
	if final == nil {
		return nil // no schema: no indexes
	}
	var out []staleIndex
	for _, o := range f.Operations {
		var field string
		switch x := o.(type) {
		case op.RemoveField:
			field = x.Field
		case op.ChangeType:
			field = x.From
		default:
			continue
		}
		t := final.Tables[o.Table()]
		if t == nil {
			continue
		}
		for _, ix := range t.Indexes {
			if slices.ContainsFunc(ix.Fields, func(p string) bool { return p == field || strings.HasPrefix(p, field+".") }) {
				out = append(out, staleIndex{op: o, field: field, table: o.Table(), index: ix})
			}
		}
	}
	return out
}

// removedIndexed refuses a remove_field (or the old field of a
// change_type) that an index of the final schema still uses: the index
// would have no field to read. The index must be dropped first.
func removedIndexed(f *op.File, final *schema.Schema) error {
	if st := staleIndexes(f, final); len(st) > 0 {
		x := st[0]
		return fmt.Errorf("%s %s.%s: index %s (%s) uses the field; drop the index first (a drop_index operation in this file, or an earlier migration)",
			x.op.Kind(), x.table, x.field, x.index.Name, strings.Join(x.index.Fields, ", "))
	}
	return nil
}
