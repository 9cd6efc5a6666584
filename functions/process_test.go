package functions_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/functions/internal/jobproc"
)

// jobprocEnv, set to 1, makes the test binary the helper application
// (TestMain).
const jobprocEnv = "JOBPROC"

// helperCmd returns the command running the helper application (this
// test binary with jobprocEnv set) on the database at url with args.
func helperCmd(t testing.TB, url string, args ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, append([]string{"--db", url}, args...)...)
	cmd.Env = append(os.Environ(), jobprocEnv+"=1")
	cmd.Stderr = &strings.Builder{}
	return cmd
}

// TestTwoProcessesRunEachJobOnce: two OS processes run workers on one
// database; every job increments a counter; the counters end at the number
// of jobs exactly. Jobs spread over a few counters so that concurrent jobs
// rarely conflict on their writes: the races left are the two processes
// claiming the same job, which is what the test is about.
func TestTwoProcessesRunEachJobOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, testTwoProcessesRunEachJobOnce)
}

func testTwoProcessesRunEachJobOnce(t *testing.T, b backend) {
	if testing.Short() {
		t.Skip("short")
	}
	db, url := openDB(t, b)
	app := jobproc.App()
	const n, shards = 1000, 8
	ids := make([]strata.ID, shards)
	for i := range ids {
		ids[i] = newCounter(t, db)
	}
	for batch := range 4 {
		mutate(t, db, func(tx *strata.Tx) error {
			for i := range n / 4 {
				// Some jobs are due a little later, so the workers must find
				// them by polling after they started.
				k := batch*n/4 + i
				at := time.Now()
				if k%10 == 0 {
					at = at.Add(300 * time.Millisecond)
				}
				if _, err := app.Scheduler(tx).RunAt(at, "counter:inc", map[string]any{"id": ids[k%shards]}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var cmds []*exec.Cmd
	for range 2 {
		cmds = append(cmds, helperCmd(t, url, "scheduled", "work", "--until-idle", "--poll", "50ms", "--concurrency", "4"))
	}
	outs := make([]*strings.Builder, len(cmds))
	for i, cmd := range cmds {
		outs[i] = &strings.Builder{}
		cmd.Stdout = outs[i]
	}
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, cmd.Stderr)
		}
		t.Logf("process %d: %s", i, strings.TrimSpace(outs[i].String()))
	}
	jobs := waitJobs(t, db, 60*time.Second)
	for _, j := range jobs {
		if j.State != functions.StateSuccess {
			t.Fatalf("job %+v", j)
		}
	}
	total := int64(0)
	for _, id := range ids {
		got := counterValue(t, db, id)
		total += got
		if got != n/shards {
			t.Errorf("counter %s = %d, want %d: a job ran twice or not at all", id, got, n/shards)
		}
	}
	if total != n {
		t.Errorf("counters add up to %d, want %d", total, n)
	}
}

// TestKill9ExactlyOnce kills a process running scheduled mutations at
// random moments, restarts it, and checks that every job completed exactly
// once: each job increments its own counter, which must end at 1.
func TestKill9ExactlyOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, testKill9ExactlyOnce)
}

func testKill9ExactlyOnce(t *testing.T, b backend) {
	if testing.Short() {
		t.Skip("short")
	}
	db, url := openDB(t, b)
	app := jobproc.App()
	const n = 1000
	counters := make([]strata.ID, n)
	mutate(t, db, func(tx *strata.Tx) error {
		for i := range counters {
			id, err := tx.Insert("counters", strata.Doc{"n": int64(0)})
			if err != nil {
				return err
			}
			counters[i] = id
			if _, err := app.Scheduler(tx).RunAfter(0, "counter:inc", map[string]any{"id": id, "sleepMs": int64(1)}); err != nil {
				return err
			}
		}
		return nil
	})
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills := 0
	for range 6 {
		before := countState(t, db, functions.StateSuccess)
		cmd := helperCmd(t, url, "scheduled", "work", "--concurrency", "4", "--poll", "50ms")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it once it is running jobs, at a random moment. (Each
		// look lists the succeeded jobs: looking more often than every
		// 10ms takes the helper's CPU and the test's time.)
		for deadline := time.Now().Add(30 * time.Second); countState(t, db, functions.StateSuccess) == before && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			kills++
		}
		_ = cmd.Wait()
	}
	pending, err := functions.ListJobs(context.Background(), db, functions.StatePending)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d kills; %d of %d jobs pending before the last run", kills, len(pending), n)
	cmd := helperCmd(t, url, "scheduled", "work", "--until-idle", "--poll", "50ms")
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("final run: %v\n%s%s", err, out, cmd.Stderr)
	}
	jobs := waitJobs(t, db, 60*time.Second)
	if len(jobs) != n {
		t.Fatalf("%d jobs, want %d", len(jobs), n)
	}
	for _, j := range jobs {
		if j.State != functions.StateSuccess || j.Result != int64(1) {
			t.Fatalf("job %+v: want success with result 1", j)
		}
	}
	err = db.Query(context.Background(), func(tx *strata.Tx) error {
		for _, id := range counters {
			d, err := tx.Get(id)
			if err != nil {
				return err
			}
			if c, _ := d.Int("n"); c != 1 {
				t.Errorf("counter %s = %d, want 1", id, c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countState(t testing.TB, db *strata.DB, s functions.State) int {
	t.Helper()
	jobs, err := functions.ListJobs(context.Background(), db, s)
	if err != nil {
		t.Fatal(err)
	}
	return len(jobs)
}
