package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata/server"
)

// convexVersion is the convex npm package the node test installs.
const convexVersion = "1.51.0"

// convexDir returns a directory holding node_modules/convex at
// convexVersion, installing it with npm on first use: $STRATA_NODE_CACHE,
// or strata/node-convex-VERSION in the user's cache directory. The test is
// skipped when node or npm is missing, unless STRATA_REQUIRE_NODE is set
// (.ci/run sets it after installing them).
func convexDir(tb testing.TB) string {
	tb.Helper()
	missing := func(what string) {
		if os.Getenv("STRATA_REQUIRE_NODE") != "" {
			tb.Fatalf("%s is not on PATH and STRATA_REQUIRE_NODE is set", what)
		}
		tb.Skipf("%s is not on PATH: skipping the ConvexHttpClient test", what)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node")
	}
	dir := os.Getenv("STRATA_NODE_CACHE")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "strata", "node-convex-"+convexVersion)
	}
	pkg := filepath.Join(dir, "node_modules", "convex", "package.json")
	if b, err := os.ReadFile(pkg); err == nil && strings.Contains(string(b), `"version": "`+convexVersion+`"`) {
		return dir
	}
	if _, err := exec.LookPath("npm"); err != nil {
		missing("npm")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command("npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--ignore-scripts", "convex@"+convexVersion).CombinedOutput()
	if err != nil {
		tb.Fatalf("npm install convex@%s: %v\n%s", convexVersion, err, out)
	}
	return dir
}

// TestConvexHttpClient calls a strata server through the real convex npm
// package's ConvexHttpClient (testdata/convex_client.mjs): a query, a
// mutation, an argument validation error, int64, bytes and NaN round
// trips, functions that throw, internal functions and the admin key, an
// action.
func TestConvexHttpClient(t *testing.T) {
	dir := convexDir(t)
	script, err := os.ReadFile(filepath.Join("testdata", "convex_client.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	// The script must sit beside node_modules for node to resolve convex.
	path := filepath.Join(dir, "strata_convex_client_test.mjs")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		t.Fatal(err)
	}
	url, _ := startServer(t, server.Config{AdminKey: testAdminKey})
	out, err := exec.Command("node", path, url, testAdminKey).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("node %s: %v\n%s", path, err, out)
	}
}
