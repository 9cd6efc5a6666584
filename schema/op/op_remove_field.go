package op

import (
	"github.com/strata-db/strata/schema"
)

// RemoveField removes a deprecated field (such as posts.legacyField):
// Expand makes it optional so new code may stop writing it; when the
// migration completes, Cleanup removes it from every document, then
// Contract from the schema. Until then the data is kept, so Rollback
// loses nothing.
type RemoveField struct {
	TableName string `json:"table"`
	Field     string `json:"field"`
}

func (op RemoveField) Kind() string     { return "remove_field" }
func (op RemoveField) Table() string    { return op.TableName }
func (op RemoveField) Fields() []string { return []string{op.Field} }

func (op RemoveField) Check(s *schema.Schema) error {
	if err := checkNames(op.Kind(), op.TableName, op.Field); err != nil {
		return err
	}
	_, err := requireField(op.Kind(), s, op.TableName, op.Field)
	return err
}

func (op RemoveField) Expand(s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		if val, ok := t.Fields[op.Field]; ok {
			t.Fields[op.Field] = optional(val)
		}
	}
	return nil
}

func (op RemoveField) Contract(before, s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		delete(t.Fields, op.Field)
	}
	return nil
}

func (op RemoveField) Transform(old, doc Doc) (Doc, error) { return doc, nil }

func (op RemoveField) Finalize(old, doc Doc) (Doc, error) {
	if _, ok := doc[op.Field]; !ok {
		return doc, nil
	}
	doc = clone(doc)
	delete(doc, op.Field)
	return doc, nil
}

func (op RemoveField) Cleanup(doc Doc) Patch {
	if _, ok := doc[op.Field]; !ok {
		return nil
	}
	return Patch{op.Field: Unset}
}

func (op RemoveField) Revert(Doc) Patch { return nil }
