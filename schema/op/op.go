package op

import (
	"fmt"
	"maps"
	"slices"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// An Operation is one declarative schema change (add_field, rename_field,
// ...). Applying it is always the same safe sequence: Expand widens the
// schema so that documents of both the old and the new shape are valid;
// Transform runs on every document — those the backfill visits and those
// the application writes while the migration is active — bringing it to
// the expanded shape with old and new representations in step, so old and
// new readers both work; Contract tightens the schema to the final shape
// after Cleanup has removed what it drops from every document. Revert
// undoes Transform's additions when an uncompleted migration is rolled
// back.
//
// Each operation lives in its own file (op_rename_field.go, ...).
type Operation interface {
	// Kind is the operation's name in migration files ("rename_field").
	Kind() string
	// Table is the table the operation changes.
	Table() string
	// Fields lists the top-level fields the operation reads or writes; two
	// active migrations that share one are refused.
	Fields() []string
	// Check verifies the operation against the deployed schema s (nil if
	// none): unknown tables or fields, a rename onto an existing field, a
	// mapping that is not total, ...
	Check(s *schema.Schema) error
	// Expand changes the table in s (a copy) to accept both shapes.
	Expand(s *schema.Schema) error
	// Contract changes the table in s (a copy of the expanded schema) to
	// the final shape; before is the schema Expand started from.
	Contract(before, s *schema.Schema) error
	// Transform returns doc brought to the expanded shape. old is the
	// stored document a write replaces (nil for an insert or a backfill
	// visit); it tells which representation the writer changed. Transform
	// must be idempotent: Transform(old, Transform(old, d)) equals
	// Transform(old, d).
	Transform(old, doc Doc) (Doc, error)
	// Finalize returns doc in the final shape: what Transform would make
	// of it, without the old representation. While a migration completes,
	// every write passes through Finalize, so no document regains what the
	// contract removes; old is as for Transform.
	Finalize(old, doc Doc) (Doc, error)
	// Cleanup returns the patch that removes from doc what Contract drops
	// (nil if nothing).
	Cleanup(doc Doc) Patch
	// Revert returns the patch that removes from doc what Transform added
	// (nil if nothing), for rollback.
	Revert(doc Doc) Patch
}

// Doc is a document as operations see it: field names to values of
// strata's data model (a strata.Doc converts to it).
type Doc = map[string]any

// Patch is a shallow update; a field set to Unset is removed.
type Patch = map[string]any

// Unset, as a value in a Patch, removes the field.
var Unset = value.Undef

// tableOf returns a table of s for reading, or nil when s has no schema
// for it (then the operation works on untyped documents).
func tableOf(s *schema.Schema, table string) *schema.Table {
	if s == nil {
		return nil
	}
	return s.Tables[table]
}

// editTable returns the table of s to modify in place: a copy of its field
// map, so the deployed schema is never changed. nil if s has no such table.
func editTable(s *schema.Schema, table string) *schema.Table {
	t := tableOf(s, table)
	if t == nil {
		return nil
	}
	cp := &schema.Table{Name: t.Name, Fields: maps.Clone(t.Fields), Indexes: slices.Clone(t.Indexes)}
	s.Tables[table] = cp
	return cp
}

// CopySchema returns a copy of s whose tables may be changed without
// touching s (validators themselves are shared; they are immutable).
func CopySchema(s *schema.Schema) *schema.Schema {
	if s == nil {
		return nil
	}
	out := &schema.Schema{Tables: make(map[string]*schema.Table, len(s.Tables))}
	for name, t := range s.Tables {
		out.Tables[name] = t
	}
	return out
}

// optional returns val as an optional field type.
func optional(val v.Validator) v.Validator {
	if o, ok := val.(*v.OptionalType); ok {
		return o
	}
	return v.Optional(val)
}

// required returns val without an optional wrapper.
func required(val v.Validator) v.Validator {
	if o, ok := val.(*v.OptionalType); ok {
		return o.Elem
	}
	return val
}

// checkNames returns an error naming the operation kind unless table is
// a valid application table name and each of fields a valid, unreserved
// field name.
func checkNames(kind, table string, fields ...string) error {
	if !value.ValidTableName(table) || table[0] == '_' {
		return fmt.Errorf("%s: invalid table %q", kind, table)
	}
	for _, f := range fields {
		if f == "" || f[0] == '_' || f[0] == '$' {
			return fmt.Errorf("%s: invalid field name %q (empty, or reserved: starts with _ or $)", kind, f)
		}
	}
	return nil
}

// requireField returns the validator of field in table of the deployed
// schema s. It returns an error if s has tables but not table, or has
// table without field; with no deployed schema (or no tables) it returns
// nil and no error.
func requireField(kind string, s *schema.Schema, table, field string) (v.Validator, error) {
	t := tableOf(s, table)
	if t == nil {
		if s != nil && len(s.Tables) > 0 {
			return nil, fmt.Errorf("%s: table %q is not in the deployed schema", kind, table)
		}
		return nil, nil
	}
	val, ok := t.Fields[field]
	if !ok {
		return nil, fmt.Errorf("%s: table %q has no field %q", kind, table, field)
	}
	return val, nil
}

func clone(d Doc) Doc {
	out := make(Doc, len(d)+1)
	for k, x := range d {
		out[k] = x
	}
	return out
}
