// Package dbcheck verifies the consistency of a strata database for
// tests: it runs strata.DB.Check (the one implementation, which `strata
// check` runs too) and returns its problems as an error.
package dbcheck

import (
	"context"

	"github.com/strata-db/strata"
)

// Check runs db.Check and returns an error naming every problem found, or
// nil. It skips the storage engine's own check, which tests do not need
// after every test and which costs a read of the whole file.
func Check(ctx context.Context, db *strata.DB) error {
	rep, err := db.CheckWith(ctx, strata.CheckOptions{SkipEngine: true})
	if err != nil {
		return err
	}
	return rep.Err()
}
