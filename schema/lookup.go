package schema

import (
	"strings"

	"github.com/strata-db/strata/value"
)

// Lookup returns the value at the dotted path in doc ("email",
// "settings.theme"), and whether it is there. A missing field, a field
// holding value.Undef, or a path that goes through something other than an
// object is missing. Lookup does not allocate.
func Lookup(doc map[string]any, path string) (any, bool) {
	cur := doc
	for {
		seg, rest, more := strings.Cut(path, ".")
		x, ok := cur[seg]
		if !ok {
			return nil, false
		}
		if _, undef := x.(value.UndefinedValue); undef {
			return nil, false
		}
		if !more {
			return x, true
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, path = m, rest
	}
}
