package strata_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/v"
)

// Index builds run on the batch engine (internal/batch) that migrations
// run on: these tests show what that gives them.

func itemsSchema(t testing.TB, indexed bool) *strata.Schema {
	t.Helper()
	tb := strata.Table("items", v.Object{"n": v.Int64()})
	if indexed {
		tb = tb.Index("by_n", "n")
	}
	return mustSchema(t, tb)
}

// seedItems inserts n items {n: i*31 mod n} in transactions of 1,000 and
// returns their ids.
func seedItems(t testing.TB, db *strata.DB, n int) []strata.ID {
	t.Helper()
	var ids []strata.ID
	for lo := 0; lo < n; lo += 1000 {
		var docs []strata.Doc
		for i := lo; i < min(lo+1000, n); i++ {
			docs = append(docs, strata.Doc{"n": int64((i * 31) % n)})
		}
		ids = append(ids, insert(t, db, "items", docs...)...)
	}
	return ids
}

// TestIndexBuildYieldsToWaitingWriter: on SQLite, whose write
// transactions take turns, a build's batch ends early when an application
// write is queued behind it (the writer waits for a few documents, not for
// the batch), and the index is still complete.
func TestIndexBuildYieldsToWaitingWriter(t *testing.T) {
	t.Parallel()
	const n = 600
	db := openDB(t)
	push(t, db, itemsSchema(t, false), strata.PushOptions{})
	ids := seedItems(t, db, n)
	var indexed, seenByWriter atomic.Int64
	writerDone := make(chan error, 1)
	var reports []int64
	opts := strata.PushOptions{Wait: true, BatchSize: n, Progress: func(p strata.Progress) { reports = append(reports, p.Done) }}
	opts = strata.PushOptionsOnIndexed(opts, func() {
		if indexed.Add(1) != 1 {
			return
		}
		// A writer arrives while the first batch runs: it queues behind
		// it.
		go func() {
			writerDone <- db.Mutation(ctx, func(tx *strata.Tx) error {
				seenByWriter.Store(indexed.Load())
				return tx.Patch(ids[n-1], strata.Patch{"n": int64(-1)})
			})
		}()
		time.Sleep(100 * time.Millisecond)
	})
	push(t, db, itemsSchema(t, true), opts)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	if got := seenByWriter.Load(); got >= n || got < 1 {
		t.Errorf("the writer ran after %d of %d documents were indexed: the batch did not end early for it", got, n)
	}
	if len(reports) < 2 || reports[len(reports)-1] != n {
		t.Errorf("progress reports %v: want at least 2 batches (the first cut short), ending at %d", reports, n)
	}
	indexMatchesScan(t, db, "items", "by_n", "n")
}

// TestIndexBuildBatchSizeAdapts: without PushOptions.BatchSize, a build's
// batch size adapts to the batch engine's target duration rather than
// staying at its first size (500), on both backends.
func TestIndexBuildBatchSizeAdapts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		const n = 10_000
		db := open(t)
		push(t, db, itemsSchema(t, false), strata.PushOptions{})
		seedItems(t, db, n)
		var done []int64
		push(t, db, itemsSchema(t, true), strata.PushOptions{Wait: true, Progress: func(p strata.Progress) {
			done = append(done, p.Done)
		}})
		if len(done) < 3 || done[len(done)-1] != n {
			t.Fatalf("progress reports %v: want at least 3, ending at %d", done, n)
		}
		sizes := map[int64]bool{}
		prev := int64(0)
		for _, d := range done[:len(done)-1] { // the last batch is what is left
			sizes[d-prev] = true
			prev = d
		}
		if done[0] != 500 || len(sizes) < 2 {
			t.Errorf("progress reports %v: want a first batch of 500, then other sizes", done)
		}
		indexMatchesScan(t, db, "items", "by_n", "n")
	})
}

// buildHelperEnv names the database a helper process of
// TestKill9IndexBuild builds an index in.
const buildHelperEnv = "STRATA_TEST_BUILD_HELPER_URL"

// TestKill9IndexBuild kills (SIGKILL) a process in the middle of an
// index build's batch, then resumes the build in this one: it continues
// from the cursor of the last committed batch (committed relaxed on
// SQLite, which survives the process), and the index is complete and
// consistent.
func TestKill9IndexBuild(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, _ func(testing.TB) *strata.DB) {
		const n = 5000
		url := "sqlite:" + filepath.Join(t.TempDir(), "build.db")
		if strings.HasSuffix(t.Name(), "postgres") {
			url = pgtest.URL(t)
		}
		db, err := strata.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		push(t, db, itemsSchema(t, false), strata.PushOptions{})
		seedItems(t, db, n)

		cmd := exec.Command(os.Args[0], "-test.run=^TestIndexBuildHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), buildHelperEnv+"="+url)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		blocked := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "blocked" {
					blocked <- true
				}
			}
			close(blocked)
		}()
		select {
		case ok := <-blocked:
			if !ok {
				t.Fatalf("helper ended before it blocked: %v\n%s", cmd.Wait(), stderr.String())
			}
		case <-time.After(time.Minute):
			t.Fatalf("helper did not block\n%s", stderr.String())
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		builds, err := db.IndexBuilds(ctx)
		if err != nil || len(builds) != 1 || builds[0].State != strata.BuildBackfilling || builds[0].Processed != 1000 {
			t.Fatalf("after the kill: %+v, %v (want backfilling, 1000 indexed)", builds, err)
		}
		// A partial index is consistent: every entry it has is right.
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Errorf("consistency of the half-built index: %v", err)
		}
		var first int64
		opts := strata.PushOptions{Wait: true, BatchSize: 100, Progress: func(p strata.Progress) {
			if first == 0 {
				first = p.Done
			}
		}}
		// The dead runner's lease (300 ms in the helper) expires; this
		// runner then takes the build over.
		if _, err := db.Push(ctx, itemsSchema(t, true), opts); err != nil {
			t.Fatal(err)
		}
		if err := db.ResumeIndexBuilds(ctx); err != nil {
			t.Fatal(err)
		}
		builds, _ = db.IndexBuilds(ctx)
		if builds[0].State != strata.BuildReady || builds[0].Processed != n {
			t.Errorf("after resuming: %+v", builds)
		}
		if first != 1100 {
			t.Errorf("the resumed build's first batch reported %d indexed, want 1100 (it continues from the cursor)", first)
		}
		indexMatchesScan(t, db, "items", "by_n", "n")
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Errorf("consistency: %v", err)
		}
	})
}

// TestIndexBuildHelperProcess is the process TestKill9IndexBuild kills:
// it builds by_n in batches of 100 and blocks for good in the eleventh
// batch, after its 50th document, printing "blocked".
func TestIndexBuildHelperProcess(t *testing.T) {
	url := os.Getenv(buildHelperEnv)
	if url == "" {
		t.Skip("the helper process of TestKill9IndexBuild")
	}
	strata.SetBuildLease(300 * time.Millisecond)
	db, err := strata.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	indexed := 0
	opts := strata.PushOptionsOnIndexed(strata.PushOptions{Wait: true, BatchSize: 100}, func() {
		if indexed++; indexed == 1050 {
			fmt.Println("blocked")
			select {}
		}
	})
	_, err = db.Push(context.Background(), itemsSchema(t, true), opts)
	t.Fatalf("the helper's push returned: %v", err)
}
