package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
)

// procHelperEnv, when set in the environment, makes the test binary act
// as one OS process of a multi-process test instead of running the tests:
// "hold" (holdWriteLock) or "cli" (runCLIHelper).
const procHelperEnv = "STRATA_CLI_PROC_HELPER"

func init() {
	switch os.Getenv(procHelperEnv) {
	case "":
		return
	case "hold":
		os.Exit(holdWriteLock())
	case "cli":
		os.Exit(runCLIHelper())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", procHelperEnv, os.Getenv(procHelperEnv))
		os.Exit(2)
	}
}

// holdWriteLock opens STRATA_PROC_DB and runs one write transaction that
// inserts a document into "holder", prints "holding" and keeps the
// transaction (and SQLite's write lock) open until its standard input
// closes; then it commits.
// holderSchema is usersSchema with the table the helper writes: with a
// schema, only declared tables can be written.
var holderSchema = strings.Replace(usersSchema, `{"tables":{`, `{"tables":{"holder":{"fields":{"n":"int64"}},`, 1)

func holdWriteLock() int {
	ctx := context.Background()
	db, err := strata.Open(ctx, os.Getenv("STRATA_PROC_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		if _, err := tx.Insert("holder", strata.Doc{"n": int64(1)}); err != nil {
			return err
		}
		fmt.Println("holding")
		_, err := io.Copy(io.Discard, os.Stdin)
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// runCLIHelper prints "started", then runs the command line with the JSON
// array of arguments in STRATA_PROC_ARGS.
func runCLIHelper() int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("STRATA_PROC_ARGS")), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("started")
	if err := cli.Run(context.Background(), args, os.Stdout, os.Stderr); err != nil {
		return 1
	}
	return 0
}

// proc is a helper process of this test binary.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr strings.Builder
	rest   strings.Builder // stdout after the first line
	done   chan struct{}   // closed once stdout is read to the end
}

// startProc starts the test binary as helper mode with env, and waits for
// its first line of output, which must be want.
func startProc(t testing.TB, mode, want string, env ...string) *proc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: exec.Command(self), done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), procHelperEnv+"="+mode), env...)
	p.cmd.Stderr = &p.stderr
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.stdin.Close()
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
	p.lines = bufio.NewScanner(out)
	if !p.lines.Scan() || p.lines.Text() != want {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		t.Fatalf("helper %s: first line %q, want %q; stderr:\n%s", mode, p.lines.Text(), want, p.stderr.String())
	}
	go func() {
		defer close(p.done)
		for p.lines.Scan() {
			p.rest.WriteString(p.lines.Text() + "\n")
		}
	}()
	return p
}

// wait closes the helper's standard input and waits for it to exit.
func (p *proc) wait() error {
	_ = p.stdin.Close()
	<-p.done
	return p.cmd.Wait()
}

// TestSQLiteReadersDoNotWaitForWriters: while another process holds a
// write transaction open, opening the database and reading it (schema
// show, data, export: strata.Open and a query) answers at once instead of
// waiting for the write lock and failing with "database is locked".
func TestSQLiteReadersDoNotWaitForWriters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A busy timeout shorter than the test: before the fix, Open waited
	// for the write lock and failed after it.
	e.db += "?busy_timeout=2s"
	e.ok("schema", "set", e.file("s.json", holderSchema))
	e.ok("import", "users", e.file("u.jsonl", "{\"name\":\"Ada\"}\n{\"name\":\"Grace\"}\n"))

	holder := startProc(t, "hold", "holding", "STRATA_PROC_DB="+e.db)
	for _, args := range [][]string{
		{"schema", "show"},
		{"data", "users"},
		{"export", "users"},
		{"data", "users", "--index", "by_name", "--eq", "name=Grace", "--json"},
	} {
		t0 := time.Now()
		out, errOut, err := e.run(args...)
		took := time.Since(t0)
		if err != nil {
			t.Fatalf("strata %s while another process holds a write transaction: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		if args[0] != "schema" && !strings.Contains(out, "Grace") {
			t.Errorf("strata %s: %q lacks Grace", strings.Join(args, " "), out)
		}
		t.Logf("strata %s during a write transaction of another process: %v", strings.Join(args, " "), took)
	}
	// The holder was still in its transaction throughout: it commits only
	// now, and its document appears only now.
	if err := holder.wait(); err != nil {
		t.Fatalf("holder: %v\n%s", err, holder.stderr.String())
	}
	if n := countDocs(t, e.db, "holder"); n != 1 {
		t.Errorf("%d holder documents after its commit, want 1", n)
	}
}

// TestSQLiteConcurrentImportProcesses: several processes importing into
// one SQLite file at once, while yet another holds the write lock for
// longer than the old 5 s busy timeout, all succeed: they open without the
// write lock and their writes wait their turn (busy_timeout 60 s by
// default) instead of failing with "database is locked".
func TestSQLiteConcurrentImportProcesses(t *testing.T) {
	t.Parallel()
	const procs, lines = 4, 5000
	// Longer than the old default busy timeout (5 s), far below the new
	// one (60 s).
	const hold = 6 * time.Second
	e := newEnv(t)
	e.ok("schema", "set", e.file("s.json", holderSchema))
	var b strings.Builder
	for i := range lines {
		fmt.Fprintf(&b, "{\"name\":\"user %d\",\"age\":{\"$integer\":\"%d\"}}\n", i, i)
	}
	file := e.file("u.jsonl", b.String())

	holder := startProc(t, "hold", "holding", "STRATA_PROC_DB="+e.db)
	args, err := json.Marshal([]string{"--db", e.db, "import", "users", file})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	importers := make([]*proc, procs)
	var wg sync.WaitGroup
	for i := range importers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			importers[i] = startProc(t, "cli", "started", "STRATA_PROC_ARGS="+string(args))
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	time.Sleep(hold)
	if err := holder.wait(); err != nil {
		t.Fatalf("holder: %v\n%s", err, holder.stderr.String())
	}
	for i, p := range importers {
		if err := p.wait(); err != nil {
			t.Errorf("importer %d: %v\n%s", i, err, p.stderr.String())
			continue
		}
		if want := fmt.Sprintf("imported %d document(s)", lines); !strings.Contains(p.rest.String(), want) {
			t.Errorf("importer %d printed %q, want %q", i, p.rest.String(), want)
		}
	}
	t.Logf("%d processes x %d lines imported behind a %v write transaction in %v", procs, lines, hold, time.Since(t0))
	if t.Failed() {
		return
	}
	if n := countDocs(t, e.db, "users"); n != procs*lines {
		t.Errorf("%d documents, want %d", n, procs*lines)
	}
}

// countDocs counts the documents of table in the database at url.
func countDocs(t testing.TB, url, table string) int64 {
	t.Helper()
	db, err := strata.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.Query(context.Background(), func(tx *strata.Tx) error {
		var err error
		n, err = tx.Table(table).Count()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
