package op

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/strata-db/strata/internal/jsonc"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// File is a declarative migration: a name and operations applied together
// (the migration file format, described in docs/file-formats.md; a file
// may carry // line comments outside strings):
//
//	{"name": "003_rename_user_name",
//	 "operations": [{"rename_field": {"table": "users", "from": "userName", "to": "displayName"}}]}
type File struct {
	Name       string
	Operations []Operation
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// CheckName returns nil if name can name a migration: 1 to 128 letters,
// digits, _ . and -, starting with a letter or digit; an error saying so
// otherwise.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("migration name %q: want 1-128 letters, digits, _ . - (starting with a letter or digit)", name)
	}
	return nil
}

// ParseFile decodes a migration file. Errors name the operation and field
// that is wrong (`migration file: operations[1].change_type.map: ...`).
// ParseFile checks the file's shape and that its operations do not
// conflict (File.CheckOperations); Operation.Check checks it against the
// deployed schema.
func ParseFile(data []byte) (*File, error) {
	f, err := parseFile(data)
	if err != nil {
		return nil, err
	}
	if err := f.CheckOperations(); err != nil {
		return nil, err
	}
	return f, nil
}

// ParseRecorded decodes a migration file that a database recorded when
// the migration started: as ParseFile, but without refusing operations
// that conflict, which older versions accepted, so that such a migration
// can still be completed or rolled back.
func ParseRecorded(data []byte) (*File, error) { return parseFile(data) }

func parseFile(data []byte) (*File, error) {
	data = jsonc.Strip(data)
	var raw struct {
		Name       *string           `json:"name"`
		Operations []json.RawMessage `json:"operations"`
	}
	if err := strictDecode(data, &raw); err != nil {
		return nil, fmt.Errorf("migration file: %w", err)
	}
	if raw.Name == nil || !nameRE.MatchString(*raw.Name) {
		return nil, fmt.Errorf("migration file: name: want 1-128 letters, digits, _ . - (got %v)", quoted(raw.Name))
	}
	if len(raw.Operations) == 0 {
		return nil, fmt.Errorf("migration file %s: operations: at least one operation is required", *raw.Name)
	}
	f := &File{Name: *raw.Name}
	for i, msg := range raw.Operations {
		op, err := parseOperation(msg)
		if err != nil {
			return nil, fmt.Errorf("migration file %s: operations[%d].%w", *raw.Name, i, err)
		}
		f.Operations = append(f.Operations, op)
	}
	return f, nil
}

func quoted(s *string) string {
	if s == nil {
		return "nothing"
	}
	return fmt.Sprintf("%q", *s)
}

func strictDecode(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("invalid JSON: trailing data after the object")
	}
	return nil
}

func parseOperation(msg json.RawMessage) (Operation, error) {
	var one map[string]json.RawMessage
	if err := json.Unmarshal(msg, &one); err != nil || len(one) != 1 {
		return nil, fmt.Errorf("operation: want an object with exactly one key (add_field, require_field, remove_field, rename_field, change_type, add_index, drop_index)")
	}
	for kind, body := range one {
		op, err := parseKind(kind, body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		return op, nil
	}
	panic("unreachable")
}

func parseKind(kind string, body json.RawMessage) (Operation, error) {
	switch kind {
	case "add_field":
		var r struct {
			Table   string          `json:"table"`
			Field   string          `json:"field"`
			Type    json.RawMessage `json:"type"`
			Default json.RawMessage `json:"default"`
		}
		if err := strictDecode(body, &r); err != nil {
			return nil, err
		}
		typ, err := parseType(r.Type)
		if err != nil {
			return nil, err
		}
		op := AddField{TableName: r.Table, Field: r.Field, Type: typ}
		if r.Default != nil {
			if op.Default, err = parseValueFor(typ, r.Default); err != nil {
				return nil, fmt.Errorf("default: %w", err)
			}
		}
		return op, op.Check(nil)
	case "require_field":
		var r struct {
			Table   string          `json:"table"`
			Field   string          `json:"field"`
			Type    json.RawMessage `json:"type"`
			Default json.RawMessage `json:"default"`
			From    string          `json:"from"`
			Convert string          `json:"convert"`
		}
		if err := strictDecode(body, &r); err != nil {
			return nil, err
		}
		typ, err := parseType(r.Type)
		if err != nil {
			return nil, err
		}
		op := RequireField{TableName: r.Table, Field: r.Field, Type: typ, From: r.From, Convert: r.Convert}
		if op.Default, op.HasDefault, err = parseDefault(typ, r.Default); err != nil {
			return nil, err
		}
		return op, op.checkShape()
	case "remove_field":
		var op RemoveField
		if err := strictDecode(body, &op); err != nil {
			return nil, err
		}
		return op, op.Check(nil)
	case "rename_field":
		var op RenameField
		if err := strictDecode(body, &op); err != nil {
			return nil, err
		}
		return op, op.Check(nil)
	case "change_type":
		var r struct {
			Table          string          `json:"table"`
			From           string          `json:"from"`
			To             string          `json:"to"`
			Type           json.RawMessage `json:"type"`
			Map            json.RawMessage `json:"map"`
			ReverseMap     json.RawMessage `json:"reverse_map"`
			Convert        string          `json:"convert"`
			ReverseConvert string          `json:"reverse_convert"`
			Default        json.RawMessage `json:"default"`
		}
		if err := strictDecode(body, &r); err != nil {
			return nil, err
		}
		typ, err := parseType(r.Type)
		if err != nil {
			return nil, err
		}
		op := ChangeType{TableName: r.Table, From: r.From, To: r.To, Type: typ, Convert: r.Convert, ReverseConvert: r.ReverseConvert}
		if r.Map != nil || r.Convert == "" {
			if op.Map, err = parsePairs("map", r.Map, nil, typ); err != nil {
				return nil, err
			}
		}
		if r.ReverseMap != nil {
			if op.ReverseMap, err = parsePairs("reverse_map", r.ReverseMap, typ, nil); err != nil {
				return nil, err
			}
		}
		if op.Default, op.HasDefault, err = parseDefault(typ, r.Default); err != nil {
			return nil, err
		}
		// Totality needs the deployed schema; Check(s) does it there.
		return op, op.checkShape()
	case "add_index":
		var op AddIndex
		if err := strictDecode(body, &op); err != nil {
			return nil, err
		}
		if op.Name == "" || len(op.On) == 0 {
			return nil, fmt.Errorf("add_index needs a name and at least one field")
		}
		return op, checkNames(op.Kind(), op.TableName)
	case "drop_index":
		var op DropIndex
		if err := strictDecode(body, &op); err != nil {
			return nil, err
		}
		if op.Name == "" {
			return nil, fmt.Errorf("drop_index needs a name")
		}
		return op, checkNames(op.Kind(), op.TableName)
	}
	return nil, fmt.Errorf("unknown operation (want add_field, require_field, remove_field, rename_field, change_type, add_index or drop_index; docs/file-formats.md describes each)")
}

// parseDefault parses an operation's optional "default" (raw nil: none)
// as a value of typ.
func parseDefault(typ v.Validator, raw json.RawMessage) (x any, has bool, err error) {
	if raw == nil {
		return nil, false, nil
	}
	if x, err = parseValueFor(typ, raw); err != nil {
		return nil, false, fmt.Errorf("default: %w", err)
	}
	return x, true, nil
}

func parseType(raw json.RawMessage) (v.Validator, error) {
	if raw == nil {
		return nil, fmt.Errorf("type: missing")
	}
	t, err := v.ParseJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("type: %w", err)
	}
	return t, nil
}

// parseValueFor reads a value in strata's JSON value form for a place of
// type typ: a whole number where typ admits int64 and not number is an
// int64 (v.WholeNumbers).
func parseValueFor(typ v.Validator, raw json.RawMessage) (any, error) {
	x, err := value.ParseJSON(raw)
	if err != nil {
		return nil, err
	}
	return v.WholeNumbers(typ, x)
}

// parsePairs reads a map as a JSON object (string keys: old string values)
// or as an array of [from, to] pairs in strata's JSON value form; a side
// whose type is known (fromType, toType; nil if not) reads whole numbers
// as parseValueFor does.
func parsePairs(field string, raw json.RawMessage, fromType, toType v.Validator) ([]Pair, error) {
	if raw == nil {
		return nil, fmt.Errorf("%s: missing", field)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		var out []Pair
		for i, item := range list {
			var two []json.RawMessage
			if err := json.Unmarshal(item, &two); err != nil || len(two) != 2 {
				return nil, fmt.Errorf("%s[%d]: want a [from, to] pair", field, i)
			}
			from, err := parseValueFor(fromType, two[0])
			if err != nil {
				return nil, fmt.Errorf("%s[%d][0]: %w", field, i, err)
			}
			to, err := parseValueFor(toType, two[1])
			if err != nil {
				return nil, fmt.Errorf("%s[%d][1]: %w", field, i, err)
			}
			if _, dup := lookupPair(out, from); dup {
				return nil, fmt.Errorf("%s[%d]: %v is mapped twice", field, i, from)
			}
			out = append(out, Pair{from, to})
		}
		return out, nil
	}
	m, err := value.ParseJSONDoc(trimmed)
	if err != nil {
		return nil, fmt.Errorf("%s: want an object or an array of [from, to] pairs: %w", field, err)
	}
	out := make([]Pair, 0, len(m))
	for k, x := range m {
		if x, err = v.WholeNumbers(toType, x); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out = append(out, Pair{k, x})
	}
	return out, nil
}

// MarshalFile returns the JSON form of f (the migration file format), so a
// migration built from Go values can be recorded and run in every process.
// An AddField with Derive cannot be written down and is an error.
func MarshalFile(f *File) ([]byte, error) {
	if f == nil || !nameRE.MatchString(f.Name) || len(f.Operations) == 0 {
		return nil, fmt.Errorf("migration file: a name and at least one operation are required")
	}
	ops := make([]map[string]any, 0, len(f.Operations))
	for i, o := range f.Operations {
		body, err := marshalOp(o)
		if err != nil {
			return nil, fmt.Errorf("migration file %s: operations[%d].%s: %w", f.Name, i, o.Kind(), err)
		}
		ops = append(ops, map[string]any{o.Kind(): body})
	}
	return json.Marshal(map[string]any{"name": f.Name, "operations": ops})
}

func rawValue(x any) (json.RawMessage, error) {
	b, err := value.MarshalJSON(x)
	return json.RawMessage(b), err
}

func rawPairs(ps []Pair) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(ps))
	for _, p := range ps {
		from, err := rawValue(p.From)
		if err != nil {
			return nil, err
		}
		to, err := rawValue(p.To)
		if err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage("["+string(from)+","+string(to)+"]"))
	}
	return out, nil
}

func marshalOp(o Operation) (any, error) {
	switch t := o.(type) {
	case AddField:
		if t.Derive != nil {
			return nil, fmt.Errorf("a derived value (Derive) cannot be written to a file; use Default")
		}
		typ, err := v.MarshalJSON(t.Type)
		if err != nil {
			return nil, err
		}
		def, err := rawValue(t.Default)
		if err != nil {
			return nil, err
		}
		return map[string]any{"table": t.TableName, "field": t.Field, "type": json.RawMessage(typ), "default": def}, nil
	case ChangeType:
		typ, err := v.MarshalJSON(t.Type)
		if err != nil {
			return nil, err
		}
		body := map[string]any{"table": t.TableName, "from": t.From, "to": t.To, "type": json.RawMessage(typ)}
		if t.Convert != "" {
			body["convert"] = t.Convert
		} else if body["map"], err = rawPairs(t.Map); err != nil {
			return nil, err
		}
		if t.ReverseConvert != "" {
			body["reverse_convert"] = t.ReverseConvert
		}
		if len(t.ReverseMap) > 0 {
			if body["reverse_map"], err = rawPairs(t.ReverseMap); err != nil {
				return nil, err
			}
		}
		if t.HasDefault {
			if body["default"], err = rawValue(t.Default); err != nil {
				return nil, err
			}
		}
		return body, nil
	case RequireField:
		typ, err := v.MarshalJSON(t.Type)
		if err != nil {
			return nil, err
		}
		body := map[string]any{"table": t.TableName, "field": t.Field, "type": json.RawMessage(typ)}
		if t.From != "" {
			body["from"] = t.From
		}
		if t.Convert != "" {
			body["convert"] = t.Convert
		}
		if t.HasDefault {
			if body["default"], err = rawValue(t.Default); err != nil {
				return nil, err
			}
		}
		return body, nil
	case RemoveField, RenameField, AddIndex, DropIndex:
		return t, nil
	}
	return nil, fmt.Errorf("unknown operation type %T", o)
}
