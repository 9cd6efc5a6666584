package strata

import (
	"fmt"

	"github.com/strata-db/strata/value"
)

// checkTableName reports whether name may be written by applications: an
// identifier of at most 64 bytes that does not start with "_" (those are
// system tables, written only by strata itself).
func checkTableName(name string) error {
	if err := checkReadTableName(name); err != nil {
		return err
	}
	if name[0] == '_' {
		return fmt.Errorf("table %q is a system table: applications cannot write to it", name)
	}
	return nil
}

// checkReadTableName reports whether name is a table name at all: an
// identifier of at most 64 bytes (system tables, which start with "_",
// included).
func checkReadTableName(name string) error {
	if !value.ValidTableName(name) {
		return fmt.Errorf("invalid table name %q: use 1 to 64 letters, digits and _", name)
	}
	return nil
}
