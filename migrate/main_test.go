package migrate_test

import (
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
)

// TestMain runs the package's tests through pgtest, which provides (and
// cleans up) the PostgreSQL server the multi-process tests and benchmarks
// use.
func TestMain(m *testing.M) { pgtest.Main(m) }
