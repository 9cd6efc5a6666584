package migrate_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/migrate"
)

// The tests in this file drive real OS processes: the test binary itself,
// run as the helper (migrate/internal/migproc, through TestMain), runs
// the migration "count_once" over the table "docs" (and, with --writers,
// writes to it).

// procBackend names a backend of the multi-process tests.
type procBackend string

const (
	procSQLite   procBackend = "sqlite"
	procPostgres procBackend = "postgres"
)

// eachProcBackend runs fn as parallel subtests on SQLite and PostgreSQL
// (skipped, loudly, when no PostgreSQL server is available).
func eachProcBackend(t *testing.T, fn func(t *testing.T, b procBackend)) {
	for _, b := range []procBackend{procSQLite, procPostgres} {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// procDB opens a fresh, empty database on b and returns it with its URL,
// for the helper processes to open too.
func procDB(t testing.TB, b procBackend) (*strata.DB, string) {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "m.db") + "?synchronous=normal"
	if b == procPostgres {
		url = pgtest.URL(t)
	}
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Errorf("consistency: %v", err)
		}
		db.Close()
	})
	return db, url
}

// seedDocs inserts n documents {counter: 0, initial: true} into "docs".
func seedDocs(t testing.TB, db *strata.DB, n int) {
	t.Helper()
	for lo := 0; lo < n; lo += 1000 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < min(lo+1000, n); i++ {
				if _, err := tx.Insert("docs", strata.Doc{"counter": int64(0), "initial": true, "n": int64(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// helperProc is a running helper process whose stdout lines arrive on a
// channel.
type helperProc struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *strings.Builder
}

func startHelper(t testing.TB, url string, args ...string) *helperProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, append([]string{"--db", url}, args...)...)
	cmd.Env = append(os.Environ(), migprocEnv+"=1")
	p := &helperProc{cmd: cmd, lines: make(chan string, 1024), stderr: &strings.Builder{}}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // progress lines nobody waits for
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	return p
}

// waitLine waits for a line starting with prefix; it returns "" if the
// process ended (or d passed) first.
func (p *helperProc) waitLine(prefix string, d time.Duration) string {
	timeout := time.After(d)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				return ""
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			return ""
		}
	}
}

// killRepeatedly starts the helper with args and kills it (SIGKILL) at a
// random moment within 150 ms of its first progress line, until it has
// killed it want times (it fails the test after 3*want attempts), or
// until a run ends before its kill (the work is done): it returns the
// kills.
func killRepeatedly(t *testing.T, want int, url string, args ...string) int {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	kills := 0
	for attempt := 0; kills < want; attempt++ {
		if attempt == 3*want {
			t.Fatalf("only %d kills in %d attempts", kills, attempt)
		}
		p := startHelper(t, url, args...)
		if l := p.waitLine("progress", 60*time.Second); l == "" {
			err := p.cmd.Wait()
			t.Fatalf("helper ended before a batch: %v\n%s", err, p.stderr)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			// It finished before the signal: the work is done.
			t.Logf("helper exited before the kill: %v\n%s", err, p.stderr)
			break
		}
		kills++
	}
	return kills
}

// TestKill9Migration kills a process running a migration with concurrent
// writers (in the same process) at random moments, at least ten times,
// restarting it each time; the last process finishes the migration. Then
// every document's counter is exactly 1, the document count equals the
// seed plus inserts minus deletes, no write escaped the write transform,
// and the tracking document's counts are exact: every document visited by
// the scan was changed (processed == changed), and the documents visited
// are the seeded ones still present plus the seeded ones deleted after the
// scan migrated them.
func TestKill9Migration(t *testing.T) {
	t.Parallel()
	eachProcBackend(t, testKill9Migration)
}

func testKill9Migration(t *testing.T, b procBackend) {
	// A run commits one batch (the first, BatchSize 100) before its first
	// progress line and at most 150ms / 250µs = 600 documents more before
	// it is killed: ten runs cannot finish 10,000. (The final run has no
	// per-document delay, so the seed's size is what the test pays for.)
	n := 10_000
	db, url := procDB(t, b)
	seedDocs(t, db, n)
	const wantKills = 10
	// The migration function takes 250µs a document, so that the
	// migration lasts long enough for ten kills, most of them inside a
	// batch's transaction. Each run first waits for the lease of the run
	// killed before it to expire: a short lease keeps the test short (one
	// process runs at a time, so no other process takes over an expired
	// lease from a live runner).
	kills := killRepeatedly(t, wantKills, url, "--writers", "2", "--lease", "100ms", "--per-doc", "250us")
	st, err := migrate.StatusOf(ctx, db, "count_once")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d kills; before the last run: %+v", kills, st)
	if kills < wantKills {
		t.Errorf("%d kills, want at least %d (the migration ran too fast to be killed)", kills, wantKills)
	}
	if st.State != migrate.Completed {
		p := startHelper(t, url, "--writers", "2", "--lease", "100ms")
		line := p.waitLine("completed", 5*time.Minute)
		if err := p.cmd.Wait(); err != nil || line == "" {
			t.Fatalf("final run: %v %q\n%s", err, line, p.stderr)
		}
	}
	if st, err = migrate.StatusOf(ctx, db, "count_once"); err != nil {
		t.Fatal(err)
	}
	if st.State != migrate.Completed || st.Processed != st.Changed {
		t.Errorf("tracking: state %s, processed %d, changed %d; want completed, processed == changed", st.State, st.Processed, st.Changed)
	}
	if st.Total != int64(n) {
		t.Errorf("total %d, want %d (the seed)", st.Total, n)
	}

	var docs, initialLeft, inserts, deletes, deletedVisited, untransformed int64
	counters := map[int64]int64{}
	// A check of the whole table, not application work: no limits.
	err = db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
		err := tx.Table("docs").Each(func(d strata.Doc) error {
			docs++
			c, _ := d.Int("counter")
			if !d.Has("migrated") {
				c = -1
			}
			counters[c]++
			if ini, _ := d.Bool("initial"); ini {
				initialLeft++
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Table("log").Each(func(d strata.Doc) error {
			switch d.StringOr("op", "") {
			case "insert":
				inserts++
				if tr, _ := d.Bool("transformed"); !tr {
					untransformed++
				}
			case "delete":
				deletes++
				ini, _ := d.Bool("initial")
				mig, _ := d.Bool("migrated")
				if ini && mig {
					deletedVisited++
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seed %d, inserts %d, deletes %d, documents %d; processed %d in %d batches", n, inserts, deletes, docs, st.Processed, st.Batches)
	if counters[1] != docs || len(counters) != 1 {
		t.Errorf("counters (value -> documents; -1 = not migrated): %v, want all %d at 1", counters, docs)
	}
	if want := int64(n) + inserts - deletes; docs != want {
		t.Errorf("%d documents, want seed + inserts - deletes = %d", docs, want)
	}
	if untransformed != 0 {
		t.Errorf("%d inserts were not transformed on write", untransformed)
	}
	if want := initialLeft + deletedVisited; st.Processed != want {
		t.Errorf("processed %d, want seeded documents left (%d) + seeded documents deleted after their batch (%d) = %d",
			st.Processed, initialLeft, deletedVisited, want)
	}
	if inserts == 0 || deletes == 0 {
		t.Errorf("writers did nothing: %d inserts, %d deletes", inserts, deletes)
	}
}

// TestTwoProcessesStartSameMigration starts the same migration in two
// processes at the same moment: one runs it to the end, the other reports
// that it is running elsewhere (exit code 3, "running-elsewhere").
func TestTwoProcessesStartSameMigration(t *testing.T) {
	t.Parallel()
	eachProcBackend(t, testTwoProcessesStartSameMigration)
}

func testTwoProcessesStartSameMigration(t *testing.T, b procBackend) {
	const n = 500
	db, url := procDB(t, b)
	seedDocs(t, db, n)
	// The migration is rate-limited to 250 documents a second, so the run
	// lasts about 2 s with pauses between batches, and the second claim
	// (both processes call Run at the same moment) comes while the first
	// runner holds the lease.
	at := strconv.FormatInt(time.Now().Add(time.Second).UnixMilli(), 10)
	var procs []*helperProc
	for range 2 {
		procs = append(procs, startHelper(t, url, "--once", "--start-at", at, "--rate", "250", "--lease", "10s"))
	}
	var outcomes []string
	for i, p := range procs {
		var last string
		for l := range p.lines {
			if !strings.HasPrefix(l, "progress") {
				last = l
			}
		}
		err := p.cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		outcomes = append(outcomes, fmt.Sprintf("exit %d: %s", code, last))
		if code != 0 && code != 3 {
			t.Errorf("process %d: exit %d\n%s", i, code, p.stderr)
		}
	}
	want := map[string]bool{fmt.Sprintf("exit 0: completed %d %d", n, n): true, "exit 3: running-elsewhere": true}
	if len(outcomes) != 2 || outcomes[0] == outcomes[1] || !want[outcomes[0]] || !want[outcomes[1]] {
		t.Errorf("outcomes %q; want one %q and one %q", outcomes, fmt.Sprintf("exit 0: completed %d %d", n, n), "exit 3: running-elsewhere")
	}
	st, err := migrate.StatusOf(ctx, db, "count_once")
	if err != nil || st.State != migrate.Completed || st.Processed != n || st.Changed != n {
		t.Errorf("status %+v %v", st, err)
	}
}

// TestKill9Compaction kills a process compacting a table (an instant
// migration left every seeded record in the old shape) with concurrent
// inserting writers, at random moments, at least ten times; the last
// process finishes. Then every document reads in the current shape, no
// record is older than the chain's base, and every seeded record was
// rewritten exactly once (changed == processed == the seed: a killed
// batch's rewrites roll back, and a rewritten record is current).
func TestKill9Compaction(t *testing.T) {
	t.Parallel()
	eachProcBackend(t, testKill9Compaction)
}

func testKill9Compaction(t *testing.T, b procBackend) {
	// At 3,000 documents/s a run rewrites at most about 1,000 documents
	// before its kill (its first batch, then up to 150 ms): ten runs
	// cannot finish 15,000.
	n := 15_000
	db, url := procDB(t, b)
	seedDocs(t, db, n)
	f := parseFile(t, `{"name":"tag","operations":[{"add_field":{"table":"docs","field":"tag","type":"string","default":"t"}}]}`)
	if st, err := migrate.New(db).Start(ctx, f); err != nil || st.State != migrate.Ready {
		t.Fatalf("start: %+v %v", st, err)
	}
	const wantKills = 10
	// As in testKill9Migration, a short lease keeps the waits between
	// runs short (one process runs at a time).
	kills := killRepeatedly(t, wantKills, url, "--compact", "--writers", "2", "--no-deletes", "--lease", "100ms", "--rate", "3000")
	if kills < wantKills {
		t.Errorf("%d kills, want at least %d", kills, wantKills)
	}
	p := startHelper(t, url, "--compact", "--lease", "100ms")
	line := p.waitLine("completed", 5*time.Minute)
	if err := p.cmd.Wait(); err != nil || line == "" {
		t.Fatalf("final run: %v %q\n%s", err, line, p.stderr)
	}
	all, err := migrate.List(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var compactions int
	for _, st := range all {
		if st.Kind != "compact" {
			continue
		}
		compactions++
		if st.State != migrate.Completed || st.Changed != int64(n) || st.Processed != int64(n) {
			t.Errorf("compaction %s: state %s, processed %d, changed %d; want completed, %d and %d", st.Name, st.State, st.Processed, st.Changed, n, n)
		}
	}
	if compactions != 1 {
		t.Errorf("%d compactions tracked, want 1", compactions)
	}
	if info, err := migrate.Shapes(ctx, db, "docs"); err != nil || info.Pending() != 0 {
		t.Errorf("shapes after compaction: %+v %v", info, err)
	}
	var docs int64
	err = db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
		return tx.Table("docs").Each(func(d strata.Doc) error {
			docs++
			if d.StringOr("tag", "") != "t" {
				t.Errorf("document without the new field: %v", d)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs < int64(n) {
		t.Errorf("%d documents, want at least the seed %d", docs, n)
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Fatal(err)
	}
}
