package migrate

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// Plan is the safe route from a deployed schema to a new one: first the
// push (additive, safe), then the migration file's operations.
type Plan struct {
	// File holds the declarative operations to run with Start and
	// Complete (nil if none are needed).
	File *op.File
	// Push lists the changes a plain schema push makes safely (new tables,
	// optional fields, widened types), before or after the migration.
	Push []schema.Change
	// PushFirst, when the plan has both push changes and a file, is the
	// schema to push before starting the file: the deployed schema with
	// the Push changes (the file's operations may rely on them). After
	// the file's migration completes, the active schema is the target.
	// nil otherwise: with no file, the target itself is pushed.
	PushFirst *schema.Schema
	// NeedsInput lists what the planner cannot decide (a default for a new
	// required field, a map for a type change, ...), each with what to do.
	NeedsInput []string
}

// PlanOptions give the planner what only a person knows.
type PlanOptions struct {
	// Defaults are values, by "table.field", for the documents that lack
	// a field the target schema requires: a new required field is planned
	// as add_field, an optional field made required as require_field,
	// each with this default. A whole number for an int64 field may be a
	// plain float64 (v.WholeNumbers reads it as an int64).
	Defaults map[string]any
}

// ErrPlanIncomplete is wrapped by PlanMigration's error when some change
// needs information only a person has; Plan.NeedsInput says which.
var ErrPlanIncomplete = errors.New("the plan needs input")

// PlanMigration compares the deployed schema with target and returns the
// migration that gets there safely: renames (a removed field and an added
// one of the same type), removed fields, and index changes become
// declarative operations in a file named name; safe changes are left to a
// plain push. It refuses — with ErrPlanIncomplete and the reasons in
// NeedsInput — a change it cannot carry out without documents the target
// would reject (a new required field, or an optional field made
// required, without a default in PlanOptions; a type change, which needs
// a map).
// The returned plan is verified: its operations, applied to deployed and
// followed by the push, yield target. It is PlanMigrationWith without
// options.
func PlanMigration(name string, deployed, target *schema.Schema) (*Plan, error) {
	return PlanMigrationWith(name, deployed, target, PlanOptions{})
}

// PlanMigrationWith is PlanMigration with defaults for the fields the
// target makes required (see PlanOptions): with one, such a field is
// planned instead of needing input. A default for a field that does not
// become required, or that does not match its type, needs input too.
func PlanMigrationWith(name string, deployed, target *schema.Schema, opts PlanOptions) (*Plan, error) {
	d := schema.Compare(deployed, target)
	defaults, used := opts.Defaults, map[string]bool{}
	p := &Plan{}
	var ops []op.Operation
	byTable := map[string][]schema.Change{}
	var tables []string
	for _, ch := range d.Changes {
		if _, seen := byTable[ch.Table]; !seen {
			tables = append(tables, ch.Table)
		}
		byTable[ch.Table] = append(byTable[ch.Table], ch)
	}
	for _, table := range tables {
		var removed, added, changedIndexes []schema.Change
		var addIndexes, dropIndexes, requireOps []op.Operation
		for _, ch := range byTable[table] {
			switch ch.Kind {
			case schema.AddTable, schema.RemoveTable, schema.MakeOptional, schema.WidenField:
				p.Push = append(p.Push, ch)
			case schema.AddField:
				added = append(added, ch)
			case schema.RemoveField:
				removed = append(removed, ch)
			case schema.MakeRequired:
				oldT, newT := unwrap(deployed.Tables[table].Fields[ch.Field]), unwrap(target.Tables[table].Fields[ch.Field])
				if !v.Equal(oldT, newT) {
					p.NeedsInput = append(p.NeedsInput, fmt.Sprintf("%s.%s becomes required and changes type: make it required first (require_field), then change its type with change_type", table, ch.Field))
					continue
				}
				key := table + "." + ch.Field
				def, ok := defaults[key]
				if !ok {
					p.NeedsInput = append(p.NeedsInput, fmt.Sprintf("%s.%s becomes required: give the value for documents that lack it (strata schema plan --default %s=JSON, or PlanOptions.Defaults), or write require_field with from and convert", table, ch.Field, key))
					continue
				}
				used[key] = true
				o, err := requireOp(table, ch.Field, newT, def)
				if err != nil {
					p.NeedsInput = append(p.NeedsInput, err.Error())
					continue
				}
				requireOps = append(requireOps, o)
			case schema.ChangeField:
				p.NeedsInput = append(p.NeedsInput, fmt.Sprintf("%s.%s changes type in place: use change_type to a new field with a map, then rename if you must keep the name", table, ch.Field))
			case schema.AddIndex:
				if deployed != nil && deployed.Tables[table] != nil {
					ix, _ := target.Tables[table].IndexByName(ch.Index)
					addIndexes = append(addIndexes, op.AddIndex{TableName: table, Name: ix.Name, On: ix.Fields})
				} else {
					p.Push = append(p.Push, ch) // built with its new table
				}
			case schema.DropIndex:
				dropIndexes = append(dropIndexes, op.DropIndex{TableName: table, Name: ch.Index})
			case schema.ChangeIndex:
				changedIndexes = append(changedIndexes, ch)
			}
		}
		fieldOps, push, needs := planFields(table, deployed, target, removed, added, defaults, used)
		fieldOps = append(fieldOps, requireOps...)
		// Indexes dropped first, new ones last: an index may use a field
		// that a rename or add_field of the same file introduces.
		ops = append(ops, dropIndexes...)
		ops = append(ops, fieldOps...)
		ops = append(ops, addIndexes...)
		p.Push = append(p.Push, push...)
		p.NeedsInput = append(p.NeedsInput, needs...)
		for _, ch := range changedIndexes {
			if carriedByRenames(fieldOps, deployed.Tables[table], target.Tables[table], ch.Index) {
				continue // a planned rename carries the index to its new field
			}
			p.NeedsInput = append(p.NeedsInput, fmt.Sprintf("index %s.%s changes fields: add_index under a new name, switch queries to it, then drop_index the old one", table, ch.Index))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(defaults)) {
		if !used[key] {
			p.NeedsInput = append(p.NeedsInput, fmt.Sprintf("a default is given for %s, which is neither a new required field nor one the target makes required", key))
		}
	}
	if len(ops) > 0 {
		p.File = &op.File{Name: name, Operations: ops}
	}
	if len(p.NeedsInput) > 0 {
		return p, fmt.Errorf("migrate: plan: %w: %d change(s)", ErrPlanIncomplete, len(p.NeedsInput))
	}
	if err := verifyPlan(p, deployed, target); err != nil {
		return p, err
	}
	if len(p.Push) > 0 && p.File != nil {
		p.PushFirst = afterPush(p, deployed, target)
	}
	return p, nil
}

// carriedByRenames reports whether the renames among ops turn index name
// of deployed into the index of that name in target.
func carriedByRenames(ops []op.Operation, deployed, target *schema.Table, name string) bool {
	oldIx, ok1 := deployed.IndexByName(name)
	newIx, ok2 := target.IndexByName(name)
	if !ok1 || !ok2 {
		return false
	}
	got := []schema.Index{oldIx}
	for _, o := range ops {
		if r, ok := o.(op.RenameField); ok {
			got = op.RenameInIndexes(got, r.From, r.To)
		}
	}
	return slices.Equal(got[0].Fields, newIx.Fields)
}

// planFields pairs removed and added fields of one table: a removed field
// and an added one of the same type are a rename.
func planFields(table string, deployed, target *schema.Schema, removed, added []schema.Change, defaults map[string]any, usedDefaults map[string]bool) (ops []op.Operation, push []schema.Change, needs []string) {
	if len(removed) == 0 && len(added) == 0 {
		return nil, nil, nil
	}
	oldF := deployed.Tables[table].Fields
	newF := target.Tables[table].Fields
	used := map[string]bool{}
	for _, r := range removed {
		var match []string
		for _, a := range added {
			if !used[a.Field] && v.Equal(unwrap(oldF[r.Field]), unwrap(newF[a.Field])) {
				match = append(match, a.Field)
			}
		}
		switch len(match) {
		case 1:
			used[match[0]] = true
			ops = append(ops, op.RenameField{TableName: table, From: r.Field, To: match[0]})
			continue
		case 0:
		default:
			needs = append(needs, fmt.Sprintf("%s.%s is removed and %v are added with its type: say which is its new name with rename_field", table, r.Field, match))
			continue
		}
		// An added field of another type: a type change needs a map.
		var other []string
		for _, a := range added {
			if !used[a.Field] {
				other = append(other, a.Field)
			}
		}
		if len(other) == 1 && !isOpt(newF[other[0]]) {
			used[other[0]] = true
			needs = append(needs, fmt.Sprintf("%s.%s (%v) is replaced by %s (%v): write a change_type operation with a map from old to new values (and a default if the map is not total)",
				table, r.Field, oldF[r.Field], other[0], newF[other[0]]))
			continue
		}
		ops = append(ops, op.RemoveField{TableName: table, Field: r.Field})
	}
	for _, a := range added {
		if used[a.Field] {
			continue
		}
		if isOpt(newF[a.Field]) {
			push = append(push, a)
			continue
		}
		key := table + "." + a.Field
		def, ok := defaults[key]
		if !ok {
			needs = append(needs, fmt.Sprintf("%s.%s is a new required field: give the value for existing documents (strata schema plan --default %s=JSON, or PlanOptions.Defaults), or write add_field with a default (or a Go migration that derives it)", table, a.Field, key))
			continue
		}
		usedDefaults[key] = true
		typ := newF[a.Field]
		x, err := v.WholeNumbers(typ, def)
		if err == nil {
			err = typ.Validate(x)
		}
		if err != nil {
			needs = append(needs, fmt.Sprintf("the default for %s does not fit its type %v: %v", key, typ, err))
			continue
		}
		ops = append(ops, op.AddField{TableName: table, Field: a.Field, Type: typ, Default: x})
	}
	return ops, push, needs
}

// requireOp is the require_field that fills field of table (of type typ)
// with def.
func requireOp(table, field string, typ v.Validator, def any) (op.Operation, error) {
	def, err := v.WholeNumbers(typ, def)
	if err == nil {
		err = typ.Validate(def)
	}
	if err != nil {
		return nil, fmt.Errorf("the default for %s.%s does not fit its type %v: %v", table, field, typ, err)
	}
	return op.RequireField{TableName: table, Field: field, Type: typ, Default: def, HasDefault: true}, nil
}

func unwrap(x v.Validator) v.Validator {
	if o, ok := x.(*v.OptionalType); ok {
		return o.Elem
	}
	return x
}

func isOpt(x v.Validator) bool {
	_, ok := x.(*v.OptionalType)
	return ok
}

// verifyPlan applies the plan's push, then its operations, to deployed
// and checks that the result is target.
func verifyPlan(p *Plan, deployed, target *schema.Schema) error {
	s := afterPush(p, deployed, target)
	if p.File != nil {
		for _, o := range p.File.Operations {
			if err := o.Check(s); err != nil {
				return fmt.Errorf("migrate: plan: %w", err)
			}
			before := op.CopySchema(s)
			if err := o.Expand(s); err != nil {
				return err
			}
			if err := o.Contract(before, s); err != nil {
				return err
			}
		}
	}
	if rest := schema.Compare(s, target); !rest.Empty() {
		return fmt.Errorf("migrate: plan: after the planned push and operations %q remains; refusing a plan that would leave documents the new schema rejects", rest.Changes[0].Summary)
	}
	return nil
}

// afterPush returns deployed with the plan's push changes applied: the
// schema to push before the migration file starts.
func afterPush(p *Plan, deployed, target *schema.Schema) *schema.Schema {
	s := op.CopySchema(deployed)
	if s == nil {
		s = &schema.Schema{Tables: map[string]*schema.Table{}}
	}
	for _, ch := range p.Push {
		switch ch.Kind {
		case schema.AddTable:
			s.Tables[ch.Table] = target.Tables[ch.Table]
		case schema.RemoveTable:
			delete(s.Tables, ch.Table)
		case schema.AddField, schema.WidenField, schema.MakeOptional:
			t := s.Tables[ch.Table]
			cp := &schema.Table{Name: t.Name, Fields: v.Object{}, Indexes: t.Indexes}
			for k, x := range t.Fields {
				cp.Fields[k] = x
			}
			cp.Fields[ch.Field] = target.Tables[ch.Table].Fields[ch.Field]
			s.Tables[ch.Table] = cp
		}
	}
	return s
}
