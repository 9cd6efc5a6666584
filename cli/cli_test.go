package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
)

type env struct {
	t   *testing.T
	dir string
	db  string
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	return &env{t: t, dir: dir, db: "sqlite:" + filepath.Join(dir, "cli.db")}
}

// run runs the CLI and returns stdout, stderr and the error.
func (e *env) run(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), append([]string{"--db", e.db}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

func (e *env) ok(args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("strata %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func (e *env) file(name, content string) string {
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

const usersSchema = `{"tables":{"users":{"fields":{"name":"string","age":{"optional":"int64"},"blob":{"optional":"bytes"}},"indexes":{"by_name":["name"]}}}}`

func TestSchemaSetShow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A read-only command does not create the database it names.
	if _, errOut, err := e.run("schema", "show"); !errors.Is(err, cli.ErrNoDatabase) || !strings.Contains(errOut, "no database at") {
		t.Errorf("show before the database exists: %v %q", err, errOut)
	}
	e.ok("import", "other", e.file("o.jsonl", "{\"x\":1}\n"))
	if out := e.ok("schema", "show"); !strings.Contains(out, "no schema") {
		t.Errorf("show before set: %q", out)
	}
	e.ok("schema", "set", e.file("s.json", usersSchema))
	out := e.ok("schema", "show", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("show --json is not JSON: %v\n%s", err, out)
	}
	if !strings.Contains(out, "by_name") || !strings.Contains(out, "int64") {
		t.Errorf("show --json lost the schema: %s", out)
	}
	if out := e.ok("schema", "show"); !strings.Contains(out, "users") {
		t.Errorf("show: %q", out)
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "set", e.file("s.json", usersSchema))
	lines := `{"name":"Ada","age":{"$integer":"9007199254740993"},"blob":{"$bytes":"AAEC/w=="}}
{"name":"Grace"}
`
	e.ok("import", "users", e.file("u.jsonl", lines))
	dump1 := e.ok("export", "users")
	if n := strings.Count(dump1, "\n"); n != 2 {
		t.Fatalf("export wrote %d lines:\n%s", n, dump1)
	}
	if !strings.Contains(dump1, `"9007199254740993"`) || !strings.Contains(dump1, `"_id"`) {
		t.Errorf("export is not lossless: %s", dump1)
	}
	// Into a second database: ids, creation times and values survive.
	e2 := newEnv(t)
	e2.ok("schema", "set", e2.file("s.json", usersSchema))
	e2.ok("import", "users", e2.file("dump.jsonl", dump1))
	if dump2 := e2.ok("export", "users"); dump2 != dump1 {
		t.Errorf("round trip changed the export:\n%s\nvs\n%s", dump1, dump2)
	}
	out := e2.ok("data", "users", "--index", "by_name", "--eq", "name=Grace", "--json")
	var docs []map[string]any
	if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("data --json: %v %s", err, out)
	}
	out = e2.ok("data", "users", "--order", "desc", "--limit", "1")
	if !strings.Contains(out, "Grace") || strings.Contains(out, "Ada") {
		t.Errorf("data --order desc --limit 1: %s", out)
	}
}

// TestImportExportOverTransactionLimits: import (all or nothing, one
// transaction) and export (one snapshot) are strata's own work, exempt
// from the transaction limits of application code: 32,001 documents,
// above the default limits on documents written (16,000) and read
// (32,000), go in and come out whole.
func TestImportExportOverTransactionLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = strata.DefaultDocumentsRead + 1
	var lines strings.Builder
	for i := range n {
		fmt.Fprintf(&lines, "{\"name\":\"u%d\"}\n", i)
	}
	e.ok("import", "users", e.file("big.jsonl", lines.String()))
	if got := strings.Count(e.ok("export", "users"), "\n"); got != n {
		t.Errorf("export wrote %d lines, want %d", got, n)
	}
}

func TestCLIErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := [][]string{
		{"data"},
		{"data", "users", "--order", "sideways"},
		{"data", "users", "--eq", "a=b"},
		{"import", "users", filepath.Join(e.dir, "missing.jsonl")},
		{"schema", "set", filepath.Join(e.dir, "missing.json")},
		{"nosuchcommand"},
	}
	for _, args := range cases {
		_, errOut, err := e.run(args...)
		if err == nil {
			t.Errorf("strata %v: no error", args)
			continue
		}
		if !strings.HasPrefix(errOut, "strata: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("strata %v: stderr %q is not one line starting with 'strata: '", args, errOut)
		}
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		users, posts string
		want         []string
	}{
		{"600 users", "600", "900", []string{"schema set", "inserted 600 users", "refused", "getUser", "ten newest published posts", "paginated every user", "refused:", "tracked backfill", "migrate complete: completed", "0 refused"}},
		// One user: the demo reads two users at step 4; it must not read
		// past the one there is.
		{"one user", "1", "0", []string{"inserted 1 users and 0 posts", "getUser", "migrate complete: completed", "0 refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			// No --db: the demo makes its own SQLite file in --dir.
			var stdout, stderr bytes.Buffer
			err := cli.Run(context.Background(), []string{"demo", "--dir", filepath.Join(e.dir, "demo"), "--users", tc.users, "--posts", tc.posts}, &stdout, &stderr)
			if err != nil {
				t.Fatalf("demo: %v\n%s", err, stderr.String())
			}
			out := stdout.String()
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("demo output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestDefinitionFileCap gives every command that reads a schema or
// migration file one larger than 16 MiB, and an endless one (/dev/zero):
// each fails at once with an error stating the cap, instead of reading
// the whole file into memory.
func TestDefinitionFileCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := filepath.Join(e.dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(16<<20 + 1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	files := []string{big}
	if _, err := os.Stat("/dev/zero"); err == nil {
		files = append(files, "/dev/zero")
	}
	for _, file := range files {
		for _, cmd := range [][]string{
			{"schema", "push"}, {"schema", "set"}, {"schema", "diff"}, {"schema", "plan"},
			{"migrate", "start"}, {"migrate", "dry-run"},
		} {
			t.Run(strings.Join(cmd, "-")+"-"+filepath.Base(file), func(t *testing.T) {
				_, errOut, err := e.run(append(cmd, file)...)
				if err == nil || !strings.Contains(errOut, "larger than 16 MiB") || !strings.Contains(errOut, file) {
					t.Errorf("strata %s %s: %v: %s", strings.Join(cmd, " "), file, err, errOut)
				}
			})
		}
	}
}
