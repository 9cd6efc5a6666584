package strata

import (
	"fmt"

	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/schema/op"
)

// loadMigrations parses the declarative migrations recorded with the
// active schema (active.Encode entries) into operations by table; an
// expanding migration's writes go through Transform, a completing one's
// through Finalize.
func (st *schemaState) loadMigrations(x any) error {
	list, _ := x.([]any)
	if len(list) == 0 {
		return nil
	}
	st.ops = map[string][]activeOp{}
	for _, item := range list {
		text, ok := item.(string)
		if !ok {
			return fmt.Errorf("active migrations: not a migration: %v", item)
		}
		phase, f, err := active.Decode(text)
		if err != nil {
			return err
		}
		st.migrations = append(st.migrations, text)
		for _, o := range f.Operations {
			st.ops[o.Table()] = append(st.ops[o.Table()], activeOp{o, phase})
		}
	}
	return nil
}

// activeOp is an operation of an active migration and its phase.
type activeOp struct {
	op.Operation
	phase string
}

// applyOps runs the Transform of every active declarative operation on
// table over next.
func (tx *Tx) applyOps(table string, old, next Doc) (Doc, error) {
	if tx.state == nil {
		return next, nil
	}
	for _, o := range tx.state.ops[table] {
		out, err := active.Apply(o.Operation, o.phase, old, next)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", o.Kind(), err)
		}
		next = Doc(out)
	}
	return next, nil
}

func (tx *Tx) hasTransforms(table string) bool {
	if tx.state != nil && len(tx.state.ops[table]) > 0 {
		return true
	}
	set := tx.db.transforms.Load()
	return set != nil && len((*set)[table]) > 0
}
