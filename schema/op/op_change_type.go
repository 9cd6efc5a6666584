package op

import (
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// ChangeType changes a field's type through a new field (such as
// priority "low"/"medium"/"high" → priorityLevel 1/2/3): the new field To
// of Type holds Map[old value] (or Default for a value the map lacks);
// with ReverseMap, a writer that sets only the new field has the old one
// filled in too, so old readers keep working. When the migration
// completes, Cleanup removes the old field from documents and Contract
// from the schema, making the new one required.
type ChangeType struct {
	TableName  string
	From, To   string
	Type       v.Validator // the new field's type
	Map        []Pair      // old value → new value
	ReverseMap []Pair      // new value → old value (optional)
	// Convert names a conversion that computes the new value instead of
	// a map: "to_number", "to_int64" or "to_string". ReverseConvert
	// (optional) keeps the old field in step for writers that set only
	// the new one, like ReverseMap.
	Convert, ReverseConvert string
	Default                 any // for old values the map lacks or the conversion refuses
	HasDefault              bool
}

// Pair maps one value to another.
type Pair struct{ From, To any }

func (op ChangeType) Kind() string     { return "change_type" }
func (op ChangeType) Table() string    { return op.TableName }
func (op ChangeType) Fields() []string { return []string{op.From, op.To} }

func (op ChangeType) Check(s *schema.Schema) error {
	if err := op.checkShape(); err != nil {
		return err
	}
	where := fmt.Sprintf("change_type %s.%s→%s", op.TableName, op.From, op.To)
	old, err := requireField(op.Kind(), s, op.TableName, op.From)
	if err != nil {
		return err
	}
	if t := tableOf(s, op.TableName); t != nil {
		if _, exists := t.Fields[op.To]; exists {
			return fmt.Errorf("%s: table %q already has a field %q", where, op.TableName, op.To)
		}
	}
	// A file cannot know the old field's type when it is parsed: a whole
	// number it maps from is a float64, which an int64 field never holds.
	for i, p := range op.Map {
		if f, ok := p.From.(float64); ok && old != nil {
			if y, err := v.WholeNumbers(required(old), f); err == nil {
				if n, isInt := y.(int64); isInt {
					return fmt.Errorf(`%s: map[%d]: field %q holds int64, so the plain number %v never matches: write it as {"$integer":"%d"}`, where, i, op.From, f, n)
				}
			}
		}
	}
	if !op.HasDefault && op.Convert != "" {
		return nil // total, or Partial: the documents tell
	}
	if !op.HasDefault {
		// Without a default the map must cover every value the old type
		// allows, which is only decidable for a union of literals; for
		// another type it is Partial: the documents tell.
		lits, finite := literals(required(old))
		if !finite {
			return nil
		}
		for _, l := range lits {
			if _, ok := lookupPair(op.Map, l); !ok {
				return fmt.Errorf("%s: the map is not total: no entry for %v; add one or give a default", where, l)
			}
		}
	}
	return nil
}

// Partial reports whether the deployed schema s cannot show that op
// converts every value the old field may hold: no default, and a map
// from a field of an open type (a string, a number, ...) or a conversion
// that refuses some of the values the field's type allows. Check accepts
// such an operation; the migration engine reads every document before it
// applies it, and refuses it, naming the documents, if one holds a value
// it cannot convert. Writes of such values while it is active are
// refused.
func (op ChangeType) Partial(s *schema.Schema) bool {
	if op.HasDefault {
		return false
	}
	old := required(fieldOf(s, op.TableName, op.From))
	if op.Convert != "" {
		return !convertsAll(op.Convert, old)
	}
	_, finite := literals(old)
	return !finite
}

// fieldOf returns the validator of table.field in s, nil if s has none.
func fieldOf(s *schema.Schema, table, field string) v.Validator {
	if t := tableOf(s, table); t != nil {
		return t.Fields[field]
	}
	return nil
}

// checkShape checks what does not depend on the deployed schema.
func (op ChangeType) checkShape() error {
	if err := checkNames(op.Kind(), op.TableName, op.From, op.To); err != nil {
		return err
	}
	where := fmt.Sprintf("change_type %s.%s→%s", op.TableName, op.From, op.To)
	if op.From == op.To {
		return fmt.Errorf("%s: the new field must have a new name (change the type through a new field)", where)
	}
	if op.Type == nil {
		return fmt.Errorf("%s: no type", where)
	}
	if err := v.Check(op.Type); err != nil {
		return fmt.Errorf("%s: type: %w", where, err)
	}
	switch {
	case len(op.Map) == 0 && op.Convert == "":
		return fmt.Errorf("%s: no map and no convert: give one", where)
	case len(op.Map) > 0 && op.Convert != "":
		return fmt.Errorf("%s: both a map and convert: give one", where)
	case len(op.ReverseMap) > 0 && op.ReverseConvert != "":
		return fmt.Errorf("%s: both a reverse_map and reverse_convert: give one", where)
	}
	if op.Convert != "" {
		if err := checkConversion(where+": convert", op.Convert); err != nil {
			return err
		}
		sample, _ := conversions[op.Convert](int64(1))
		if err := op.Type.Validate(sample); err != nil {
			return fmt.Errorf("%s: convert %s makes values the type refuses: %w", where, op.Convert, err)
		}
	}
	if op.ReverseConvert != "" {
		if err := checkConversion(where+": reverse_convert", op.ReverseConvert); err != nil {
			return err
		}
	}
	for _, p := range op.Map {
		if err := op.Type.Validate(p.To); err != nil {
			return fmt.Errorf("%s: map value for %v does not match the type: %w", where, p.From, err)
		}
	}
	// A reverse map's keys are new values: a key the new type refuses
	// (the string "3" of a JSON object, for a number) never matches, and
	// new-shape writers would then leave the old field unset.
	for _, p := range op.ReverseMap {
		if err := op.Type.Validate(p.From); err != nil {
			return fmt.Errorf("%s: reverse_map key %v does not match the type (write it as [[new, old], ...] pairs): %w", where, p.From, err)
		}
	}
	if op.HasDefault {
		if err := op.Type.Validate(op.Default); err != nil {
			return fmt.Errorf("%s: default does not match the type: %w", where, err)
		}
	}
	return nil
}

// literals returns the values of a literal or a union of literals.
func literals(val v.Validator) ([]any, bool) {
	switch t := val.(type) {
	case *v.LiteralType:
		return []any{t.Value}, true
	case *v.UnionType:
		var out []any
		for _, m := range t.Members {
			ls, ok := literals(m)
			if !ok {
				return nil, false
			}
			out = append(out, ls...)
		}
		return out, true
	}
	return nil, false
}

func lookupPair(pairs []Pair, x any) (any, bool) {
	for _, p := range pairs {
		if value.Equal(p.From, x) {
			return p.To, true
		}
	}
	return nil, false
}

func (op ChangeType) Expand(s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		t.Fields[op.To] = optional(op.Type)
		if len(op.ReverseMap) == 0 && op.ReverseConvert == "" {
			// New writers cannot fill in the old field: it must become
			// optional so their writes are accepted.
			t.Fields[op.From] = optional(t.Fields[op.From])
		}
	}
	return nil
}

func (op ChangeType) Contract(before, s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		delete(t.Fields, op.From)
		t.Fields[op.To] = required(op.Type)
		// A document without the old field gets no new one: the new field
		// is optional if the old one was.
		if bt := tableOf(before, op.TableName); bt != nil {
			if _, opt := bt.Fields[op.From].(*v.OptionalType); opt {
				t.Fields[op.To] = optional(op.Type)
			}
		}
	}
	return nil
}

func (op ChangeType) convert(x any) (any, error) {
	if op.Convert != "" {
		if y, ok := conversions[op.Convert](x); ok {
			return y, nil
		}
		if op.HasDefault {
			return value.Clone(op.Default), nil
		}
		return nil, fmt.Errorf("change_type %s: %s cannot convert %s value %v; give a default", op.From, op.Convert, value.TypeName(x), x)
	}
	if y, ok := lookupPair(op.Map, x); ok {
		return value.Clone(y), nil
	}
	if op.HasDefault {
		return value.Clone(op.Default), nil
	}
	return nil, fmt.Errorf("change_type %s: no mapping for %s value %v", op.From, value.TypeName(x), x)
}

func (op ChangeType) Transform(old, doc Doc) (Doc, error) {
	from, hasFrom := doc[op.From]
	to, hasTo := doc[op.To]
	oldFrom, hadFrom := old[op.From]
	oldTo, hadTo := old[op.To]
	fromChanged := hasFrom && (old == nil || !hadFrom || !value.Equal(from, oldFrom))
	toChanged := hasTo && (old == nil || !hadTo || !value.Equal(to, oldTo))
	switch {
	case hasFrom && (!hasTo || fromChanged && !toChanged):
		// A document without the new field (a backfill visit, an old
		// writer's insert), or an old writer changed the old field.
		y, err := op.convert(from)
		if err != nil {
			return nil, err
		}
		if hasTo && value.Equal(y, to) {
			return doc, nil
		}
		doc = clone(doc)
		doc[op.To] = y
	case hasTo && (!hasFrom || toChanged && !fromChanged) && (len(op.ReverseMap) > 0 || op.ReverseConvert != ""):
		// A new writer set the new field: keep the old one in step.
		var x any
		var ok bool
		if op.ReverseConvert != "" {
			x, ok = conversions[op.ReverseConvert](to)
		} else {
			x, ok = lookupPair(op.ReverseMap, to)
		}
		if ok && !(hasFrom && value.Equal(x, from)) && !op.mapsTo(from, hasFrom, to) {
			doc = clone(doc)
			doc[op.From] = value.Clone(x)
		}
	}
	return doc, nil
}

// mapsTo reports whether the old value from (if present) already maps to
// to: then the old field is in step with the new one and keeps its value,
// which a reverse mapping that is not one-to-one (two old values to one
// new one) would otherwise overwrite.
func (op ChangeType) mapsTo(from any, hasFrom bool, to any) bool {
	if !hasFrom {
		return false
	}
	y, err := op.convert(from)
	return err == nil && value.Equal(y, to)
}

func (op ChangeType) Finalize(old, doc Doc) (Doc, error) {
	doc, err := op.Transform(old, doc)
	if err != nil {
		return nil, err
	}
	if _, ok := doc[op.From]; ok {
		doc = clone(doc)
		delete(doc, op.From)
	}
	return doc, nil
}

func (op ChangeType) Cleanup(doc Doc) Patch {
	if _, ok := doc[op.From]; !ok {
		return nil
	}
	return Patch{op.From: Unset}
}

func (op ChangeType) Revert(doc Doc) Patch {
	if _, ok := doc[op.To]; !ok {
		return nil
	}
	return Patch{op.To: Unset}
}
