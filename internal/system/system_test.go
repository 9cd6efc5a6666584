package system

import "testing"

func TestPackageOf(t *testing.T) {
	for _, tc := range []struct{ fn, want string }{
		{"github.com/strata-db/strata/migrate.init", "github.com/strata-db/strata/migrate"},
		{"github.com/strata-db/strata/migrate.init.func1", "github.com/strata-db/strata/migrate"},
		{"github.com/strata-db/strata/functions.(*Worker).run", "github.com/strata-db/strata/functions"},
		{"github.com/strata-db/strata_test.init", "github.com/strata-db/strata_test"},
		{"github.com/strata-db/strata/internal/system.TestPackageOf", "github.com/strata-db/strata/internal/system"},
		{"main.main", "main"},
	} {
		if got := packageOf(tc.fn); got != tc.want {
			t.Errorf("packageOf(%q) = %q, want %q", tc.fn, got, tc.want)
		}
	}
}

// TestCallerPackage: the grant follows the package that calls Open, not
// one it names.
func TestCallerPackage(t *testing.T) {
	if got := callerPackage(1); got != "github.com/strata-db/strata/internal/system" {
		t.Fatalf("callerPackage = %q", got)
	}
}
