package migrate_test

import (
	"testing"

	"github.com/strata-db/strata"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

// eachBackend runs fn as a subtest per backend, "sqlite" (a temporary
// file) and "postgres" (a fresh schema from internal/pgtest; skipped, or
// failed under STRATA_REQUIRE_POSTGRES=1, when no server is available),
// each with a fresh, empty database whose consistency is checked when the
// subtest ends. The subtests run in parallel (each has its own database).
func eachBackend(t *testing.T, fn func(t *testing.T, db *strata.DB)) {
	t.Helper()
	for _, b := range []procBackend{procSQLite, procPostgres} {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			db, _ := procDB(t, b)
			fn(t, db)
		})
	}
}
