package v

import (
	"slices"

	"github.com/strata-db/strata/internal/jsonpath"
)

func sortStrings(s []string) { slices.Sort(s) }

// duplicateKey reports the first object key that appears twice in one
// object of the valid JSON text data: encoding/json silently keeps the
// last of duplicates, and a validator file must not mean two things.
func duplicateKey(data []byte) (path, key string, dup bool) { return jsonpath.DuplicateKey(data) }
