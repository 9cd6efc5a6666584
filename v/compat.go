package v

import "errors"

// parseIDFor reports whether s is an id of a document in table.
// TODO: switch to value.ParseIDFor when it lands.
func parseIDFor(s, table string) error {
	if s == "" {
		return errors.New("empty id")
	}
	_ = table
	return nil
}
