package v

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// typeString renders val as a type expression.
func typeString(val Validator) string {
	var b strings.Builder
	writeType(&b, val, 0)
	return b.String()
}

func writeType(b *strings.Builder, val Validator, depth int) {
	if depth > maxDepth {
		b.WriteString("...")
		return
	}
	switch t := val.(type) {
	case Basic:
		if t.Kind() == KindInvalid {
			b.WriteString("invalid")
			return
		}
		b.WriteString(t.kind.String())
		return
	case *LiteralType:
		if t == nil {
			break
		}
		b.WriteString(literalString(t.Value))
		return
	case *IDType:
		if t == nil {
			break
		}
		b.WriteString("id(")
		b.WriteString(strconv.Quote(t.Table))
		b.WriteString(")")
		return
	case *ArrayType:
		if t == nil {
			break
		}
		b.WriteString("array<")
		writeType(b, t.Elem, depth+1)
		b.WriteString(">")
		return
	case Object:
		b.WriteString("{")
		for i, k := range sortedFields(t) {
			if i > 0 {
				b.WriteString(", ")
			}
			if isIdent(k) {
				b.WriteString(k)
			} else {
				b.WriteString(strconv.Quote(k))
			}
			fv := t[k]
			if opt, ok := fv.(*OptionalType); ok && opt != nil {
				b.WriteString("?")
				fv = opt.Elem
			}
			b.WriteString(": ")
			writeType(b, fv, depth+1)
		}
		b.WriteString("}")
		return
	case *RecordType:
		if t == nil {
			break
		}
		b.WriteString("record<")
		writeType(b, t.Key, depth+1)
		b.WriteString(", ")
		writeType(b, t.Value, depth+1)
		b.WriteString(">")
		return
	case *UnionType:
		if t == nil {
			break
		}
		if len(t.Members) == 0 {
			b.WriteString("never")
			return
		}
		for i, m := range t.Members {
			if i > 0 {
				b.WriteString(" | ")
			}
			writeType(b, m, depth+1)
		}
		return
	case *OptionalType:
		if t == nil {
			break
		}
		b.WriteString("optional<")
		writeType(b, t.Elem, depth+1)
		b.WriteString(">")
		return
	}
	b.WriteString("invalid")
}

// literalString renders a literal value: strings quoted, int64 as
// int64(n), floats in their shortest form (NaN, Infinity, -Infinity for
// non-finite ones), booleans as true/false.
func literalString(x any) string {
	switch y := x.(type) {
	case string:
		return strconv.Quote(y)
	case int64:
		return "int64(" + strconv.FormatInt(y, 10) + ")"
	case float64:
		return formatFloat(y)
	case bool:
		return strconv.FormatBool(y)
	}
	return "invalid literal"
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func sortedFields(o Object) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isIdent reports whether s is an ASCII identifier: [A-Za-z_$][A-Za-z0-9_$]*.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
