package cli

import (
	"strings"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

// The command line reads values in strata's JSON value form, where a
// plain number is a float64. Where the place a value goes admits int64
// and not number — an int64 field of the table's schema, an int64
// argument of a function, an int64 index field for --eq — a whole number
// is read as an int64 instead (v.WholeNumbers), so `"age": 30` works as
// {"$integer": "30"} does.

// tableFields returns the validator of table's documents in the active
// schema, nil when the schema does not declare it (then nothing is
// converted: documents of an undeclared table keep their numbers).
func tableFields(db *strata.DB, table string) v.Validator {
	s := db.Schema()
	if s == nil || s.Tables[table] == nil {
		return nil
	}
	return s.Tables[table].Fields
}

// docForTable returns doc, read from JSON, with its whole numbers read as
// int64 where table's fields take int64 (see above).
func docForTable(fields v.Validator, doc strata.Doc) (strata.Doc, error) {
	if fields == nil {
		return doc, nil
	}
	x, err := v.WholeNumbers(fields, map[string]any(doc))
	if err != nil {
		return nil, err
	}
	return strata.Doc(x.(map[string]any)), nil
}

// eqValue returns x, an --eq value, read as an int64 when it is a whole
// number and field of table (a path such as "settings.level") is an
// int64 field (see above).
func eqValue(db *strata.DB, table, field string, x any) (any, error) {
	return v.WholeNumbers(fieldAt(tableFields(db, table), field), x)
}

// fieldAt returns the validator of the field at path ("a.b") inside the
// object validator val, nil when there is none.
func fieldAt(val v.Validator, path string) v.Validator {
	for _, name := range strings.Split(path, ".") {
		if o, ok := val.(*v.OptionalType); ok {
			val = o.Elem
		}
		obj, ok := val.(v.Object)
		if !ok {
			return nil
		}
		val = obj[name]
	}
	return val
}
