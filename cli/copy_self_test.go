package cli_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/internal/pgtest"
)

// seedForCopy fills the database at url with two documents and returns
// its export.
func seedForCopy(t *testing.T, dbURL string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	dir := t.TempDir()
	f := filepath.Join(dir, "u.jsonl")
	if err := os.WriteFile(f, []byte("{\"name\":\"Ada\"}\n{\"name\":\"Grace\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runCLI(dbURL, &out, &errOut, "import", "users", f); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	return exportOf(t, dbURL)
}

// TestCopyOntoItself copies a database onto itself, written in several
// ways, with --force: each is refused with an error saying so, and the
// data is intact. Copies between different stores of one server still
// work.
func TestCopyOntoItself(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		path := filepath.Join(dir, "x.db")
		src := "sqlite:" + path
		want := seedForCopy(t, src)
		if err := os.Symlink(path, filepath.Join(dir, "link.db")); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(path, filepath.Join(dir, "hard.db")); err != nil {
			t.Fatal(err)
		}
		for _, to := range []string{
			src,
			"sqlite:" + dir + "/./x.db",
			"sqlite:x.db",
			"./x.db",
			"x.db",
			path,
			"sqlite://" + path,
			"sqlite:" + path + "?synchronous=normal",
			"sqlite:link.db",
			"sqlite:hard.db",
		} {
			var out, errOut bytes.Buffer
			err := cliRun([]string{"copy", "--force", "--from", src, "--to", to}, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), "same database") {
				t.Errorf("copy --force --to %s: %v", to, err)
			}
			if got := exportOf(t, src); got != want {
				t.Fatalf("copy --force --to %s changed the source:\n%s", to, got)
			}
		}
		// Another file still copies.
		other := "sqlite:" + filepath.Join(dir, "y.db")
		var out, errOut bytes.Buffer
		if err := cliRun([]string{"copy", "--from", src, "--to", other}, &out, &errOut); err != nil {
			t.Fatalf("copy to another file: %v\n%s", err, errOut.String())
		}
		if got := exportOf(t, other); got != want {
			t.Errorf("copy differs")
		}
	})
	t.Run("postgres", func(t *testing.T) {
		src := pgtest.URL(t)
		want := seedForCopy(t, src)
		u, err := url.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		var same []string
		same = append(same, src, pgtest.WithParam(src, "application_name", "another"))
		if host := u.Hostname(); host == "127.0.0.1" || host == "localhost" {
			other := *u
			alt := "localhost"
			if host == "localhost" {
				alt = "127.0.0.1"
			}
			other.Host = alt + ":" + u.Port()
			same = append(same, other.String())
		} else {
			t.Logf("server host %q: the 127.0.0.1/localhost spelling is not tried", host)
		}
		for _, to := range same {
			var out, errOut bytes.Buffer
			err := cliRun([]string{"copy", "--force", "--from", src, "--to", to}, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), "same database") {
				t.Errorf("copy --force --to %s: %v", to, err)
			}
			if got := exportOf(t, src); got != want {
				t.Fatalf("copy --force --to %s changed the source:\n%s", to, got)
			}
		}
		// Another schema of the same database and another database of
		// the same server are other stores: the copy works.
		otherDB := newDatabase(t)
		for _, to := range []string{pgtest.URL(t), otherDB} {
			var out, errOut bytes.Buffer
			if err := cliRun([]string{"copy", "--force", "--from", src, "--to", to}, &out, &errOut); err != nil {
				t.Fatalf("copy to %s: %v\n%s", to, err, errOut.String())
			}
			if got := exportOf(t, to); got != want {
				t.Errorf("copy to %s differs", to)
			}
		}
	})
}

// newDatabase creates a database on the test server, dropped when t ends,
// and returns its URL.
func newDatabase(t *testing.T) string {
	t.Helper()
	admin := pgtest.AdminURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	name := pgx.Identifier{"strata_test_copy_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "_")}.Sanitize()
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	})
	return pgtest.WithDatabase(admin, strings.Trim(name, `"`))
}
