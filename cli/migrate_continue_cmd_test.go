package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
)

// withDB runs fn on the env's database, opened and closed around it, as
// another process would.
func (e *env) withDB(fn func(db *strata.DB)) {
	e.t.Helper()
	db, err := strata.Open(context.Background(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// stopAfter returns a context that the returned progress callback cancels
// after n batches.
func stopAfter(n int) (context.Context, func(migrate.Progress)) {
	ctx, cancel := context.WithCancel(context.Background())
	seen := 0
	return ctx, func(migrate.Progress) {
		if seen++; seen == n {
			cancel()
		}
	}
}

const renameName = "003_rename_user_name"

// TestMigrateRunCLI: `migrate run NAME` finishes a start that was stopped
// after one batch, with plain progress lines, then says that complete is
// next; with --json it prints the status as JSON and nothing else; it
// finishes an interrupted rollback; an unknown name is an error that
// changes nothing.
func TestMigrateRunCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "set", e.file("v1.json", `{"tables":{"users":{"fields":{"userName":"string","email":"string"},"indexes":{}}}}`))
	e.ok("import", "users", e.file("u.jsonl", strings.Repeat(`{"userName":"ada","email":"a@x"}`+"\n", 250)))
	f, err := op.ParseFile([]byte(`{"name":"` + renameName + `","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e.withDB(func(db *strata.DB) {
		ctx, stop := stopAfter(1)
		if st, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Start(ctx, f); err == nil || st.State != migrate.Paused {
			t.Fatalf("interrupted start: %+v %v", st, err)
		}
	})

	out := e.ok("migrate", "run", renameName)
	if !strings.Contains(out, "run "+renameName+": 250/250") || !strings.Contains(out, "ready") {
		t.Errorf("run: %s", out)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("data", "users", "--limit", "0", "--json")), &docs); err != nil || len(docs) != 250 {
		t.Fatalf("data: %v %d", err, len(docs))
	}
	for _, d := range docs {
		if d["displayName"] != "ada" || d["userName"] != "ada" {
			t.Fatalf("document after run: %v", d)
		}
	}

	out = e.ok("migrate", "run", renameName, "--json")
	var sts []map[string]any
	if err := json.Unmarshal([]byte(out), &sts); err != nil || len(sts) != 1 {
		t.Fatalf("run --json: %v %q", err, out)
	}
	if sts[0]["state"] != "ready" || sts[0]["processed"] != 250.0 || !strings.Contains(sts[0]["message"].(string), "Complete it") {
		t.Errorf("run --json of a ready migration: %s", out)
	}

	e.withDB(func(db *strata.DB) {
		ctx, stop := stopAfter(1)
		if _, err := migrate.New(db, migrate.Options{OnProgress: stop}).Rollback(ctx, renameName); err == nil {
			t.Fatal("expected the rollback to stop")
		}
	})
	out = e.ok("migrate", "run", renameName, "--json")
	if err := json.Unmarshal([]byte(out), &sts); err != nil || len(sts) != 1 || sts[0]["state"] != "rolled_back" {
		t.Errorf("run --json of an interrupted rollback: %v %s", err, out)
	}
	docs = nil // Unmarshal would merge into the maps already there
	if err := json.Unmarshal([]byte(e.ok("data", "users", "--limit", "0", "--json")), &docs); err != nil || len(docs) != 250 {
		t.Fatalf("data: %v %d", err, len(docs))
	}
	for _, d := range docs {
		if _, ok := d["displayName"]; ok || d["userName"] != "ada" {
			t.Fatalf("document after the rollback: %v", d)
		}
	}

	// Bad input changes nothing.
	before := e.ok("migrate", "status", "--json")
	if _, errOut, err := e.run("migrate", "run", "nope"); err == nil || !strings.Contains(errOut, `"nope"`) || !strings.Contains(errOut, "never been started") {
		t.Errorf("unknown migration: %v %s", err, errOut)
	}
	if _, errOut, err := e.run("migrate", "run"); err == nil || errOut == "" {
		t.Errorf("no name: %v %s", err, errOut)
	}
	if _, errOut, err := e.run("migrate", "run", renameName, "extra"); err == nil || errOut == "" {
		t.Errorf("two names: %v %s", err, errOut)
	}
	if after := e.ok("migrate", "status", "--json"); after != before {
		t.Errorf("bad input changed the migrations:\n%s\n%s", before, after)
	}
}

// TestMigrateRunGoMigration: a Go migration that stopped halfway is
// refused by the plain command (which lacks its code) with a message that
// says where to run it, and is finished from its cursor by a binary that
// passes it in cli.Config.Migrations.
func TestMigrateRunGoMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	def := migrate.Migration{Name: "touch", Table: "items", BatchSize: 30, TargetBatchDuration: -1,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			n, _ := d.Float("touched") // a float64, which --json prints as a plain number
			return strata.Patch{"touched": n + 1}, nil
		}}
	e.withDB(func(db *strata.DB) {
		err := db.Mutation(context.Background(), func(tx *strata.Tx) error {
			for i := 0; i < 100; i++ {
				if _, err := tx.Insert("items", strata.Doc{"n": int64(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := stopAfter(1)
		m := migrate.New(db, migrate.Options{OnProgress: stop})
		m.Define(def)
		if st, err := m.Run(ctx, "touch"); err == nil || st.Processed != 30 {
			t.Fatalf("interrupted run: %+v %v", st, err)
		}
	})
	before := e.ok("migrate", "status", "--json")
	if _, errOut, err := e.run("migrate", "run", "touch"); err == nil || !strings.Contains(errOut, "written in Go") || !strings.Contains(errOut, "cli.MainConfig") {
		t.Errorf("plain binary: %v %s", err, errOut)
	}
	if after := e.ok("migrate", "status", "--json"); after != before {
		t.Errorf("the refused run changed the migration:\n%s\n%s", before, after)
	}

	var out, errOut bytes.Buffer
	cfg := cli.Config{Migrations: []migrate.Migration{def}}
	if err := cli.RunConfig(context.Background(), cfg, []string{"--db", e.db, "--json", "migrate", "run", "touch"}, &out, &errOut); err != nil {
		t.Fatalf("application binary: %v %s", err, errOut.String())
	}
	var sts []map[string]any
	if err := json.Unmarshal(out.Bytes(), &sts); err != nil || len(sts) != 1 || sts[0]["state"] != "completed" || sts[0]["processed"] != 100.0 {
		t.Errorf("run --json: %v %s", err, out.String())
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("data", "items", "--limit", "0", "--json")), &docs); err != nil || len(docs) != 100 {
		t.Fatalf("data: %v %d", err, len(docs))
	}
	for _, d := range docs {
		if d["touched"] != 1.0 {
			t.Fatalf("document visited %v times, want once: %v", d["touched"], d)
		}
	}
}
