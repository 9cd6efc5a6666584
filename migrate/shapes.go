package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-db/strata/migrate/op"
	"github.com/strata-db/strata/schema"
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
	expanded, err := expand(f, before)
	if err != nil {
		return shapes{}, err
	}
	final, err := contract(f, before, expanded)
	if err != nil {
		return shapes{}, err
	}
	if err := removedIndexed(f, final); err != nil {
		return shapes{}, err
	}
	table, err := fileTable(f)
	if err != nil {
		return shapes{}, err
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
			return shapes{}, fmt.Errorf("the %s would be invalid: %w; change the migration file (or the deployed schema) so that it is valid", s.name, err)
		}
	}
	return out, nil
}

// removedIndexed refuses a remove_field (or the old field of a
// change_type) that an index of the final schema still uses: the index
// would have no field to read. The index must be dropped first.
func removedIndexed(f *op.File, final *schema.Schema) error {
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
				return fmt.Errorf("%s %s.%s: index %s (%s) uses the field; drop the index first (a drop_index operation in this file, or an earlier migration)",
					o.Kind(), o.Table(), field, ix.Name, strings.Join(ix.Fields, ", "))
			}
		}
	}
	return nil
}
