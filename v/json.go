package v

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/strata-db/strata/value"
	"strconv"
	"strings"
)

// MarshalJSON returns the canonical JSON form of val, as used in schema
// files: a type name ("string", "number", "int64", "boolean", "null",
// "bytes", "any") or a one-key object ({"literal": x}, {"id": "table"},
// {"array": T}, {"object": {...}}, {"record": [K, V]}, {"union": [T...]},
// {"optional": T}). Object keys are sorted and there is no insignificant
// whitespace, so equal validators have equal bytes. Literals use the
// lossless value form: int64 as {"$integer": "1"}, non-finite floats as
// {"$float": "NaN"}. It fails only for an invalid validator (nil, zero, a
// literal of an unsupported type, nested deeper than the limit), with a
// *DefinitionError.
func MarshalJSON(val Validator) ([]byte, error) {
	b, err := appendJSON(nil, val, "", 0)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Equal reports whether a and b are the same validator, that is, have the
// same canonical JSON form. Invalid validators are equal to nothing.
func Equal(a, b Validator) bool {
	ja, err := MarshalJSON(a)
	if err != nil {
		return false
	}
	jb, err := MarshalJSON(b)
	return err == nil && bytes.Equal(ja, jb)
}

func appendJSON(b []byte, val Validator, path string, depth int) ([]byte, *DefinitionError) {
	if depth > maxDepth {
		return nil, &DefinitionError{Path: path, Msg: errTooDeep}
	}
	switch t := val.(type) {
	case Basic:
		if t.Kind() == KindInvalid {
			break
		}
		b = append(b, '"')
		b = append(b, t.kind.String()...)
		return append(b, '"'), nil
	case *LiteralType:
		if t == nil {
			break
		}
		b = append(b, `{"literal":`...)
		b, ok := appendLiteral(b, t.Value)
		if !ok {
			return nil, &DefinitionError{Path: joinPath(path, "literal"), Msg: unsupportedLiteral(t.Value)}
		}
		return append(b, '}'), nil
	case *IDType:
		if t == nil {
			break
		}
		b = append(b, `{"id":`...)
		b = appendString(b, t.Table)
		return append(b, '}'), nil
	case *ArrayType:
		if t == nil {
			break
		}
		b = append(b, `{"array":`...)
		b, err := appendJSON(b, t.Elem, joinPath(path, "array"), depth+1)
		if err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	case Object:
		b = append(b, `{"object":{`...)
		p := joinPath(path, "object")
		for i, k := range sortedFields(t) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err *DefinitionError
			b, err = appendJSON(b, t[k], joinPath(p, pathKey(k)), depth+1)
			if err != nil {
				return nil, err
			}
		}
		return append(b, "}}"...), nil
	case *RecordType:
		if t == nil {
			break
		}
		b = append(b, `{"record":[`...)
		b, err := appendJSON(b, t.Key, joinPath(path, "record[0]"), depth+1)
		if err != nil {
			return nil, err
		}
		b = append(b, ',')
		b, err = appendJSON(b, t.Value, joinPath(path, "record[1]"), depth+1)
		if err != nil {
			return nil, err
		}
		return append(b, "]}"...), nil
	case *UnionType:
		if t == nil {
			break
		}
		b = append(b, `{"union":[`...)
		for i, m := range t.Members {
			if i > 0 {
				b = append(b, ',')
			}
			var err *DefinitionError
			b, err = appendJSON(b, m, joinPath(path, "union"+pathIndex(i)), depth+1)
			if err != nil {
				return nil, err
			}
		}
		return append(b, "]}"...), nil
	case *OptionalType:
		if t == nil {
			break
		}
		b = append(b, `{"optional":`...)
		b, err := appendJSON(b, t.Elem, joinPath(path, "optional"), depth+1)
		if err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	}
	return nil, &DefinitionError{Path: path, Msg: "invalid validator " + describeInvalid(val)}
}

const errTooDeep = "validator nested too deeply"

// appendString appends s as a JSON string, escaped as encoding/json does.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// appendLiteral appends x in the lossless value JSON form (value.AppendJSON).
func appendLiteral(b []byte, x any) ([]byte, bool) {
	switch x.(type) {
	case string, bool, int64, float64:
		out, err := value.AppendJSON(b, x)
		return out, err == nil
	}
	return b, false
}

func unsupportedLiteral(x any) string {
	return fmt.Sprintf("literal of unsupported type %s (use string, float64, int64 or bool)", literalTypeName(x))
}

func literalTypeName(x any) string {
	if x == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", x)
}

// ParseJSON parses the JSON form of a validator (see MarshalJSON) and
// checks it with Check, so an optional at the root is refused; use
// ParseFieldJSON for the type of an object field. Errors are
// *DefinitionError values naming the path inside the JSON form, such as
//
//	validator: object.settings.optional.object.theme: unknown type name "strin"
//
// Malformed JSON is reported with its byte offset. Duplicate object keys
// are refused. ParseJSON never panics.
func ParseJSON(data []byte) (Validator, error) {
	val, err := parseTop(data)
	if err != nil {
		return nil, err
	}
	if err := Check(val); err != nil {
		return nil, err
	}
	return val, nil
}

// ParseFieldJSON is like ParseJSON for the type of an object field, which
// may be {"optional": T}; it checks the result with CheckField.
func ParseFieldJSON(data []byte) (Validator, error) {
	val, err := parseTop(data)
	if err != nil {
		return nil, err
	}
	if err := CheckField(val); err != nil {
		return nil, err
	}
	return val, nil
}

func parseTop(data []byte) (Validator, error) {
	if !json.Valid(data) {
		var x any
		err := json.Unmarshal(data, &x)
		if err == nil {
			err = fmt.Errorf("invalid JSON")
		}
		return nil, &DefinitionError{Msg: "invalid JSON: " + err.Error()}
	}
	if path, key, dup := duplicateKey(data); dup {
		return nil, &DefinitionError{Path: path, Msg: "duplicate key " + strconv.Quote(key)}
	}
	val, derr := parse(data, "", 0)
	if derr != nil {
		return nil, derr
	}
	return val, nil
}

// parse decodes one validator from raw, which is valid JSON.
func parse(raw []byte, path string, depth int) (Validator, *DefinitionError) {
	raw = bytes.TrimSpace(raw)
	if depth > maxDepth {
		return nil, &DefinitionError{Path: path, Msg: errTooDeep}
	}
	if len(raw) == 0 {
		return nil, &DefinitionError{Path: path, Msg: "empty validator"}
	}
	switch raw[0] {
	case '"':
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return nil, &DefinitionError{Path: path, Msg: err.Error()}
		}
		return parseName(name, path)
	case '{':
	default:
		return nil, &DefinitionError{Path: path, Msg: "expected a type name or a validator object, found " + jsonKind(raw)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, &DefinitionError{Path: path, Msg: err.Error()}
	}
	if len(obj) != 1 {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, strconv.Quote(k))
		}
		sortStrings(keys)
		return nil, &DefinitionError{Path: path, Msg: fmt.Sprintf(
			"a validator object has exactly one key (literal, id, array, object, record, union or optional), found %d: {%s}",
			len(obj), strings.Join(keys, ", "))}
	}
	var key string
	var inner json.RawMessage
	for k, r := range obj {
		key, inner = k, r
	}
	p := joinPath(path, pathKey(key))
	inner = bytes.TrimSpace(inner)
	switch key {
	case "literal":
		x, err := parseLiteral(inner)
		if err != "" {
			return nil, &DefinitionError{Path: p, Msg: err}
		}
		return &LiteralType{Value: x}, nil
	case "id":
		if jsonKind(inner) != "string" {
			return nil, &DefinitionError{Path: p, Msg: "expected a table name string, found " + jsonKind(inner)}
		}
		var table string
		if err := json.Unmarshal(inner, &table); err != nil {
			return nil, &DefinitionError{Path: p, Msg: err.Error()}
		}
		return &IDType{Table: table}, nil
	case "array":
		elem, err := parse(inner, p, depth+1)
		if err != nil {
			return nil, err
		}
		return &ArrayType{Elem: elem}, nil
	case "optional":
		elem, err := parse(inner, p, depth+1)
		if err != nil {
			return nil, err
		}
		return &OptionalType{Elem: elem}, nil
	case "object":
		if jsonKind(inner) != "object" {
			return nil, &DefinitionError{Path: p, Msg: "expected a JSON object of fields, found " + jsonKind(inner)}
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(inner, &fields); err != nil {
			return nil, &DefinitionError{Path: p, Msg: err.Error()}
		}
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sortStrings(names)
		o := make(Object, len(fields))
		for _, k := range names {
			fv, err := parse(fields[k], joinPath(p, pathKey(k)), depth+1)
			if err != nil {
				return nil, err
			}
			o[k] = fv
		}
		return o, nil
	case "record", "union":
		if jsonKind(inner) != "array" {
			return nil, &DefinitionError{Path: p, Msg: "expected a JSON array, found " + jsonKind(inner)}
		}
		var items []json.RawMessage
		if err := json.Unmarshal(inner, &items); err != nil {
			return nil, &DefinitionError{Path: p, Msg: err.Error()}
		}
		if key == "record" && len(items) != 2 {
			return nil, &DefinitionError{Path: p, Msg: fmt.Sprintf("expected [key, value], found %d elements", len(items))}
		}
		vs := make([]Validator, len(items))
		for i, item := range items {
			m, err := parse(item, p+pathIndex(i), depth+1)
			if err != nil {
				return nil, err
			}
			vs[i] = m
		}
		if key == "record" {
			return &RecordType{Key: vs[0], Value: vs[1]}, nil
		}
		return &UnionType{Members: vs}, nil
	default:
		return nil, &DefinitionError{Path: path, Msg: "unknown validator key " + strconv.Quote(key) +
			" (want literal, id, array, object, record, union or optional)"}
	}
}

func parseName(name, path string) (Validator, *DefinitionError) {
	switch name {
	case "string":
		return String(), nil
	case "number":
		return Number(), nil
	case "int64":
		return Int64(), nil
	case "boolean":
		return Boolean(), nil
	case "null":
		return Null(), nil
	case "bytes":
		return Bytes(), nil
	case "any":
		return Any(), nil
	case "literal", "id", "array", "object", "record", "union", "optional":
		return nil, &DefinitionError{Path: path, Msg: fmt.Sprintf("type %q needs a parameter: write {%q: ...}", name, name)}
	}
	return nil, &DefinitionError{Path: path, Msg: "unknown type name " + quoteTrunc(name)}
}

// parseLiteral decodes a literal in the lossless value JSON form
// (value.ParseJSON), returning a message on failure.
func parseLiteral(raw []byte) (any, string) {
	if jsonKind(raw) == "null" {
		return nil, `null is not a literal: use the type "null"`
	}
	x, err := value.ParseJSON(raw)
	if err != nil {
		var ve *value.Error
		if errors.As(err, &ve) {
			// The offset is within the literal; the path says where that is.
			msg := ve.Msg
			if rest, ok := strings.CutPrefix(msg, "offset "); ok {
				if i := strings.Index(rest, ": "); i > 0 && strings.Trim(rest[:i], "0123456789") == "" {
					msg = rest[i+2:]
				}
			}
			return nil, msg
		}
		return nil, err.Error()
	}
	switch x.(type) {
	case string, bool, int64, float64:
		return x, ""
	}
	return nil, "literal of unsupported type " + value.TypeName(x) + " (use a string, number, boolean or int64)"
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
