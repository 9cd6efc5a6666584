package schema

import (
	"cmp"
	"slices"

	"github.com/strata-db/strata/v"
)

// Schema is the set of tables an application declares. Tables maps each
// table's name to its definition; a table missing from the map has no
// schema, and its documents are not checked.
//
// A Schema is plain data: build it with New (or Parse), which checks it,
// and do not modify it once it is in use.
type Schema struct {
	Tables map[string]*Table
}

// Table is one table's definition: the validator of its documents' user
// fields (the system fields _id and _creationTime are implicit) and its
// user indexes, kept sorted by name.
type Table struct {
	Name    string
	Fields  v.Object
	Indexes []Index
}

// Index is a user index: an ordered list of field paths ("email",
// "settings.theme"). Every index key also ends with _creationTime and _id,
// which are not listed.
type Index struct {
	Name   string
	Fields []string
}

// Limits enforced by Check.
const (
	MaxNameLen         = 64 // bytes in a table or index name
	MaxIndexesPerTable = 32 // user indexes per table
	MaxIndexFields     = 16 // field paths per index
)

// Define returns a table named name whose documents have fields. Add
// indexes with Index, then pass the tables to New:
//
//	schema.New(
//		schema.Define("users", v.Object{"email": v.String()}).Index("by_email", "email"),
//	)
func Define(name string, fields v.Object) *Table {
	return &Table{Name: name, Fields: fields}
}

// Index adds the index name over the given field paths and returns t, so
// calls chain. Indexes stay sorted by name; mistakes (a duplicate name, a
// path that does not resolve) are reported by Check, not here. On a nil
// Table it does nothing and returns nil.
func (t *Table) Index(name string, fields ...string) *Table {
	if t == nil {
		return nil
	}
	idx := Index{Name: name, Fields: slices.Clone(fields)}
	i, _ := slices.BinarySearchFunc(t.Indexes, name, func(x Index, n string) int { return cmp.Compare(x.Name, n) })
	for i < len(t.Indexes) && t.Indexes[i].Name == name {
		i++ // after existing ones of the same name: stable
	}
	t.Indexes = slices.Insert(t.Indexes, i, idx)
	return t
}

// IndexByName returns the user index called name. The built-in indexes
// by_id and by_creation_time are not user indexes and are not returned.
func (t *Table) IndexByName(name string) (Index, bool) {
	if t == nil {
		return Index{}, false
	}
	for _, idx := range t.Indexes {
		if idx.Name == name {
			return idx, true
		}
	}
	return Index{}, false
}

// ValidateDocument validates doc's user fields against t.Fields, ignoring
// the system fields _id and _creationTime; see Schema.ValidateDocument.
func (t *Table) ValidateDocument(doc map[string]any) error {
	if t == nil {
		return nil
	}
	return t.Fields.ValidateDocument(doc)
}

// New returns the schema made of tables, after checking it with Check.
// Each table's indexes are sorted by name. A nil table or two tables of
// the same name are errors.
func New(tables ...*Table) (*Schema, error) {
	s := &Schema{Tables: make(map[string]*Table, len(tables))}
	var errs []error
	for i, t := range tables {
		if t == nil {
			errs = append(errs, &Error{Path: "tables", Msg: "table " + itoa(i) + " of New is nil"})
			continue
		}
		if _, dup := s.Tables[t.Name]; dup {
			errs = append(errs, &Error{Path: joinPath("tables", pathKey(t.Name)), Msg: "table defined twice"})
			continue
		}
		slices.SortStableFunc(t.Indexes, func(a, b Index) int { return cmp.Compare(a.Name, b.Name) })
		s.Tables[t.Name] = t
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// ValidateDocument validates the user fields of doc, a document of table,
// against the table's validator. The system fields _id and _creationTime
// are ignored; any other field must be declared. A table that is not in
// the schema accepts every document. A failure is a *v.Error whose Path is
// the field path ("settings.theme: expected string, found int64").
// Validating a valid document allocates nothing (an id field costs what
// value.ParseIDFor costs).
func (s *Schema) ValidateDocument(table string, doc map[string]any) error {
	if s == nil {
		return nil
	}
	t := s.Tables[table]
	if t == nil {
		return nil
	}
	return t.Fields.ValidateDocument(doc)
}
