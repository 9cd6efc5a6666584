package op

import (
	"fmt"
	"strings"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/value"
)

// RenameField renames a field by copy (such as userName → displayName):
// while the migration is active both fields exist and are kept equal in
// both directions — a writer that sets only the old field has the new one
// copied from it, and the reverse — so old and new readers both work.
// Complete removes the old field from documents, then from the schema,
// and makes the new one required if the old one was. Indexes over the old
// field are carried to the new one (Contract): they keep their names and
// are rebuilt on the new field when Complete begins, while both fields
// still hold the same value in every document.
type RenameField struct {
	TableName string `json:"table"`
	From      string `json:"from"`
	To        string `json:"to"`
}

func (op RenameField) Kind() string     { return "rename_field" }
func (op RenameField) Table() string    { return op.TableName }
func (op RenameField) Fields() []string { return []string{op.From, op.To} }

func (op RenameField) Check(s *schema.Schema) error {
	if err := checkNames(op.Kind(), op.TableName, op.From, op.To); err != nil {
		return err
	}
	if op.From == op.To {
		return fmt.Errorf("rename_field: from and to are both %q", op.From)
	}
	if _, err := requireField(op.Kind(), s, op.TableName, op.From); err != nil {
		return err
	}
	if t := tableOf(s, op.TableName); t != nil {
		if _, exists := t.Fields[op.To]; exists {
			return fmt.Errorf("rename_field: table %q already has a field %q: renaming onto an existing field would lose data", op.TableName, op.To)
		}
	}
	return nil
}

func (op RenameField) Expand(s *schema.Schema) error {
	t := editTable(s, op.TableName)
	if t == nil {
		return nil
	}
	from := t.Fields[op.From]
	t.Fields[op.From] = optional(from)
	t.Fields[op.To] = optional(from)
	return nil
}

func (op RenameField) Contract(before, s *schema.Schema) error {
	t := editTable(s, op.TableName)
	if t == nil {
		return nil
	}
	if bt := tableOf(before, op.TableName); bt != nil {
		if orig, ok := bt.Fields[op.From]; ok {
			t.Fields[op.To] = orig // required again if the old field was
		}
	}
	delete(t.Fields, op.From)
	t.Indexes = RenameInIndexes(t.Indexes, op.From, op.To)
	return nil
}

// RenameInIndexes returns indexes with every field path on from (from
// itself, or a path inside it such as from.x) moved to to; indexes is not
// changed.
func RenameInIndexes(indexes []schema.Index, from, to string) []schema.Index {
	out := make([]schema.Index, len(indexes))
	for i, ix := range indexes {
		fields := make([]string, len(ix.Fields))
		for j, path := range ix.Fields {
			if path == from || strings.HasPrefix(path, from+".") {
				path = to + strings.TrimPrefix(path, from)
			}
			fields[j] = path
		}
		out[i] = schema.Index{Name: ix.Name, Fields: fields}
	}
	return out
}

func (op RenameField) Transform(old, doc Doc) (Doc, error) {
	from, hasFrom := doc[op.From]
	to, hasTo := doc[op.To]
	switch {
	case hasFrom && !hasTo:
		doc = clone(doc)
		doc[op.To] = from
	case hasTo && !hasFrom:
		doc = clone(doc)
		doc[op.From] = to
	case hasFrom && hasTo && !value.Equal(from, to):
		// Both present and different: the writer changed one of them.
		oldFrom, _ := old[op.From]
		fromChanged := old == nil || !value.Equal(from, oldFrom)
		oldTo, _ := old[op.To]
		toChanged := old == nil || !value.Equal(to, oldTo)
		doc = clone(doc)
		if fromChanged && !toChanged {
			doc[op.To] = from // an old writer updated the old field
		} else {
			doc[op.From] = to // a new writer (or both): the new field wins
		}
	}
	return doc, nil
}

func (op RenameField) Finalize(old, doc Doc) (Doc, error) {
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

func (op RenameField) Cleanup(doc Doc) Patch {
	if _, ok := doc[op.From]; !ok {
		return nil
	}
	p := Patch{op.From: Unset}
	if _, ok := doc[op.To]; !ok {
		p[op.To] = doc[op.From]
	}
	return p
}

func (op RenameField) Revert(doc Doc) Patch {
	if _, ok := doc[op.To]; !ok {
		return nil
	}
	p := Patch{op.To: Unset}
	if _, ok := doc[op.From]; !ok {
		p[op.From] = doc[op.To]
	}
	return p
}
