package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/internal/pgtest"
)

// TestNoPasswordInOutput runs failing commands whose database URLs hold a
// password in every form a user may write one, and checks that neither
// stdout, stderr nor the returned error repeats it, and that a libpq
// key=value string is refused without creating a file named after it.
func TestNoPasswordInOutput(t *testing.T) {
	const pw = "S3cr3tPW"
	dir := t.TempDir()
	t.Chdir(dir) // a key=value string taken for a path would create a file here
	sq := "sqlite:" + filepath.Join(dir, "x.db")
	// The source of the copies exists (copy refuses a missing one first).
	if err := cli.Run(context.Background(), []string{"--db", sq, "import", "t", os.DevNull}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"userinfo", []string{"--db", "postgres://postgres:" + pw + "@127.0.0.1:1/x?connect_timeout=5", "schema", "show"}, "xxxxx"},
		{"userinfo json", []string{"--json", "--db", "postgres://postgres:" + pw + "@127.0.0.1:1/x?connect_timeout=5", "schema", "show"}, "xxxxx"},
		{"escaped userinfo", []string{"--db", "postgres://postgres:" + pw + "%2Fx@127.0.0.1:1/x", "data", "users"}, "xxxxx"},
		{"password parameter", []string{"--db", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&password=" + pw, "schema", "show"}, "password=xxxxx"},
		{"password parameter, --db=", []string{"--db=postgres://postgres@127.0.0.1:1/x?password=" + pw, "export"}, "password=xxxxx"},
		{"unparsable URL", []string{"--db", "postgres://postgres:" + pw + "@[::1:5432/x", "schema", "show"}, "missing ']'"},
		{"key=value", []string{"--db", "host=127.0.0.1 password=" + pw + " dbname=x", "schema", "show"}, "postgres://"},
		{"key=value quoted", []string{"--db", "host=127.0.0.1 password='" + pw + " x' dbname=x", "data", "users"}, "postgres://"},
		{"copy from", []string{"copy", "--from", "postgres://postgres@127.0.0.1:1/x?password=" + pw, "--to", sq}, "source"},
		{"copy to key=value", []string{"copy", "--from", sq, "--to", "host=127.0.0.1 password=" + pw + " dbname=x"}, "postgres://"},
		{"copy to unparsable", []string{"copy", "--from", sq, "--to", "postgresql://u:" + pw + "@[::1/x"}, "destination"},
		{"bench key=value", []string{"bench", "migrate", "--backend", "postgres", "host=127.0.0.1 password=" + pw}, "postgres://"},
		{"bench unparsable", []string{"bench", "migrate", "--backend", "postgres", "postgres://u:" + pw + "@[::1/x", "--docs", "10"}, "bench"},
		{"empty --db", []string{"--db", "", "schema", "show"}, "--db is empty"},
		{"blank --db", []string{"--db=  ", "export"}, "--db is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := runArgs(c.args...)
			if err == nil {
				t.Fatalf("strata %v: no error\n%s", c.args, out)
			}
			for what, s := range map[string]string{"stdout": out, "stderr": errOut, "error": err.Error()} {
				if strings.Contains(s, pw) {
					t.Errorf("%s shows the password: %s", what, s)
				}
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.HasPrefix(errOut, "strata: ") {
				t.Errorf("stderr %q does not start with 'strata: '", errOut)
			}
		})
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), "=") || e.Name() == "strata.db" {
			t.Errorf("a file was created from a bad --db: %q", e.Name())
		}
	}
}

// runArgs runs the command line with args as given (no --db added).
func runArgs(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestExportKeepsPasswordText exports, through a URL with a password, a
// document whose text is that password: the export is data and shows it
// as stored (only messages are scrubbed).
func TestExportKeepsPasswordText(t *testing.T) {
	t.Parallel()
	const pw = "S3cr3tPW"
	u, err := url.Parse(pgtest.URL(t)) // the test server trusts loopback connections
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	db := u.String()
	f := filepath.Join(t.TempDir(), "d.jsonl")
	if err := os.WriteFile(f, []byte(`{"name":"`+pw+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runArgs("--db", db, "import", "users", f); err != nil {
		t.Fatal(err, errOut)
	}
	out, errOut, err := runArgs("--db", db, "export", "users")
	if err != nil {
		t.Fatal(err, errOut)
	}
	if !strings.Contains(out, `"name":"`+pw+`"`) {
		t.Errorf("export changed the data: %s", out)
	}
}
