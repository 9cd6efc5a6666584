package v

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/strata-db/strata/value"
)

// validate checks x against val. When report is false it returns errMismatch
// on failure and allocates nothing; when report is true it returns an
// *Error describing the first failure in a deterministic order (object keys
// sorted).
func validate(val Validator, x any, depth int, report bool) *Error {
	if depth > maxDepth {
		return fail(report, &Error{Reason: "validator nested deeper than " + strconv.Itoa(maxDepth) + " levels"})
	}
	switch t := val.(type) {
	case Basic:
		return validateBasic(t, x, report)
	case *LiteralType:
		if t == nil {
			break
		}
		if literalEqual(t.Value, x) {
			return nil
		}
		return mismatch(report, t, x)
	case *IDType:
		if t == nil {
			break
		}
		var s string
		switch id := x.(type) {
		case value.ID:
			s = string(id)
		case string:
			s = id
		default:
			return mismatch(report, t, x)
		}
		if err := idFor(s, t.Table); err != nil {
			if !report {
				return errMismatch
			}
			return &Error{Expected: typeString(t), Found: value.TypeName(x), Reason: err.Error()}
		}
		return nil
	case *ArrayType:
		if t == nil {
			break
		}
		arr, ok := x.([]any)
		if !ok {
			return mismatch(report, t, x)
		}
		for i, e := range arr {
			if err := validate(t.Elem, e, depth+1, report); err != nil {
				return err.in(pathIndex(i))
			}
		}
		return nil
	case Object:
		m, ok := x.(map[string]any)
		if !ok {
			return mismatch(report, t, x)
		}
		return validateObject(t, m, depth, report, false)
	case *RecordType:
		if t == nil {
			break
		}
		m, ok := x.(map[string]any)
		if !ok {
			return mismatch(report, t, x)
		}
		return validateRecord(t, m, depth, report)
	case *UnionType:
		if t == nil {
			break
		}
		for _, m := range t.Members {
			if validate(m, x, depth+1, false) == nil {
				return nil
			}
		}
		if !report {
			return errMismatch
		}
		return explainUnion(t, x, depth)
	case *OptionalType:
		if t == nil {
			break
		}
		if _, ok := x.(value.UndefinedValue); ok {
			return nil
		}
		return validate(t.Elem, x, depth+1, report)
	}
	return fail(report, &Error{Reason: "invalid validator " + describeInvalid(val)})
}

func describeInvalid(val Validator) string {
	if val == nil {
		return "(nil)"
	}
	return "(nil or zero " + kindTypeName(val) + ")"
}

func kindTypeName(val Validator) string {
	switch val.(type) {
	case Basic:
		return "Basic"
	case *LiteralType:
		return "*LiteralType"
	case *IDType:
		return "*IDType"
	case *ArrayType:
		return "*ArrayType"
	case *RecordType:
		return "*RecordType"
	case *UnionType:
		return "*UnionType"
	case *OptionalType:
		return "*OptionalType"
	}
	return "Validator"
}

func fail(report bool, e *Error) *Error {
	if !report {
		return errMismatch
	}
	return e
}

func mismatch(report bool, val Validator, x any) *Error {
	if !report {
		return errMismatch
	}
	return &Error{Expected: typeString(val), Found: found(val, x), Reason: int64Hint(val, x)}
}

// int64Hint says how to write an int64 when a float64 was found where
// only an int64 goes: the JSON value form reads a plain number as a
// float64 except where the type admits int64 and not number
// (WholeNumbers), so this is a fraction or a number from Go code.
func int64Hint(val Validator, x any) string {
	f, ok := x.(float64)
	if b, isBasic := val.(Basic); !ok || !isBasic || b.kind != KindInt64 {
		return ""
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) {
		return "int64 holds whole numbers only"
	}
	n := strconv.FormatFloat(f, 'f', -1, 64)
	return `in Go write int64(` + n + `); in JSON ` + n + ` or {"$integer":"` + n + `"}`
}

// found describes x for an error against val: its type name, followed by
// the value itself when val involves literals and x is a scalar, since then
// the type alone does not say what was wrong.
func found(val Validator, x any) string {
	name := value.TypeName(x)
	if !hasLiteral(val, 0) {
		return name
	}
	switch y := x.(type) {
	case string:
		return name + " " + quoteTrunc(y)
	case value.ID:
		return name + " " + quoteTrunc(string(y))
	case int64:
		return name + " " + strconv.FormatInt(y, 10)
	case float64:
		return name + " " + formatFloat(y)
	case bool:
		return name + " " + strconv.FormatBool(y)
	}
	return name
}

func hasLiteral(val Validator, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch t := val.(type) {
	case *LiteralType:
		return t != nil
	case *UnionType:
		if t == nil {
			return false
		}
		for _, m := range t.Members {
			if hasLiteral(m, depth+1) {
				return true
			}
		}
	case *OptionalType:
		return t != nil && hasLiteral(t.Elem, depth+1)
	}
	return false
}

// quoteTrunc quotes s for an error message, shortening long inputs.
func quoteTrunc(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

func validateBasic(b Basic, x any, report bool) *Error {
	ok := false
	switch b.kind {
	case KindString:
		switch x.(type) {
		case string, value.ID:
			ok = true
		}
	case KindNumber:
		_, ok = x.(float64)
	case KindInt64:
		_, ok = x.(int64)
	case KindBoolean:
		_, ok = x.(bool)
	case KindNull:
		ok = x == nil
	case KindBytes:
		_, ok = x.([]byte)
	case KindAny:
		return validateAny(x, 0, report)
	default:
		return fail(report, &Error{Reason: "invalid validator (zero Basic)"})
	}
	if ok {
		return nil
	}
	return mismatch(report, b, x)
}

// validateAny accepts every value of the data model nested at most
// value.MaxDepth deep. A field holding value.Undef counts as missing, as it
// does for Object.
func validateAny(x any, depth int, report bool) *Error {
	if depth > value.MaxDepth {
		return fail(report, &Error{Expected: "any", Found: value.TypeName(x),
			Reason: "nested deeper than " + strconv.Itoa(value.MaxDepth) + " levels"})
	}
	switch y := x.(type) {
	case nil, bool, int64, float64, string, value.ID, []byte:
		return nil
	case []any:
		for i, e := range y {
			if err := validateAny(e, depth+1, report); err != nil {
				return err.in(pathIndex(i))
			}
		}
		return nil
	case map[string]any:
		if !report {
			for _, e := range y {
				if _, ok := e.(value.UndefinedValue); ok {
					continue
				}
				if validateAny(e, depth+1, false) != nil {
					return errMismatch
				}
			}
			return nil
		}
		for _, k := range sortedKeys(y) {
			e := y[k]
			if _, ok := e.(value.UndefinedValue); ok {
				continue
			}
			if err := validateAny(e, depth+1, true); err != nil {
				return err.in(pathKey(k))
			}
		}
		return nil
	}
	return fail(report, &Error{Expected: "any", Found: value.TypeName(x)})
}

func isUndef(x any) bool {
	_, ok := x.(value.UndefinedValue)
	return ok
}

func isSystemField(k string) bool { return k == "_id" || k == "_creationTime" }

// validateObject checks m against o. With skipSystem it ignores the system
// fields of a document.
func validateObject(o Object, m map[string]any, depth int, report, skipSystem bool) *Error {
	// Fast path: no allocation, map order; on failure, redo in key order to
	// report the first problem deterministically.
	if objectOK(o, m, depth, skipSystem) {
		return nil
	}
	if !report {
		return errMismatch
	}
	keys := make([]string, 0, len(o)+len(m))
	for k := range o {
		keys = append(keys, k)
	}
	for k := range m {
		if _, ok := o[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fv, declared := o[k]
		x, present := m[k]
		if present && isUndef(x) {
			present = false
		}
		if !declared {
			if !present || skipSystem && isSystemField(k) {
				continue
			}
			return &Error{Path: pathKey(k), Found: value.TypeName(x), Reason: "unexpected field (not in the validator)"}
		}
		if opt, ok := fv.(*OptionalType); ok && opt != nil {
			if !present {
				continue
			}
			fv = opt.Elem
		} else if !present {
			return &Error{Path: pathKey(k), Expected: typeString(fv), Found: "undefined", Reason: "required field missing"}
		}
		if err := validate(fv, x, depth+1, true); err != nil {
			return err.in(pathKey(k))
		}
	}
	// Unreachable unless validation is not deterministic; report something
	// rather than accept.
	return &Error{Expected: typeString(o), Found: "object"}
}

func objectOK(o Object, m map[string]any, depth int, skipSystem bool) bool {
	for k, fv := range o {
		x, present := m[k]
		if present && isUndef(x) {
			present = false
		}
		if opt, ok := fv.(*OptionalType); ok && opt != nil {
			if !present {
				continue
			}
			fv = opt.Elem
		} else if !present {
			return false
		}
		if validate(fv, x, depth+1, false) != nil {
			return false
		}
	}
	for k, x := range m {
		if _, ok := o[k]; ok {
			continue
		}
		if isUndef(x) || skipSystem && isSystemField(k) {
			continue
		}
		return false
	}
	return true
}

func validateRecord(r *RecordType, m map[string]any, depth int, report bool) *Error {
	ok := true
	for k, x := range m {
		if !keyOK(r.Key, k, depth+1) || validate(r.Value, x, depth+1, false) != nil {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	if !report {
		return errMismatch
	}
	for _, k := range sortedKeys(m) {
		if err := validate(r.Key, k, depth+1, true); err != nil {
			if err.Reason == "" {
				err.Reason = "invalid record key"
			}
			return err.in(pathKey(k))
		}
		if err := validate(r.Value, m[k], depth+1, true); err != nil {
			return err.in(pathKey(k))
		}
	}
	return &Error{Expected: typeString(r), Found: "object"}
}

// keyOK is validate(key, k, depth, false) == nil without boxing k, which
// would allocate, for the key validators Check allows.
func keyOK(key Validator, k string, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch t := key.(type) {
	case Basic:
		if t.kind == KindString {
			return true
		}
	case *LiteralType:
		if t != nil {
			s, ok := t.Value.(string)
			return ok && s == k
		}
	case *IDType:
		if t != nil {
			return idFor(k, t.Table) == nil
		}
	case *UnionType:
		if t != nil {
			for _, m := range t.Members {
				if keyOK(m, k, depth+1) {
					return true
				}
			}
			return false
		}
	}
	return validate(key, k, depth, false) == nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// explainUnion reports why x satisfies no member of u. When exactly one
// member is a structured validator (object, array, record) of x's kind, the
// error of that member is more precise than the union's, so it is used.
func explainUnion(u *UnionType, x any, depth int) *Error {
	var only Validator
	n := 0
	for _, m := range u.Members {
		if structuredMatch(m, x) {
			only = m
			n++
		}
	}
	if n == 1 {
		if err := validate(only, x, depth+1, true); err != nil {
			return err
		}
	}
	return &Error{Expected: typeString(u), Found: found(u, x)}
}

func structuredMatch(val Validator, x any) bool {
	switch val.(type) {
	case Object, *RecordType:
		_, ok := x.(map[string]any)
		return ok
	case *ArrayType:
		_, ok := x.([]any)
		return ok
	}
	return false
}

// literalEqual reports whether x is the literal lit, as value.Equal
// defines it: same kind (an ID equals the string of the same text, int64 1
// is not float64 1), -0 is not +0, a NaN equals only a NaN of the same
// bits.
func literalEqual(lit, x any) bool {
	switch lit.(type) {
	case string, float64, int64, bool:
		return value.Equal(lit, x)
	}
	return false
}

// idFor reports whether s is an id of a document in table.
func idFor(s, table string) error {
	_, err := value.ParseIDFor(s, table)
	return err
}
