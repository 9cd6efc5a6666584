package strata

import (
	"errors"
	"fmt"
)

// checkTableName reports whether name may be written by applications: an
// identifier of at most 64 bytes that does not start with "_" (those are
// system tables, written only by strata itself).
func checkTableName(name string) error {
	if name == "" {
		return errors.New("empty table name")
	}
	if len(name) > 64 {
		return fmt.Errorf("table name %q is longer than 64 bytes", name)
	}
	if name[0] == '_' {
		return fmt.Errorf("table %q is a system table: applications cannot write to it", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return fmt.Errorf("invalid table name %q: use letters, digits and _, starting with a letter", name)
		}
	}
	return nil
}
