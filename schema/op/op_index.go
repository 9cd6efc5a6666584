package op

import (
	"fmt"
	"slices"

	"github.com/strata-db/strata/schema"
)

// AddIndex adds an index (such as posts.by_status_and_published) before
// queries use it: Expand adds it to the schema, which builds it online;
// Contract, when the migration completes, has nothing left to do;
// Rollback drops it.
type AddIndex struct {
	TableName string   `json:"table"`
	Name      string   `json:"name"`
	On        []string `json:"fields"`
}

func (op AddIndex) Kind() string     { return "add_index" }
func (op AddIndex) Table() string    { return op.TableName }
func (op AddIndex) Fields() []string { return nil }

func (op AddIndex) Check(s *schema.Schema) error {
	if err := checkNames(op.Kind(), op.TableName); err != nil {
		return err
	}
	t := tableOf(s, op.TableName)
	if t == nil {
		return fmt.Errorf("add_index: table %q is not in the deployed schema (indexes need a schema)", op.TableName)
	}
	if _, exists := t.IndexByName(op.Name); exists {
		return fmt.Errorf("add_index: table %q already has an index %q", op.TableName, op.Name)
	}
	cp := CopySchema(s)
	if err := op.Expand(cp); err != nil {
		return err
	}
	if err := cp.Check(); err != nil {
		return fmt.Errorf("add_index %s.%s: %w", op.TableName, op.Name, err)
	}
	return nil
}

func (op AddIndex) Expand(s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		t.Index(op.Name, slices.Clone(op.On)...)
	}
	return nil
}

func (op AddIndex) Contract(before, s *schema.Schema) error { return nil }

func (op AddIndex) Transform(old, doc Doc) (Doc, error) { return doc, nil }
func (op AddIndex) Cleanup(Doc) Patch                   { return nil }
func (op AddIndex) Revert(Doc) Patch                    { return nil }

// DropIndex removes an index once no query uses it: it stays until
// Complete, so Rollback is free.
type DropIndex struct {
	TableName string `json:"table"`
	Name      string `json:"name"`
}

func (op DropIndex) Kind() string     { return "drop_index" }
func (op DropIndex) Table() string    { return op.TableName }
func (op DropIndex) Fields() []string { return nil }

func (op DropIndex) Check(s *schema.Schema) error {
	if err := checkNames(op.Kind(), op.TableName); err != nil {
		return err
	}
	t := tableOf(s, op.TableName)
	if t == nil {
		return fmt.Errorf("drop_index: table %q is not in the deployed schema", op.TableName)
	}
	if _, ok := t.IndexByName(op.Name); !ok {
		return fmt.Errorf("drop_index: table %q has no index %q", op.TableName, op.Name)
	}
	return nil
}

func (op DropIndex) Expand(s *schema.Schema) error { return nil }

func (op DropIndex) Contract(before, s *schema.Schema) error {
	if t := editTable(s, op.TableName); t != nil {
		t.Indexes = slices.DeleteFunc(t.Indexes, func(ix schema.Index) bool { return ix.Name == op.Name })
	}
	return nil
}

func (op DropIndex) Transform(old, doc Doc) (Doc, error) { return doc, nil }
func (op DropIndex) Cleanup(Doc) Patch                   { return nil }
func (op DropIndex) Revert(Doc) Patch                    { return nil }

func (op AddIndex) Finalize(old, doc Doc) (Doc, error)  { return doc, nil }
func (op DropIndex) Finalize(old, doc Doc) (Doc, error) { return doc, nil }
