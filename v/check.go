package v

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Check reports every misuse in val, joined with errors.Join, each as a
// *DefinitionError naming its path inside the JSON form:
//
//   - a nil validator, a zero Basic or a nil pointer validator;
//   - an optional anywhere but as the type of an object field (this
//     includes val itself: use CheckField for a field's type);
//   - an empty union;
//   - a literal whose value is not a string, float64, int64 or bool;
//   - a record whose key validator cannot validate strings (keys must be
//     string, an id, a string literal or a union of those);
//   - an id whose table name is empty or not an identifier
//     ([A-Za-z_][A-Za-z0-9_]*, at most 64 bytes);
//   - an object field name that is empty, starts with "$" or is not UTF-8;
//   - nesting deeper than the limit (which also catches cyclic Objects).
//
// Check returns nil for a validator that may be used, marshaled and parsed
// back.
func Check(val Validator) error {
	var c checker
	c.check(val, "", 0, false)
	return errors.Join(c.errs...)
}

// CheckField is like Check for the type of an object field, where an
// optional is allowed at the root.
func CheckField(val Validator) error {
	var c checker
	c.check(val, "", 0, true)
	return errors.Join(c.errs...)
}

type checker struct{ errs []error }

func (c *checker) add(path, msg string) {
	c.errs = append(c.errs, &DefinitionError{Path: path, Msg: msg})
}

func (c *checker) check(val Validator, path string, depth int, field bool) {
	if depth > maxDepth {
		c.add(path, errTooDeep)
		return
	}
	switch t := val.(type) {
	case Basic:
		if t.Kind() != KindInvalid {
			return
		}
	case *LiteralType:
		if t == nil {
			break
		}
		if s, ok := t.Value.(string); ok && !utf8.ValidString(s) {
			c.add(joinPath(path, "literal"), "string literal is not valid UTF-8")
		} else if _, ok := appendLiteral(nil, t.Value); !ok {
			c.add(joinPath(path, "literal"), unsupportedLiteral(t.Value))
		}
		return
	case *IDType:
		if t == nil {
			break
		}
		if msg := checkTableRef(t.Table); msg != "" {
			c.add(joinPath(path, "id"), msg)
		}
		return
	case *ArrayType:
		if t == nil {
			break
		}
		c.check(t.Elem, joinPath(path, "array"), depth+1, false)
		return
	case Object:
		p := joinPath(path, "object")
		for _, k := range sortedFields(t) {
			fp := joinPath(p, pathKey(k))
			switch {
			case k == "":
				c.add(fp, "empty field name")
			case k[0] == '$':
				c.add(fp, "field name "+quoteTrunc(k)+` starts with "$" (reserved for the JSON form)`)
			case !utf8.ValidString(k):
				c.add(fp, "field name "+quoteTrunc(k)+" is not valid UTF-8")
			}
			c.check(t[k], fp, depth+1, true)
		}
		return
	case *RecordType:
		if t == nil {
			break
		}
		kp := joinPath(path, "record[0]")
		if !isNil(t.Key) && !validatesStrings(t.Key, 0) {
			c.add(kp, "record key validator "+typeString(t.Key)+
				" cannot validate strings (use string, an id, a string literal or a union of those)")
		}
		c.check(t.Key, kp, depth+1, false)
		c.check(t.Value, joinPath(path, "record[1]"), depth+1, false)
		return
	case *UnionType:
		if t == nil {
			break
		}
		if len(t.Members) == 0 {
			c.add(joinPath(path, "union"), "empty union accepts nothing")
		}
		for i, m := range t.Members {
			c.check(m, joinPath(path, "union"+pathIndex(i)), depth+1, false)
		}
		return
	case *OptionalType:
		if t == nil {
			break
		}
		if !field {
			c.add(path, "optional is allowed only as the type of an object field")
		}
		c.check(t.Elem, joinPath(path, "optional"), depth+1, false)
		return
	}
	c.add(path, "invalid validator "+describeInvalid(val))
}

// validatesStrings reports whether key is a validator of strings only:
// string, an id, a string literal, or a non-empty union of those.
func validatesStrings(key Validator, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch t := key.(type) {
	case Basic:
		return t.kind == KindString
	case *IDType:
		return t != nil
	case *LiteralType:
		if t == nil {
			return false
		}
		_, ok := t.Value.(string)
		return ok
	case *UnionType:
		if t == nil || len(t.Members) == 0 {
			return false
		}
		for _, m := range t.Members {
			if !validatesStrings(m, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// checkTableRef returns why table cannot be the table of an id, or "".
// System tables (a leading "_") may be referenced.
func checkTableRef(table string) string {
	switch {
	case table == "":
		return "empty table name"
	case len(table) > 64:
		return "table name " + quoteTrunc(table) + " is longer than 64 bytes"
	}
	for i := 0; i < len(table); i++ {
		c := table[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return "invalid table name " + quoteTrunc(table) + " (use letters, digits and _, not starting with a digit)"
	}
	if strings.Trim(table, "_") == "" {
		return "invalid table name " + strconv.Quote(table)
	}
	return ""
}

// Walk calls fn for val and, in depth-first order, every validator nested
// in it (object fields in sorted order), with the path of each inside the
// JSON form ("" for val, "object.settings.optional", "union[1]"). When fn
// returns false the validators nested in that one are skipped. Walk stops
// descending at the nesting limit, so it terminates on cyclic Objects.
func Walk(val Validator, fn func(path string, val Validator) bool) {
	walk(val, "", 0, fn)
}

func walk(val Validator, path string, depth int, fn func(string, Validator) bool) {
	if depth > maxDepth || !fn(path, val) {
		return
	}
	switch t := val.(type) {
	case *ArrayType:
		if t != nil {
			walk(t.Elem, joinPath(path, "array"), depth+1, fn)
		}
	case Object:
		p := joinPath(path, "object")
		for _, k := range sortedFields(t) {
			walk(t[k], joinPath(p, pathKey(k)), depth+1, fn)
		}
	case *RecordType:
		if t != nil {
			walk(t.Key, joinPath(path, "record[0]"), depth+1, fn)
			walk(t.Value, joinPath(path, "record[1]"), depth+1, fn)
		}
	case *UnionType:
		if t != nil {
			for i, m := range t.Members {
				walk(m, joinPath(path, "union"+pathIndex(i)), depth+1, fn)
			}
		}
	case *OptionalType:
		if t != nil {
			walk(t.Elem, joinPath(path, "optional"), depth+1, fn)
		}
	}
}
