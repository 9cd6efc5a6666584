package op

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/strata-db/strata/v"
)

// Conversions are the expressions change_type can compute the new field
// with instead of a map ("convert": "to_number" in a migration file).
// They are named, not code, because a declarative migration is stored
// with the schema and applied by every process, old binaries included.
var conversions = map[string]func(any) (any, bool){
	// to_number: a number as float64; an int64 as float64; a string that
	// parses as a finite number.
	"to_number": func(x any) (any, bool) {
		switch t := x.(type) {
		case float64:
			return t, true
		case int64:
			return float64(t), true
		case string:
			f, err := strconv.ParseFloat(t, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, false
			}
			return f, true
		}
		return nil, false
	},
	// to_int64: an int64; a float64 or a string holding a whole number
	// in int64's range.
	"to_int64": func(x any) (any, bool) {
		switch t := x.(type) {
		case int64:
			return t, true
		case float64:
			if t != math.Trunc(t) || t < -(1<<63) || t >= 1<<63 {
				return nil, false
			}
			return int64(t), true
		case string:
			n, err := strconv.ParseInt(t, 10, 64)
			return n, err == nil
		}
		return nil, false
	},
	// to_string: a string; a number or a boolean in its shortest text
	// form.
	"to_string": func(x any) (any, bool) {
		switch t := x.(type) {
		case string:
			return t, true
		case float64:
			return strconv.FormatFloat(t, 'g', -1, 64), true
		case int64:
			return strconv.FormatInt(t, 10), true
		case bool:
			return strconv.FormatBool(t), true
		}
		return nil, false
	},
}

// conversionNames lists the conversions, for error messages.
func conversionNames() []string {
	names := make([]string, 0, len(conversions))
	for n := range conversions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func checkConversion(field, name string) error {
	if _, ok := conversions[name]; !ok {
		return fmt.Errorf("%s: unknown conversion %q (known: %v)", field, name, conversionNames())
	}
	return nil
}

// convertsAll reports whether conversion name succeeds for every value
// val allows; false where that is not decidable.
func convertsAll(name string, val v.Validator) bool {
	conv := conversions[name]
	switch t := val.(type) {
	case *v.LiteralType:
		_, ok := conv(t.Value)
		return ok
	case *v.UnionType:
		for _, m := range t.Members {
			if !convertsAll(name, m) {
				return false
			}
		}
		return true
	case v.Basic:
		switch t.Kind() {
		case v.KindNumber:
			return name == "to_number" || name == "to_string"
		case v.KindInt64:
			return true
		case v.KindString, v.KindBoolean:
			return name == "to_string"
		}
	}
	return false
}
