package v

import (
	"math"
	"strconv"
)

// maxExact is 2^53: every whole number below it in magnitude is exact as
// a float64; from it on, a JSON number may have been rounded.
const maxExact = 1 << 53

// WholeNumbers returns x, a value read from strata's JSON value form
// (value.ParseJSON, where every plain JSON number is a float64), with each
// whole float64 turned into an int64 wherever val accepts the int64 and
// not the float64 — an int64 field, an array of int64, an int64 literal,
// a union that has int64 and not number — so that `"age": 30` fills an
// int64 field as {"$integer": "30"} does. Everywhere else (a number or
// "any" field, a union of number and int64) a plain number stays a
// float64, and {"$integer": "..."} stays the way to write an int64 there.
//
// x itself is never modified: containers that change are copied. A
// fractional number stays a float64, for validation to refuse. The only
// error is for a whole number of magnitude 2^53 or more that would become
// an int64: a float64 may have rounded it, so the error names the path
// and says to write it as {"$integer": "..."}. A nil val returns x.
func WholeNumbers(val Validator, x any) (any, error) {
	y, _, err := whole(val, x, 0)
	if err != nil {
		return nil, err
	}
	return y, nil
}

// whole is WholeNumbers; changed reports whether the result differs from x.
func whole(val Validator, x any, depth int) (y any, changed bool, err *Error) {
	if val == nil || depth > maxDepth {
		return x, false, nil
	}
	switch t := val.(type) {
	case *OptionalType:
		if t == nil {
			return x, false, nil
		}
		return whole(t.Elem, x, depth+1)
	case *UnionType:
		if t == nil {
			return x, false, nil
		}
		if f, scalar := x.(float64); scalar {
			return wholeScalar(val, f)
		}
		// A container: the first member that, converted, accepts it.
		for _, m := range t.Members {
			y, changed, err := whole(m, x, depth+1)
			if err == nil && m.Validate(y) == nil {
				return y, changed, nil
			}
		}
		return x, false, nil
	}
	switch y := x.(type) {
	case float64:
		return wholeScalar(val, y)
	case []any:
		a, ok := val.(*ArrayType)
		if !ok || a == nil {
			return x, false, nil
		}
		var out []any
		for i, e := range y {
			z, changed, err := whole(a.Elem, e, depth+1)
			if err != nil {
				return nil, false, err.in(pathIndex(i))
			}
			if out == nil && changed {
				out = append(make([]any, 0, len(y)), y[:i]...)
			}
			if out != nil {
				out = append(out, z)
			}
		}
		if out == nil {
			return x, false, nil
		}
		return out, true, nil
	case map[string]any:
		var field func(k string) Validator
		switch o := val.(type) {
		case Object:
			field = func(k string) Validator { return o[k] }
		case *RecordType:
			if o == nil {
				return x, false, nil
			}
			field = func(string) Validator { return o.Value }
		default:
			return x, false, nil
		}
		var out map[string]any
		for k, e := range y {
			fv := field(k)
			if fv == nil {
				continue
			}
			z, changed, err := whole(fv, e, depth+1)
			if err != nil {
				return nil, false, err.in(pathKey(k))
			}
			if changed {
				if out == nil {
					out = make(map[string]any, len(y))
					for k2, e2 := range y {
						out[k2] = e2
					}
				}
				out[k] = z
			}
		}
		if out == nil {
			return x, false, nil
		}
		return out, true, nil
	}
	return x, false, nil
}

// wholeScalar converts f to an int64 when val accepts that and not f.
func wholeScalar(val Validator, f float64) (any, bool, *Error) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || val.Validate(f) == nil {
		return f, false, nil
	}
	if math.Abs(f) >= maxExact {
		if f >= -(1<<63) && f < 1<<63 && val.Validate(int64(f)) == nil {
			return nil, false, &Error{Expected: typeString(val), Found: "number " + strconv.FormatFloat(f, 'f', -1, 64),
				Reason: `a whole number of 2^53 or more may not be exact as a JSON number: write it as {"$integer":"DIGITS"}`}
		}
		return f, false, nil
	}
	if n := int64(f); val.Validate(n) == nil {
		return n, true, nil
	}
	return f, false, nil
}
