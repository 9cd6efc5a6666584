package schema

import (
	"github.com/strata-db/strata/internal/jsonc"
	"github.com/strata-db/strata/internal/jsonpath"

	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-db/strata/v"
)

// Parse decodes a schema file:
//
//	{"tables": {"users": {
//		"fields": {"email": "string", "avatarUrl": {"optional": "string"}},
//		"indexes": {"by_email": ["email"]}}}}
//
// and checks it with Check. "fields" is required, "indexes" optional;
// unknown keys and duplicate keys are refused. Errors name the path in the
// file, as in
//
//	schema: tables.users.indexes.by_email: field "emial" not in the document validator
//
// and malformed JSON is reported with its line, column and byte offset.
// All problems found are returned, joined. Parse never panics.
//
// A schema file may carry // line comments (outside strings); they are
// ignored. The file format is described in docs/file-formats.md.
func Parse(data []byte) (*Schema, error) {
	data = jsonc.Strip(data)
	if !json.Valid(data) {
		return nil, syntaxError(data)
	}
	if path, key, dup := duplicateKey(data); dup {
		return nil, &Error{Path: path, Msg: "duplicate key " + quoteTrunc(key)}
	}
	var errs []error
	add := func(path, msg string) { errs = append(errs, &Error{Path: path, Msg: msg}) }
	top, ok := object(data, "", add)
	if !ok {
		return nil, joinErrs(errs)
	}
	for _, k := range sortedKeys(top) {
		if k != "tables" {
			add(pathKey(k), `unknown key (a schema has only "tables")`)
		}
	}
	rawTables, ok := top["tables"]
	if !ok {
		add("", `missing "tables"`)
		return nil, joinErrs(errs)
	}
	tables, ok := object(rawTables, "tables", add)
	if !ok {
		return nil, joinErrs(errs)
	}
	s := &Schema{Tables: make(map[string]*Table, len(tables))}
	for _, name := range sortedKeys(tables) {
		tp := joinPath("tables", pathKey(name))
		t, ok := parseTable(name, tables[name], tp, add)
		if ok {
			s.Tables[name] = t
		}
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

func parseTable(name string, raw json.RawMessage, tp string, add func(path, msg string)) (*Table, bool) {
	obj, ok := object(raw, tp, add)
	if !ok {
		return nil, false
	}
	ok = true
	for _, k := range sortedKeys(obj) {
		if k != "fields" && k != "indexes" {
			add(joinPath(tp, pathKey(k)), `unknown key (a table has "fields" and "indexes")`)
			ok = false
		}
	}
	t := &Table{Name: name, Fields: v.Object{}}
	rawFields, found := obj["fields"]
	if !found {
		add(tp, `missing "fields"`)
		return nil, false
	}
	fp := joinPath(tp, "fields")
	fields, fok := object(rawFields, fp, add)
	if !fok {
		return nil, false
	}
	for _, f := range sortedKeys(fields) {
		p := joinPath(fp, pathKey(f))
		val, err := v.ParseFieldJSON(fields[f])
		if err != nil {
			ok = false
			for _, e := range flatten(err) {
				var de *v.DefinitionError
				if errors.As(e, &de) {
					add(joinPath(p, de.Path), de.Msg)
				} else {
					add(p, e.Error())
				}
			}
			continue
		}
		t.Fields[f] = val
	}
	if rawIdx, found := obj["indexes"]; found {
		ip := joinPath(tp, "indexes")
		idxs, iok := object(rawIdx, ip, add)
		if !iok {
			return nil, false
		}
		for _, n := range sortedKeys(idxs) {
			var paths []string
			if json.Unmarshal(idxs[n], &paths) != nil || paths == nil {
				add(joinPath(ip, pathKey(n)), "expected an array of field paths, found "+jsonKind(idxs[n]))
				ok = false
				continue
			}
			t.Indexes = append(t.Indexes, Index{Name: n, Fields: paths})
		}
	}
	return t, ok
}

// object decodes a JSON object into its members, reporting anything else.
func object(raw []byte, path string, add func(path, msg string)) (map[string]json.RawMessage, bool) {
	if k := jsonKind(raw); k != "object" {
		add(path, "expected a JSON object, found "+k)
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		add(path, err.Error())
		return nil, false
	}
	return m, true
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonKind names the kind of a valid JSON text by its first byte.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// syntaxError describes why data is not JSON, with the position of the
// offending byte (line and column counted from 1, offset from 0), or of the
// end of the input when it ends early.
func syntaxError(data []byte) error {
	var x any
	err := json.Unmarshal(data, &x)
	if err == nil {
		return &Error{Msg: "invalid JSON"}
	}
	off := int64(len(data))
	var se *json.SyntaxError
	if errors.As(err, &se) && !strings.HasPrefix(se.Error(), "unexpected end") {
		off = se.Offset - 1 // Offset counts the offending byte
	}
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return &Error{Msg: "invalid JSON at line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) +
		" (offset " + strconv.FormatInt(off, 10) + "): " + strings.TrimPrefix(err.Error(), "json: ")}
}

// MarshalJSON returns the canonical JSON form of s: the schema file format
// with every object's keys sorted, no insignificant whitespace, "fields"
// and "indexes" present for every table, and validators in their canonical
// form (v.MarshalJSON). Equal schemas have equal bytes. It fails, with the
// errors of Check, for a schema that does not pass Check, so its output
// always parses back.
func (s *Schema) MarshalJSON() ([]byte, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	b := []byte(`{"tables":{`)
	for i, name := range sortedTables(s) {
		if i > 0 {
			b = append(b, ',')
		}
		t := s.Tables[name]
		b = appendString(b, name)
		b = append(b, `:{"fields":{`...)
		for j, f := range sortedFields(t.Fields) {
			if j > 0 {
				b = append(b, ',')
			}
			vb, err := v.MarshalJSON(t.Fields[f])
			if err != nil {
				return nil, err
			}
			b = appendString(b, f)
			b = append(b, ':')
			b = append(b, vb...)
		}
		b = append(b, `},"indexes":{`...)
		for j, idx := range sortedIndexes(t) {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, idx.Name)
			b = append(b, ":["...)
			for k, f := range idx.Fields {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendString(b, f)
			}
			b = append(b, ']')
		}
		b = append(b, "}}"...)
	}
	return append(b, "}}"...), nil
}

// MarshalIndent is like MarshalJSON but laid out for people: two-space
// indentation, one field or index per line, each validator on one line in
// its canonical form. It parses back to the same schema.
func (s *Schema) MarshalIndent() ([]byte, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	b := []byte("{\n  \"tables\": {")
	for i, name := range sortedTables(s) {
		if i > 0 {
			b = append(b, ',')
		}
		t := s.Tables[name]
		b = append(b, "\n    "...)
		b = appendString(b, name)
		b = append(b, ": {\n      \"fields\": {"...)
		fields := sortedFields(t.Fields)
		for j, f := range fields {
			if j > 0 {
				b = append(b, ',')
			}
			vb, err := v.MarshalJSON(t.Fields[f])
			if err != nil {
				return nil, err
			}
			b = append(b, "\n        "...)
			b = appendString(b, f)
			b = append(b, ": "...)
			b = appendSpaced(b, vb)
		}
		if len(fields) > 0 {
			b = append(b, "\n      "...)
		}
		b = append(b, "},\n      \"indexes\": {"...)
		idxs := sortedIndexes(t)
		for j, idx := range idxs {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n        "...)
			b = appendString(b, idx.Name)
			b = append(b, ": ["...)
			for k, f := range idx.Fields {
				if k > 0 {
					b = append(b, ", "...)
				}
				b = appendString(b, f)
			}
			b = append(b, ']')
		}
		if len(idxs) > 0 {
			b = append(b, "\n      "...)
		}
		b = append(b, "}\n    }"...)
	}
	if len(s.Tables) > 0 {
		b = append(b, "\n  "...)
	}
	return append(b, "}\n}\n"...), nil
}

// String returns a readable summary of s, one table per paragraph:
//
//	table users {
//	  avatarUrl?: string
//	  email: string
//	  index by_email (email)
//	}
//
// It is for people; use MarshalJSON for a form that parses back.
func (s *Schema) String() string {
	if s == nil || len(s.Tables) == 0 {
		return "(no tables)\n"
	}
	var b strings.Builder
	for i, name := range sortedTables(s) {
		if i > 0 {
			b.WriteString("\n")
		}
		t := s.Tables[name]
		b.WriteString("table " + name + " {\n")
		if t == nil {
			b.WriteString("}\n")
			continue
		}
		for _, f := range sortedFields(t.Fields) {
			fv := t.Fields[f]
			opt := ""
			if o, ok := fv.(*v.OptionalType); ok && o != nil {
				opt, fv = "?", o.Elem
			}
			ts := "invalid"
			if fv != nil {
				ts = fv.String()
			}
			b.WriteString("  " + f + opt + ": " + ts + "\n")
		}
		for _, idx := range sortedIndexes(t) {
			b.WriteString("  index " + idx.Name + " (" + strings.Join(idx.Fields, ", ") + ")\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// appendSpaced appends the compact JSON text j with a space after every
// ':' and ',' outside strings: {"union": ["number", "null"]}.
func appendSpaced(b, j []byte) []byte {
	inStr, esc := false, false
	for _, c := range j {
		b = append(b, c)
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ':' || c == ','):
			b = append(b, ' ')
		}
	}
	return b
}

func sortedTables(s *Schema) []string {
	names := make([]string, 0, len(s.Tables))
	for name := range s.Tables {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func sortedIndexes(t *Table) []Index {
	idxs := slices.Clone(t.Indexes)
	slices.SortStableFunc(idxs, func(a, b Index) int { return strings.Compare(a.Name, b.Name) })
	return idxs
}

// UnmarshalJSON sets *s to the schema Parse returns for data.
func (s *Schema) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*s = *p
	return nil
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// duplicateKey reports the first object key that appears twice in one
// object of data; a schema file must not mean two things.
func duplicateKey(data []byte) (path, key string, dup bool) { return jsonpath.DuplicateKey(data) }
