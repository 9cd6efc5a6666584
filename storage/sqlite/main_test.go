package sqlite_test

import (
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
)

// TestMain runs the tests through pgtest.Main for its test settings (more
// parallel tests than CPUs, since these wait for commits; no PostgreSQL
// server is used here).
func TestMain(m *testing.M) { pgtest.Main(m) }
