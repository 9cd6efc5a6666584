package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

func TestMigrateStatusAndSteering(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	db, err := strata.Open(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := 0; i < 100; i++ {
			if _, err := tx.Insert("users", strata.Doc{"n": int64(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) { cancel() }})
	m.Define(migrate.Migration{Name: "touch", Table: "users", BatchSize: 30, TargetBatchDuration: -1,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) { return strata.Patch{"touched": true}, nil }})
	m.Run(cctx, "touch")
	db.Close()

	out := e.ok("migrate", "status", "--json")
	var sts []map[string]any
	if err := json.Unmarshal([]byte(out), &sts); err != nil || len(sts) != 1 {
		t.Fatalf("status --json: %v %s", err, out)
	}
	for _, k := range []string{"name", "table", "state", "processed", "total", "error"} {
		if _, ok := sts[0][k]; !ok {
			t.Errorf("status --json lacks %q: %s", k, out)
		}
	}
	if sts[0]["state"] != "paused" || sts[0]["processed"] != 30.0 || sts[0]["total"] != 100.0 {
		t.Errorf("status: %s", out)
	}
	if out := e.ok("migrate", "status"); !strings.Contains(out, "30/100") || !strings.Contains(out, "paused") {
		t.Errorf("status table: %s", out)
	}
	if out := e.ok("migrate", "resume", "touch"); !strings.Contains(out, "running") {
		t.Errorf("resume: %s", out)
	}
	if out := e.ok("migrate", "cancel", "touch"); !strings.Contains(out, "canceled") {
		t.Errorf("cancel: %s", out)
	}
	e.ok("migrate", "reset", "touch")
	if out := e.ok("migrate", "status", "--json"); out != "[]\n" {
		t.Errorf("after reset: %s", out)
	}
	if _, errOut, err := e.run("migrate", "pause", "nope"); err == nil || !strings.Contains(errOut, "never been started") {
		t.Errorf("pause of an unknown migration: %v %s", err, errOut)
	}
}
