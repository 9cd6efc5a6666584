package seedmigrations_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/examples/seedmigrations"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/v"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestSeedMigrations runs the seed's five changes as migration files on
// SQLite and PostgreSQL.
func TestSeedMigrations(t *testing.T) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "seed.db")
			if b == "postgres" {
				url = pgtest.URL(t)
			}
			testSeedMigrations(t, url)
		})
	}
}

func testSeedMigrations(t *testing.T, url string) {
	ctx := context.Background()
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out bytes.Buffer
	if err := seedmigrations.Run(ctx, db, 120, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got := strings.Count(out.String(), "(instant: no document rewritten"); got != len(seedmigrations.Files) {
		t.Errorf("%d instant starts, want every one:\n%s", got, out.String())
	}
	if got := strings.Count(out.String(), "complete → completed"); got != len(seedmigrations.Files) {
		t.Errorf("%d completed:\n%s", got, out.String())
	}
	if !strings.Contains(out.String(), `displayName = "user0"`) || !strings.Contains(out.String(), "newest published: post 118") {
		t.Errorf("output:\n%s", out.String())
	}
	fields := func(table string) v.Object { return db.Schema().Tables[table].Fields }
	if fields("users")["userName"] != nil || fields("users")["displayName"] == nil || fields("users")["avatarUrl"] == nil ||
		fields("posts")["legacyField"] != nil || fields("tasks")["priority"] != nil || fields("tasks")["priorityLevel"] == nil {
		t.Errorf("final schema: %v", db.Schema())
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Error(err)
	}
}
