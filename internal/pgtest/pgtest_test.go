package pgtest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func query1(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("SELECT 1: %d, %v", n, err)
	}
}

// TestPrivateServer forces the throw-away server path, whatever
// STRATA_TEST_POSTGRES says: initdb, start on a free port, stop, and the
// directory is gone afterwards.
func TestPrivateServer(t *testing.T) {
	if _, err := pgtest.BinDir(); err != nil && os.Getenv(pgtest.EnvRequire) != "1" {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	s, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	query1(t, s.URL)
	pid := filepath.Join(dataDir(t, s), "postmaster.pid")
	if _, err := os.Stat(pid); err != nil {
		t.Fatalf("no postmaster.pid while running: %v", err)
	}
	s.Stop()
	s.Stop() // idempotent
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Fatalf("server directory still there after Stop: %v", err)
	}
	ctx := context.Background()
	if c, err := pgx.Connect(ctx, s.URL); err == nil {
		c.Close(ctx)
		t.Fatal("server still answers after Stop")
	}
}

func dataDir(t *testing.T, s *pgtest.Server) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var dir string
	if err := c.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestURLIsolation checks that two URLs are two empty, separate places.
func TestURLIsolation(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.URL(t), pgtest.URL(t)
	if a == b {
		t.Fatalf("two calls returned the same URL %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE x (n int)"); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	if _, err := cb.Exec(ctx, "CREATE TABLE x (n int)"); err != nil {
		t.Fatalf("the second URL sees the first one's table: %v", err)
	}
	query1(t, pgtest.AdminURL(t))
}
