package op

import (
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// RequireField makes an optional field required (such as users.age, of
// type int64): every document that lacks the field gets a value — the one
// the named conversion Convert computes from the field From of the same
// document, or Default when there is no From, the document lacks From or
// the conversion refuses its value — and Contract, when the migration
// completes, makes the field required. Until then the field stays
// optional, and every write that leaves it missing gets the value too, so
// no document written meanwhile lacks it.
//
// Rollback keeps the values filled in: they satisfy the optional field of
// the schema from before, and cannot be told from values the application
// wrote.
type RequireField struct {
	TableName string
	Field     string
	// Type is the field's type, without the optional wrapper; it must be
	// the deployed field's.
	Type v.Validator
	// Default is the value for documents that lack the field (and From,
	// or whose From does not convert); HasDefault says it is set (null is
	// a value).
	Default    any
	HasDefault bool
	// From names a field the value is computed from, with the conversion
	// Convert ("to_number", "to_int64", "to_string"; "" copies the value
	// as it is).
	From, Convert string
}

func (op RequireField) Kind() string  { return "require_field" }
func (op RequireField) Table() string { return op.TableName }
func (op RequireField) Fields() []string {
	if op.From != "" {
		return []string{op.Field, op.From}
	}
	return []string{op.Field}
}

func (op RequireField) where() string {
	return fmt.Sprintf("require_field %s.%s", op.TableName, op.Field)
}

// checkShape checks what does not depend on the deployed schema.
func (op RequireField) checkShape() error {
	fields := []string{op.Field}
	if op.From != "" {
		fields = append(fields, op.From)
	}
	if err := checkNames(op.Kind(), op.TableName, fields...); err != nil {
		return err
	}
	if op.Type == nil {
		return fmt.Errorf("%s: no type", op.where())
	}
	if _, ok := op.Type.(*v.OptionalType); ok {
		return fmt.Errorf("%s: type: give the field's type without \"optional\" (the operation makes it required)", op.where())
	}
	if err := v.Check(op.Type); err != nil {
		return fmt.Errorf("%s: type: %w", op.where(), err)
	}
	switch {
	case op.From == op.Field:
		return fmt.Errorf("%s: from names the field itself", op.where())
	case op.Convert != "" && op.From == "":
		return fmt.Errorf("%s: convert needs from (the field to convert)", op.where())
	case op.From == "" && !op.HasDefault:
		return fmt.Errorf("%s: give a default (the value for documents that lack the field), or from and convert", op.where())
	}
	if op.Convert != "" {
		if err := checkConversion(op.where()+": convert", op.Convert); err != nil {
			return err
		}
		sample, _ := conversions[op.Convert](int64(1))
		if err := op.Type.Validate(sample); err != nil {
			return fmt.Errorf("%s: convert %s makes values the type refuses: %w", op.where(), op.Convert, err)
		}
	}
	if op.HasDefault {
		if err := op.Type.Validate(op.Default); err != nil {
			return fmt.Errorf("%s: default does not match the type: %w", op.where(), err)
		}
	}
	return nil
}

func (op RequireField) Check(s *schema.Schema) error {
	if err := op.checkShape(); err != nil {
		return err
	}
	cur, err := requireField(op.Kind(), s, op.TableName, op.Field)
	if err != nil || cur == nil {
		return err
	}
	if _, ok := cur.(*v.OptionalType); !ok {
		return fmt.Errorf("%s: the field is already required", op.where())
	}
	if !v.Equal(required(cur), op.Type) {
		return fmt.Errorf("%s: type %v is not the field's type %v (change a type with change_type)", op.where(), op.Type, required(cur))
	}
	if op.From == "" || op.HasDefault {
		return nil
	}
	// Without a default every document needs a From that converts.
	from, err := requireField(op.Kind(), s, op.TableName, op.From)
	if err != nil || from == nil {
		return err
	}
	if _, ok := from.(*v.OptionalType); ok {
		return fmt.Errorf("%s: field %q is optional, so documents may lack it; give a default", op.where(), op.From)
	}
	if op.Convert == "" {
		if !schema.Accepts(op.Type, from) {
			return fmt.Errorf("%s: field %q is %v, which %v does not accept; give convert or a default", op.where(), op.From, from, op.Type)
		}
		return nil
	}
	if !convertsAll(op.Convert, from) {
		return fmt.Errorf("%s: %s is not total: field %q is %v, which allows values it cannot convert; give a default", op.where(), op.Convert, op.From, from)
	}
	return nil
}

// Expand leaves the schema as it is: the field stays optional while
// documents get their values.
func (op RequireField) Expand(s *schema.Schema) error { return nil }

func (op RequireField) Contract(before, s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		t.Fields[op.Field] = required(op.Type)
	}
	return nil
}

// fill returns the value for a document that lacks the field.
func (op RequireField) fill(doc Doc) (any, error) {
	if op.From != "" {
		if x, ok := doc[op.From]; ok && x != value.Undef {
			if op.Convert == "" {
				if op.Type.Validate(x) == nil {
					return value.Clone(x), nil
				}
			} else if y, ok := conversions[op.Convert](x); ok && op.Type.Validate(y) == nil {
				return y, nil
			}
		}
	}
	if op.HasDefault {
		return value.Clone(op.Default), nil
	}
	if _, ok := doc[op.From]; !ok {
		return nil, fmt.Errorf("%s: the document lacks %s too, and there is no default", op.where(), op.From)
	}
	return nil, fmt.Errorf("%s: cannot make a %v of %s value %v, and there is no default", op.where(), op.Type, value.TypeName(doc[op.From]), doc[op.From])
}

func (op RequireField) Transform(old, doc Doc) (Doc, error) {
	if x, ok := doc[op.Field]; ok && x != value.Undef {
		return doc, nil
	}
	x, err := op.fill(doc)
	if err != nil {
		return nil, err
	}
	doc = clone(doc)
	doc[op.Field] = x
	return doc, nil
}

func (op RequireField) Finalize(old, doc Doc) (Doc, error) { return op.Transform(old, doc) }

func (op RequireField) Cleanup(Doc) Patch { return nil }

// Revert keeps the filled values: see RequireField.
func (op RequireField) Revert(Doc) Patch { return nil }
