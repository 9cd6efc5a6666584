package cli_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/strata-db/strata/cli"
)

// cancelOnWrite cancels a context once its output contains a marker: a
// Ctrl-C at a known point of a command.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

// TestMigrateStepsCLI: start honours --batch-size and --max-batch-size
// (progress after the first batch of 10 of 100), an interrupted start says
// how to continue, run continues it and, like start, prints the next
// command; status keeps the message apart from the error.
func TestMigrateStepsCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("schema", "push", e.file("v1.json", `{"tables":{"users":{"fields":{"userName":"string"}}}}`))
	e.ok("import", "users", e.file("u.jsonl", strings.Repeat(`{"userName":"ada"}`+"\n", 100)))
	file := e.file("m1.json", `{"name":"m1","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{marker: "start m1: 10/100", cancel: cancel}
	var errOut bytes.Buffer
	err := cli.Run(ctx, []string{"--db", e.db, "migrate", "start", "--rewrite", "--batch-size", "10", "--max-batch-size", "10", "--rate", "100000", file}, out, &errOut)
	if err == nil || !strings.Contains(errOut.String(), "interrupted") || !strings.Contains(errOut.String(), `"strata --db `+e.db+` migrate run m1"`) {
		t.Fatalf("interrupted start: %v\nstdout:\n%s\nstderr:\n%s", err, out.buf.String(), errOut.String())
	}

	got := e.ok("migrate", "run", "m1", "--batch-size", "20", "--max-batch-size", "20")
	if !strings.Contains(got, "run m1: 30/100") || !strings.Contains(got, "next: strata --db "+e.db+" migrate complete m1") {
		t.Errorf("run:\n%s", got)
	}
	got = e.ok("migrate", "run", "m1")
	lines := strings.Split(got, "\n")
	if len(lines) < 2 || !strings.Contains(lines[0], "MESSAGE") || !strings.HasSuffix(strings.TrimSpace(lines[0]), "ERROR") ||
		!strings.Contains(lines[1], "ready: every document is migrated") || !strings.HasSuffix(strings.TrimSpace(lines[1]), " -") {
		t.Errorf("run of a ready migration: the message belongs under MESSAGE, ERROR empty:\n%s", got)
	}
	if _, errOut, err := e.run("migrate", "complete", "m1", "--batch-size", "-1"); err == nil || !strings.Contains(errOut, "must not be negative") {
		t.Errorf("negative batch size: %v %s", err, errOut)
	}
	if got := e.ok("migrate", "complete", "m1"); !strings.Contains(got, "completed") || strings.Contains(got, "next:") {
		t.Errorf("complete:\n%s", got)
	}
}
