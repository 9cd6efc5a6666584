package schema

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// Check reports every problem in s, joined with errors.Join, each an *Error
// naming the table, field or index:
//
//   - table names: an identifier ([A-Za-z][A-Za-z0-9_]*) of at most 64
//     bytes; a leading "_" is reserved for system tables; the name must
//     equal its key in Tables;
//   - fields: names non-empty, not starting with "_" (the system fields
//     _id and _creationTime are implicit) or "$"; every validator passes
//     v.CheckField; every v.ID references a table of s or a system table;
//   - indexes: at most 32 per table; names are identifiers of at most 64
//     bytes, unique in their table, not starting with "_" and not the
//     built-in by_id or by_creation_time; 1 to 16 field paths, none
//     repeated, none a system field (_creationTime and _id end every key),
//     each resolving in the table's validator through objects, optionals,
//     unions, records and any.
func (s *Schema) Check() error {
	if s == nil {
		return &Error{Msg: "nil schema"}
	}
	var errs []error
	add := func(path, msg string) { errs = append(errs, &Error{Path: path, Msg: msg}) }
	names := make([]string, 0, len(s.Tables))
	for name := range s.Tables {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t := s.Tables[name]
		tp := joinPath("tables", pathKey(name))
		if t == nil {
			add(tp, "nil table")
			continue
		}
		if msg := checkTableName(name); msg != "" {
			add(tp, msg)
		}
		if t.Name != name {
			add(tp, "table is named "+quoteTrunc(t.Name)+" but listed as "+quoteTrunc(name))
		}
		errs = append(errs, s.checkFields(t, tp)...)
		errs = append(errs, checkIndexes(t, tp)...)
	}
	return joinErrs(errs)
}

func (s *Schema) checkFields(t *Table, tp string) []error {
	var errs []error
	add := func(path, msg string) { errs = append(errs, &Error{Path: path, Msg: msg}) }
	fp := joinPath(tp, "fields")
	for _, f := range sortedFields(t.Fields) {
		p := joinPath(fp, pathKey(f))
		switch {
		case f == "":
			add(p, "empty field name")
		case f == "_id" || f == "_creationTime":
			add(p, "system field "+f+" is implicit and must not be declared")
		case f[0] == '_':
			add(p, `field names starting with "_" are reserved for system fields`)
		case f[0] == '$':
			add(p, `field names starting with "$" are reserved for the JSON form`)
		}
		fv := t.Fields[f]
		for _, e := range flatten(v.CheckField(fv)) {
			var de *v.DefinitionError
			if errors.As(e, &de) {
				add(joinPath(p, de.Path), de.Msg)
			} else {
				add(p, e.Error())
			}
		}
		v.Walk(fv, func(path string, val v.Validator) bool {
			id, ok := val.(*v.IDType)
			if !ok || id == nil || !value.ValidTableName(id.Table) || strings.HasPrefix(id.Table, "_") {
				return true
			}
			if _, ok := s.Tables[id.Table]; !ok {
				add(joinPath(p, joinPath(path, "id")), "references table "+strconv.Quote(id.Table)+", which is not in the schema")
			}
			return true
		})
	}
	return errs
}

func checkIndexes(t *Table, tp string) []error {
	var errs []error
	add := func(path, msg string) { errs = append(errs, &Error{Path: path, Msg: msg}) }
	ip := joinPath(tp, "indexes")
	if n := len(t.Indexes); n > MaxIndexesPerTable {
		add(ip, strconv.Itoa(n)+" indexes, more than the limit of "+strconv.Itoa(MaxIndexesPerTable)+" per table")
	}
	seen := make(map[string]bool, len(t.Indexes))
	for _, idx := range t.Indexes {
		p := joinPath(ip, pathKey(idx.Name))
		if seen[idx.Name] {
			add(p, "index defined twice")
			continue
		}
		seen[idx.Name] = true
		if msg := checkIndexName(idx.Name); msg != "" {
			add(p, msg)
		}
		switch n := len(idx.Fields); {
		case n == 0:
			add(p, "index has no fields")
		case n > MaxIndexFields:
			add(p, strconv.Itoa(n)+" fields, more than the limit of "+strconv.Itoa(MaxIndexFields)+" per index")
		}
		used := make(map[string]bool, len(idx.Fields))
		for _, f := range idx.Fields {
			if used[f] {
				add(p, "field "+quoteTrunc(f)+" appears twice")
				continue
			}
			used[f] = true
			if msg := checkIndexField(t.Fields, f); msg != "" {
				add(p, msg)
			}
		}
	}
	return errs
}

func checkTableName(name string) string { return checkIdent("table", name) }

func checkIndexName(name string) string {
	if msg := checkIdent("index", name); msg != "" {
		return msg
	}
	if name == "by_id" || name == "by_creation_time" {
		return "index name " + strconv.Quote(name) + " is reserved for a built-in index"
	}
	return ""
}

// checkIdent checks an identifier of at most MaxNameLen bytes whose leading
// "_" is reserved.
func checkIdent(what, name string) string {
	switch {
	case name == "":
		return "empty " + what + " name"
	case len(name) > MaxNameLen:
		return what + " name " + quoteTrunc(name) + " is longer than " + strconv.Itoa(MaxNameLen) + " bytes"
	case name[0] == '_':
		if what == "table" {
			return "table name " + quoteTrunc(name) + ` starts with "_" (reserved for system tables)`
		}
		return what + " name " + quoteTrunc(name) + ` starts with "_" (reserved)`
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c == '_' || c >= '0' && c <= '9') {
			continue
		}
		return "invalid " + what + " name " + quoteTrunc(name) + " (use letters, digits and _, starting with a letter)"
	}
	return ""
}

// checkIndexField returns why the dotted path f cannot be an index field
// of a table with fields, or "".
func checkIndexField(fields v.Object, f string) string {
	segs := strings.Split(f, ".")
	if slices.Contains(segs, "") {
		return "invalid field path " + quoteTrunc(f)
	}
	switch segs[0] {
	case "_creationTime", "_id":
		return "system field " + segs[0] + " is appended to every index key automatically; do not list it"
	}
	if !resolves(fields, segs, 0) {
		return "field " + quoteTrunc(f) + " not in the document validator"
	}
	return ""
}

// resolves reports whether the path segs can lead to a value of a document
// satisfying val.
func resolves(val v.Validator, segs []string, depth int) bool {
	if len(segs) == 0 {
		return true
	}
	if depth > 2*value.MaxDepth {
		return false
	}
	switch t := val.(type) {
	case v.Object:
		fv, ok := t[segs[0]]
		return ok && resolves(fv, segs[1:], depth+1)
	case *v.OptionalType:
		return t != nil && resolves(t.Elem, segs, depth+1)
	case *v.UnionType:
		if t == nil {
			return false
		}
		for _, m := range t.Members {
			if resolves(m, segs, depth+1) {
				return true
			}
		}
	case *v.RecordType:
		return t != nil && t.Key != nil && t.Key.Validate(segs[0]) == nil && resolves(t.Value, segs[1:], depth+1)
	case v.Basic:
		return t.Kind() == v.KindAny
	}
	return false
}

func sortedFields(o v.Object) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
