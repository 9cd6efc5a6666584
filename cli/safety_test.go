package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/internal/pgtest"
)

// TestTyposAreErrors is issue point 3: a mistyped table or database path
// is an error naming what there is, and leaves nothing behind.
func TestTyposAreErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Read-only commands on a path with no database: an error, and no file.
	typo := "sqlite:" + filepath.Join(e.dir, "typo.db")
	for _, args := range [][]string{
		{"data", "users"}, {"schema", "show"}, {"export"}, {"tables"}, {"check"}, {"migrate", "status"},
	} {
		var out, errOut bytes.Buffer
		err := cli.Run(context.Background(), append([]string{"--db", typo}, args...), &out, &errOut)
		if !errors.Is(err, cli.ErrNoDatabase) || !strings.Contains(errOut.String(), "no database at "+filepath.Join(e.dir, "typo.db")) || !strings.Contains(errOut.String(), "schema push") {
			t.Errorf("strata %v on a missing database: %v: %s", args, err, errOut.String())
		}
		if _, err := os.Stat(filepath.Join(e.dir, "typo.db")); err == nil {
			t.Fatalf("strata %v created typo.db", args)
		}
	}
	// copy from a missing source: the same, and no destination either.
	to := filepath.Join(e.dir, "to.db")
	if _, errOut, err := e.run("copy", "--from", typo, "--to", "sqlite:"+to); !errors.Is(err, cli.ErrNoDatabase) || !strings.Contains(errOut, "--from: no database at") {
		t.Errorf("copy from a missing database: %v %s", err, errOut)
	}
	for _, p := range []string{"typo.db", "to.db"} {
		if _, err := os.Stat(filepath.Join(e.dir, p)); err == nil {
			t.Errorf("copy from a missing database created %s", p)
		}
	}

	e.ok("schema", "set", e.file("s.json", `{"tables":{"users":{"fields":{"name":"string"},"indexes":{"by_name":["name"]}},"posts":{"fields":{"title":"string"}}}}`))
	e.ok("import", "users", e.file("u.jsonl", "{\"name\":\"Ada\"}\n{\"name\":\"Grace\"}\n"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "user"}, `table "user" is not in the active schema and holds no documents (the schema declares posts, users)`},
		{[]string{"export", "nosuch"}, `"nosuch"`},
		{[]string{"import", "nosuch", e.file("n.jsonl", "{\"name\":\"x\"}\n")}, `table "nosuch" is not in the active schema (it declares posts, users)`},
		{[]string{"import", "nosuch", e.file("empty.jsonl", "")}, `table "nosuch" is not in the active schema`},
	} {
		out, errOut, err := e.run(c.args...)
		if !errors.Is(err, strata.ErrUnknownTable) || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("strata %v: %v, stdout %q, stderr %q; want ErrUnknownTable and %q", c.args, err, out, errOut, c.want)
		}
	}
	// A declared empty table reads as empty.
	if out := e.ok("data", "posts"); !strings.Contains(out, "(no documents)") {
		t.Errorf("data posts: %q", out)
	}
	// strata tables: counts, state and indexes; the failed import created nothing.
	out := e.ok("tables")
	for _, want := range []string{"TABLE", "posts  0", "users  2", "in schema", "by_name(name)"} {
		if !strings.Contains(out, want) {
			t.Errorf("tables lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "nosuch") || strings.Contains(out, "_schemas") {
		t.Errorf("tables lists a table it should not:\n%s", out)
	}
	if out := e.ok("tables", "--all"); !strings.Contains(out, "_schemas") || !strings.Contains(out, "system") {
		t.Errorf("tables --all lacks the system tables:\n%s", out)
	}
	if out := e.ok("tables", "--json"); !strings.Contains(out, `"table":"users","documents":2,"state":"in schema","indexes":[{"name":"by_name","fields":["name"],"state":"ready"}]`) {
		t.Errorf("tables --json: %s", out)
	}

	// Without a schema, a table exists once it holds documents.
	f := newEnv(t)
	f.ok("import", "users", f.file("u.jsonl", "{\"name\":\"Ada\"}\n"))
	if out := f.ok("tables"); !strings.Contains(out, "users  1          no schema") {
		t.Errorf("schemaless tables:\n%s", out)
	}
	for _, args := range [][]string{{"data", "usres"}, {"export", "usres"}} {
		_, errOut, err := f.run(args...)
		if !errors.Is(err, strata.ErrUnknownTable) || !strings.Contains(errOut, `no table "usres" in this database (its tables: users`) {
			t.Errorf("schemaless strata %v: %v %s", args, err, errOut)
		}
	}
}

// TestProgressLines is issue point 6: long work reports progress on
// stderr; when stderr is not a terminal, as a line every
// --progress-every (set tiny here, so that lines appear whatever the
// speed of the machine), and --progress-every 0 turns it off.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "set", e.file("s.json", usersSchema))
	var lines strings.Builder
	for i := range 3000 {
		lines.WriteString(`{"name":"u` + string(rune('a'+i%26)) + `"}` + "\n")
	}
	file := e.file("u.jsonl", lines.String())
	quiet := newEnv(t)
	quiet.ok("schema", "set", quiet.file("s.json", usersSchema))
	if _, errOut, err := quiet.run("--progress-every", "0", "import", "users", file); err != nil || errOut != "" {
		t.Errorf("import with --progress-every 0: %v, stderr %q", err, errOut)
	}
	copyTo := "sqlite:" + filepath.Join(e.dir, "copy.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "users", file}, "strata: import users: "},
		{[]string{"export", "users"}, "strata: export users: "},
		{[]string{"export", "--all"}, "strata: export users: "},
		{[]string{"copy", "--from", e.db, "--to", copyTo}, "strata: copy users (table "},
		{[]string{"check"}, "strata: check users: "},
	} {
		out, errOut, err := e.run(append([]string{"--progress-every", "1ns"}, c.args...)...)
		if err != nil {
			t.Fatalf("strata %v: %v\n%s", c.args, err, errOut)
		}
		if !strings.Contains(errOut, c.want) || strings.Contains(out, "strata: ") {
			t.Errorf("strata %v: stderr lacks %q (or stdout has progress):\n%.2000s", c.args, c.want, errOut)
		}
	}
}

// TestBackupRestore is issue point 7: export --all and import --all
// round-trip a database, schema, index builds, kept tables, migration
// state and scheduled functions included, into an empty one, on both
// backends; a plain export leaves the system tables out.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "set", e.file("s1.json", `{"tables":{
		"users":{"fields":{"name":"string","nick":{"optional":"string"},"age":{"optional":"int64"},"blob":{"optional":"bytes"}},"indexes":{"by_name":["name"]}},
		"notes":{"fields":{"text":"string","by":{"optional":{"id":"users"}}}},
		"logs":{"fields":{"msg":"string"}}}}`))
	e.ok("import", "users", e.file("u.jsonl", `{"name":"Ada","nick":"countess","age":{"$integer":"36"},"blob":{"$bytes":"AAEC/w=="}}
{"name":"Grace","nick":"amazing"}
{"name":"Edsger"}
`))
	e.ok("import", "logs", e.file("l.jsonl", "{\"msg\":\"a\"}\n{\"msg\":\"b\"}\n"))
	// logs leaves the schema and keeps its documents.
	e.ok("schema", "set", e.file("s2.json", `{"tables":{
		"users":{"fields":{"name":"string","nick":{"optional":"string"},"age":{"optional":"int64"},"blob":{"optional":"bytes"}},"indexes":{"by_name":["name"]}},
		"notes":{"fields":{"text":"string","by":{"optional":{"id":"users"}}}}}}`))
	// A declarative migration in progress and a scheduled function.
	e.ok("migrate", "start", e.file("m.json", `{"name":"nick_to_handle","operations":[{"rename_field":{"table":"users","from":"nick","to":"handle"}}]}`))
	scheduleNote(t, e.db)

	backup := e.ok("export", "--all")
	lines := strings.Split(strings.TrimSuffix(backup, "\n"), "\n")
	if !strings.HasPrefix(lines[0], `{"strata":"backup","tables":{`) || !strings.Contains(lines[0], `"version":{"$integer":"1"}`) ||
		!strings.HasPrefix(lines[len(lines)-1], `{"end":true,"tables":{`) || !strings.HasPrefix(lines[1], `{"doc":`) || !strings.Contains(lines[1], `"table":"_schemas"`) {
		t.Fatalf("backup does not have the header, _schemas first and the end line:\n%s", backup)
	}
	for _, want := range []string{`"table":"_migrations"`, `"table":"logs"`, `"ids":[[`} {
		if !strings.Contains(backup, want) {
			t.Errorf("backup lacks %s", want)
		}
	}
	// A plain export leaves the system tables out unless asked.
	if plain := e.ok("export"); strings.Contains(plain, `"_table":"_schemas"`) || !strings.Contains(plain, `"_table":"logs"`) {
		t.Errorf("plain export:\n%s", plain)
	}
	if sys := e.ok("export", "--system"); !strings.Contains(sys, `"_table":"_schemas"`) {
		t.Errorf("export --system lacks _schemas")
	}
	file := e.file("backup.jsonl", backup)

	targets := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "restored.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			r := &env{t: t, dir: t.TempDir(), db: tg.url(t)}
			out := r.ok("import", "--all", file)
			if !strings.Contains(out, "restored users: 3 document(s)") || !strings.Contains(out, "restored logs: 2 document(s)") {
				t.Errorf("import --all: %s", out)
			}
			// Byte for byte the same database: ids, creation times,
			// values, the id-typed fields of system documents.
			if got := r.ok("export", "--all"); got != backup {
				t.Errorf("the restored database exports differently:\n%s\nvs\n%s", got, backup)
			}
			for _, args := range [][]string{{"schema", "show", "--json"}, {"tables", "--all"}, {"migrate", "status"}, {"data", "users", "--index", "by_name", "--json"}} {
				// "UPDATED 1s ago" depends on when each command ran.
				ago := regexp.MustCompile(`\d+[smhd] ago`)
				if got, want := ago.ReplaceAllString(r.ok(args...), "ago"), ago.ReplaceAllString(e.ok(args...), "ago"); got != want {
					t.Errorf("strata %v differs after restore:\n%s\nvs\n%s", args, got, want)
				}
			}
			if out := r.ok("check"); !strings.Contains(out, "ok: no problems found") {
				t.Errorf("check of the restored database: %s", out)
			}
			// The migration goes on in the restored database.
			r.ok("migrate", "complete", "nick_to_handle")
			if out := r.ok("data", "users", "--json"); !strings.Contains(out, `"handle":"countess"`) || strings.Contains(out, `"nick"`) {
				t.Errorf("migration completed after restore: %s", out)
			}
			// Restoring again: the database is not empty.
			if _, errOut, err := r.run("import", "--all", file); !errors.Is(err, strata.ErrRestoreNotEmpty) || !strings.Contains(errOut, "not empty") {
				t.Errorf("restore into a non-empty database: %v %s", err, errOut)
			}
		})
	}
	// A truncated backup restores nothing.
	trunc := e.file("trunc.jsonl", strings.Join(lines[:len(lines)-1], "\n")+"\n")
	r := newEnv(t)
	if _, errOut, err := r.run("import", "--all", trunc); err == nil || !strings.Contains(errOut, "truncated") {
		t.Errorf("truncated backup: %v %s", err, errOut)
	}
	if out := r.ok("tables", "--all"); !strings.Contains(out, "no tables") {
		t.Errorf("a refused restore left tables:\n%s", out)
	}
	// A plain export is not a backup.
	if _, errOut, err := newEnv(t).run("import", "--all", e.file("plain.jsonl", e.ok("export"))); err == nil || !strings.Contains(errOut, "not a strata backup") {
		t.Errorf("plain export as a backup: %v %s", err, errOut)
	}
}

// scheduleNote schedules notes:add an hour from now in the database at
// url, as an application does.
func scheduleNote(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	app := fnApp()
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := app.Scheduler(tx).RunAfter(time.Hour, "notes:add", map[string]any{"text": "later"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if jobs, err := functions.ListJobs(ctx, db); err != nil || len(jobs) != 1 {
		t.Fatalf("scheduled jobs: %v %v", jobs, err)
	}
}

// TestDropTablesAsks is issue point 8: a push that would delete documents
// with --drop-tables needs --yes when it cannot ask (a script), and
// changes nothing without it; the refusal shows the counts.
func TestDropTablesAsks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "set", e.file("s1.json", `{"tables":{"users":{"fields":{"name":"string"}},"logs":{"fields":{"msg":"string"}},"empty":{"fields":{}}}}`))
	e.ok("import", "logs", e.file("l.jsonl", "{\"msg\":\"a\"}\n{\"msg\":\"b\"}\n"))
	onlyUsers := e.file("s2.json", `{"tables":{"users":{"fields":{"name":"string"}}}}`)
	_, errOut, err := e.run("schema", "push", "--drop-tables", onlyUsers)
	if err == nil || !strings.Contains(errOut, "--drop-tables deletes 2 documents: logs (2 documents)") || !strings.Contains(errOut, "add --yes") {
		t.Fatalf("push --drop-tables without --yes: %v %s", err, errOut)
	}
	if out := e.ok("tables"); !strings.Contains(out, "logs   2") || !strings.Contains(out, "empty") {
		t.Fatalf("the refused push changed the tables:\n%s", out)
	}
	// A dry run does not ask.
	if out := e.ok("schema", "push", "--drop-tables", "--dry-run", onlyUsers); !strings.Contains(out, "would drop table logs: 2 documents") {
		t.Errorf("dry run: %s", out)
	}
	e.ok("schema", "push", "--drop-tables", "--yes", onlyUsers)
	if out := e.ok("tables"); strings.Contains(out, "logs") {
		t.Errorf("push --drop-tables --yes kept logs:\n%s", out)
	}
	// Dropping only empty tables deletes nothing: no question.
	e.ok("schema", "set", e.file("s3.json", `{"tables":{"users":{"fields":{"name":"string"}},"gone":{"fields":{}}}}`))
	e.ok("schema", "push", "--drop-tables", onlyUsers)
}

// TestDemoHonoursDB is issue point 9: demo runs on the database --db
// names (here PostgreSQL), which must be empty.
func TestDemoHonoursDB(t *testing.T) {
	t.Parallel()
	e := &env{t: t, dir: t.TempDir(), db: pgtest.URL(t)}
	out := e.ok("demo", "--users", "20", "--posts", "30")
	if !strings.Contains(out, "strata demo: database postgres://") || strings.Contains(out, "embedded database") || !strings.Contains(out, "0 refused") {
		t.Errorf("demo on --db postgres:\n%s", out)
	}
	if out := e.ok("tables"); !strings.Contains(out, "\nusers ") || strings.Contains(out, "users  0") {
		t.Errorf("the demo did not write to --db:\n%s", out)
	}
	if _, errOut, err := e.run("demo", "--users", "5"); err == nil || !strings.Contains(errOut, "is not empty") {
		t.Errorf("demo on a non-empty --db: %v %s", err, errOut)
	}
	if _, errOut, err := e.run("demo", "--dir", e.dir); err == nil || !strings.Contains(errOut, "not both") {
		t.Errorf("demo --db --dir: %v %s", err, errOut)
	}
}
