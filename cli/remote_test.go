package cli_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/server"
)

const remoteKey = "remote-admin-key-4f1d0c9a7e"

// serveEnv serves e's database with the admin API on 127.0.0.1 and
// returns its URL.
func serveEnv(t *testing.T, e *env) string {
	t.Helper()
	db, err := strata.Open(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := server.New(server.Config{DB: db, Functions: fnApp(), AdminKey: remoteKey})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

// runAt runs the CLI with --db url and extra leading arguments.
func runAt(url string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), append([]string{"--db", url}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestRemoteCLI: with --db http://HOST:PORT every command that has an
// admin API route gives the output it gives on the database itself, the
// writing ones change the database as they do locally, and the others
// fail naming the command and that it needs a local database.
func TestRemoteCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", `{"tables":{"users":{"fields":{"name":"string","n":{"optional":"number"},"big":{"optional":"int64"},"blob":{"optional":"bytes"}},"indexes":{"by_name":["name"]}}}}`))
	e.ok("import", "users", e.file("u.jsonl", `{"name":"ada","n":{"$float":"NaN"},"big":{"$integer":"9007199254740993"},"blob":{"$bytes":"AAEC"}}`+"\n"+`{"name":"bob","n":{"$float":"-0"}}`+"\n"+`{"name":"cy","n":1.5}`+"\n"))
	scheduleNote(t, e.db)
	url := serveEnv(t, e)
	remote := func(args ...string) (string, string, error) {
		return runAt(url, append([]string{"--admin-key", remoteKey}, args...)...)
	}
	same := func(args ...string) {
		t.Helper()
		want, wantErr, lerr := e.run(args...)
		got, gotErr, rerr := remote(args...)
		if args[0] == "export" {
			// Remotely in _creationTime order, a page at a time.
			want, got = sortedLines(want), sortedLines(got)
		}
		if got != want || (lerr == nil) != (rerr == nil) {
			t.Errorf("strata %s:\nlocal (%v):\n%s%s\nremote (%v):\n%s%s", strings.Join(args, " "), lerr, want, wantErr, rerr, got, gotErr)
		}
	}
	v2 := e.file("v2.json", `{"tables":{"users":{"fields":{"name":"string","n":{"optional":"number"},"big":{"optional":"int64"},"blob":{"optional":"bytes"},"age":{"optional":"int64"}},"indexes":{"by_name":["name"],"by_age":["age"]}}}}`)
	reads := func() {
		t.Helper()
		for _, args := range [][]string{
			{"tables"}, {"tables", "--all"}, {"--json", "tables", "--all"},
			{"export", "users"}, {"export"}, {"export", "--system"}, {"export", "--format", "convex", "users"}, {"export", "nosuch"},
			{"schema", "show"}, {"--json", "schema", "show"},
			{"schema", "diff", v2}, {"--json", "schema", "diff", v2},
			{"migrate", "status"}, {"--json", "migrate", "status"},
			{"scheduled", "list"}, {"--json", "scheduled", "list"}, {"scheduled", "list", "--state", "canceled"},
			{"check"}, {"--json", "check"},
		} {
			same(args...)
		}
	}
	reads()

	// Writes: remotely, then the database read locally.
	if out, errOut, err := remote("schema", "push", "--dry-run", v2); err != nil || !strings.Contains(out, "dry run: nothing changed") {
		t.Fatalf("remote push --dry-run: %v %s%s", err, out, errOut)
	}
	if out := e.ok("schema", "diff", v2); strings.Contains(out, "no changes") {
		t.Fatalf("a dry run pushed: %s", out)
	}
	if out, errOut, err := remote("schema", "push", v2); err != nil || !strings.Contains(out, "schema pushed") {
		t.Fatalf("remote push: %v %s%s", err, out, errOut)
	}
	if out := e.ok("schema", "diff", v2); !strings.Contains(out, "no changes") {
		t.Fatalf("after the remote push: %s", out)
	}
	mig := e.file("m.json", `{"name":"003_age","operations":[{"add_field":{"table":"users","field":"age2","type":"int64","default":0}}]}`)
	if out, errOut, err := remote("migrate", "start", mig); err != nil || !strings.Contains(out, "003_age") {
		t.Fatalf("remote migrate start: %v %s%s", err, out, errOut)
	}
	same("migrate", "pause", "003_age") // refused: it is ready
	if out, errOut, err := remote("migrate", "complete", "003_age"); err != nil {
		t.Fatalf("remote migrate complete: %v %s%s", err, out, errOut)
	}
	if out := e.ok("--json", "migrate", "status", "003_age"); !strings.Contains(out, `"state":"completed"`) {
		t.Fatalf("after remote complete: %s", out)
	}
	jobs := e.ok("--json", "scheduled", "list")
	id := strings.SplitN(strings.SplitN(jobs, `"_id":"`, 2)[1], `"`, 2)[0]
	if out, errOut, err := remote("scheduled", "cancel", id); err != nil || out != "canceled "+id+"\n" {
		t.Fatalf("remote cancel: %v %q %s", err, out, errOut)
	}
	if out := e.ok("scheduled", "list", "--state", "canceled"); !strings.Contains(out, id) {
		t.Fatalf("after the remote cancel: %s", out)
	}
	reads()

	// Commands without a route, and options that need a local database.
	for _, args := range [][]string{
		{"data", "users"}, {"import", "users", e.file("x.jsonl", `{"name":"x"}`+"\n")}, {"migrate", "reset", "003_age"},
		{"check", "--repair-indexes"}, {"export", "--all"}, {"schema", "status"}, {"migrate", "dry-run", mig}, {"schema", "plan", v2},
	} {
		_, errOut, err := remote(args...)
		if err == nil || !strings.Contains(errOut, "needs a local database") {
			t.Errorf("remote %s: %v %s", strings.Join(args, " "), err, errOut)
		}
	}
	if _, errOut, err := remote("schema", "push", "--drop-tables", "--yes", v2); err == nil || !strings.Contains(errOut, "needs a local database") {
		t.Errorf("remote push --drop-tables: %v %s", err, errOut)
	}

	// The key: missing, wrong (never echoed).
	if _, errOut, err := runAt(url, "tables"); err == nil || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "STRATA_ADMIN_KEY") {
		t.Errorf("without a key: %v %s", err, errOut)
	}
	wrong := "wrong-key-0123456789abcdef"
	if _, errOut, err := runAt(url, "--admin-key", wrong, "tables"); err == nil || !strings.Contains(errOut, "401") || strings.Contains(errOut, wrong) {
		t.Errorf("with a wrong key: %v %s", err, errOut)
	}
	if _, errOut, err := runAt(url+"/nowhere", "--admin-key="+wrong, "check"); err == nil || strings.Contains(errOut, wrong) {
		t.Errorf("bad address: %v %s", err, errOut)
	}
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
