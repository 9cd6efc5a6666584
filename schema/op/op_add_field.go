package op

import (
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// AddField adds a field (such as users.avatarUrl): Expand adds it as
// optional, every document without it gets Default (or the value Derive
// computes from the document), and Contract, when the migration
// completes, makes it required.
type AddField struct {
	TableName string
	Field     string
	Type      v.Validator // the field's final type (not optional)
	Default   any         // value for documents that lack the field
	// Derive, if set, computes the value from the document instead of
	// Default (Go migrations only).
	Derive func(doc Doc) (any, error)
}

func (op AddField) Kind() string     { return "add_field" }
func (op AddField) Table() string    { return op.TableName }
func (op AddField) Fields() []string { return []string{op.Field} }

func (op AddField) Check(s *schema.Schema) error {
	if err := checkNames(op.Kind(), op.TableName, op.Field); err != nil {
		return err
	}
	if op.Type == nil {
		return fmt.Errorf("add_field %s.%s: no type", op.TableName, op.Field)
	}
	if err := v.Check(op.Type); err != nil {
		return fmt.Errorf("add_field %s.%s: type: %w", op.TableName, op.Field, err)
	}
	if op.Derive == nil {
		if op.Default == nil {
			if err := op.Type.Validate(nil); err != nil {
				return fmt.Errorf("add_field %s.%s: a default value is required (documents that lack the field need one)", op.TableName, op.Field)
			}
		} else if err := op.Type.Validate(op.Default); err != nil {
			return fmt.Errorf("add_field %s.%s: default does not match the type: %w", op.TableName, op.Field, err)
		}
	}
	if t := tableOf(s, op.TableName); t != nil {
		if _, exists := t.Fields[op.Field]; exists {
			return fmt.Errorf("add_field: table %q already has a field %q", op.TableName, op.Field)
		}
	} else if s != nil && len(s.Tables) > 0 {
		return fmt.Errorf("add_field: table %q is not in the deployed schema", op.TableName)
	}
	return nil
}

func (op AddField) Expand(s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		t.Fields[op.Field] = optional(op.Type)
	}
	return nil
}

func (op AddField) Contract(before, s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		t.Fields[op.Field] = required(op.Type)
	}
	return nil
}

func (op AddField) Transform(old, doc Doc) (Doc, error) {
	if _, ok := doc[op.Field]; ok {
		return doc, nil
	}
	x := op.Default
	if op.Derive != nil {
		var err error
		if x, err = op.Derive(doc); err != nil {
			return nil, fmt.Errorf("add_field %s: derive: %w", op.Field, err)
		}
	}
	doc = clone(doc)
	doc[op.Field] = value.Clone(x)
	return doc, nil
}

func (op AddField) Finalize(old, doc Doc) (Doc, error) { return op.Transform(old, doc) }

func (op AddField) Cleanup(Doc) Patch { return nil }

func (op AddField) Revert(doc Doc) Patch {
	if _, ok := doc[op.Field]; !ok {
		return nil
	}
	return Patch{op.Field: Unset}
}
