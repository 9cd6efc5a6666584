package migrate_test

import (
	"os"
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/migrate/internal/migproc"
)

// migprocEnv, set to 1, makes the test binary the helper process of the
// multi-process tests (startHelper).
const migprocEnv = "MIGPROC"

// TestMain runs the package's tests through pgtest, which provides (and
// cleans up) the PostgreSQL server the multi-process tests and benchmarks
// use; with migprocEnv set it runs the binary as the helper process
// (migproc.Main) instead.
func TestMain(m *testing.M) {
	if os.Getenv(migprocEnv) == "1" {
		migproc.Main()
	}
	pgtest.Main(m)
}
