package functions_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"
)

// counterApp has "counter:inc" (add 1 to the n of a counters document)
// and "log:append" (insert {seq} into the log table).
func counterApp() *functions.App {
	app := functions.NewApp()
	app.InternalMutation("counter:inc", functions.Def{
		Args:    v.Object{"id": v.ID("counters")},
		Returns: v.Int64(),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			id := strata.ID(args.StringOr("id", ""))
			d, err := ctx.Tx.Get(id)
			if err != nil {
				return nil, err
			}
			n, _ := d.Int("n")
			return n + 1, ctx.Tx.Patch(id, strata.Patch{"n": n + 1})
		},
	})
	app.InternalMutation("log:append", functions.Def{
		Args: v.Object{"seq": v.Int64()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			_, err := ctx.Tx.Insert("log", args)
			return nil, err
		},
	})
	app.InternalMutation("log:fail", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			if _, err := ctx.Tx.Insert("log", strata.Doc{"seq": int64(-1)}); err != nil {
				return nil, err
			}
			return nil, errors.New("deliberate failure")
		},
	})
	app.InternalQuery("log:count", functions.Def{
		Returns: v.Int64(),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			docs, err := ctx.Tx.Table("log").Collect()
			return int64(len(docs)), err
		},
	})
	return app
}

func newCounter(t testing.TB, db *strata.DB) strata.ID {
	t.Helper()
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		id, err = tx.Insert("counters", strata.Doc{"n": int64(0)})
		return err
	})
	return id
}

func counterValue(t testing.TB, db *strata.DB, id strata.ID) int64 {
	t.Helper()
	var n int64
	err := db.Query(context.Background(), func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		n, _ = d.Int("n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func logSeqs(t testing.TB, db *strata.DB) []int64 {
	t.Helper()
	var out []int64
	err := db.Query(context.Background(), func(tx *strata.Tx) error {
		return tx.Table("log").Each(func(d strata.Doc) error {
			n, _ := d.Int("seq")
			out = append(out, n)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchedulerRunsJobsOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, testSchedulerRunsJobsOnce)
}

func testSchedulerRunsJobsOnce(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	startWorker(t, app, db, functions.WorkerOptions{})
	id := newCounter(t, db)
	const n = 200
	mutate(t, db, func(tx *strata.Tx) error {
		for range n {
			if _, err := app.Scheduler(tx).RunAfter(0, "counter:inc", map[string]any{"id": id}); err != nil {
				return err
			}
		}
		return nil
	})
	jobs := waitJobs(t, db, 60*time.Second)
	if len(jobs) != n {
		t.Fatalf("%d jobs, want %d", len(jobs), n)
	}
	for _, j := range jobs {
		if j.State != functions.StateSuccess || j.Attempts != 1 || j.CompletedTime.IsZero() || j.Error != "" {
			t.Fatalf("job %+v", j)
		}
		if _, ok := j.Result.(int64); !ok {
			t.Fatalf("job result %#v, want an int64", j.Result)
		}
	}
	if got := counterValue(t, db, id); got != n {
		t.Errorf("counter = %d, want %d", got, n)
	}
}

func TestJobExistsOnlyIfCallerCommits(t *testing.T) {
	t.Parallel()
	eachBackend(t, testJobExistsOnlyIfCallerCommits)
}

func testJobExistsOnlyIfCallerCommits(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	id := newCounter(t, db)
	err := db.Mutation(context.Background(), func(tx *strata.Tx) error {
		if _, err := app.Scheduler(tx).RunAfter(0, "counter:inc", map[string]any{"id": id}); err != nil {
			return err
		}
		return errors.New("caller fails")
	})
	if err == nil {
		t.Fatal("mutation succeeded")
	}
	app.Mutation("m:scheduleThenFail", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			if _, err := ctx.Scheduler.RunAfter(0, "counter:inc", map[string]any{"id": id}); err != nil {
				return nil, err
			}
			return nil, errors.New("caller fails")
		},
	})
	if _, err := app.Call(context.Background(), db, "m:scheduleThenFail", nil); err == nil {
		t.Fatal("call succeeded")
	}
	jobs, err := functions.ListJobs(context.Background(), db)
	if err != nil || len(jobs) != 0 {
		t.Fatalf("jobs of rolled-back callers: %v, %v", jobs, err)
	}
}

// TestScheduleBadInput: scheduling is checked when it happens.
func TestScheduleBadInput(t *testing.T) {
	t.Parallel()
	eachBackend(t, testScheduleBadInput)
}

func testScheduleBadInput(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	tests := []struct {
		name string
		fn   string
		args any
		is   error
	}{
		{"unknown function", "counter:nope", nil, functions.ErrUnknownFunction},
		{"args not an object", "counter:inc", "x", functions.ErrInvalidArgs},
		{"wrong type", "counter:inc", map[string]any{"id": int64(1)}, functions.ErrInvalidArgs},
	}
	for _, tt := range tests {
		err := db.Mutation(context.Background(), func(tx *strata.Tx) error {
			_, err := app.Scheduler(tx).RunAfter(0, tt.fn, tt.args)
			return err
		})
		if !errors.Is(err, tt.is) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.is)
		}
	}
	err := db.Query(context.Background(), func(tx *strata.Tx) error {
		_, err := app.Scheduler(tx).RunAfter(0, "log:count", nil)
		return err
	})
	if !errors.Is(err, strata.ErrReadOnly) {
		t.Errorf("schedule in a read-only transaction: %v", err)
	}
}

func TestFailedJobRollsBackAndRecordsError(t *testing.T) {
	t.Parallel()
	eachBackend(t, testFailedJobRollsBackAndRecordsError)
}

func testFailedJobRollsBackAndRecordsError(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	startWorker(t, app, db, functions.WorkerOptions{})
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		id, err = app.Scheduler(tx).RunAfter(0, "log:fail", nil)
		return err
	})
	waitJobs(t, db, 60*time.Second)
	j := jobByID(t, db, id)
	if j.State != functions.StateFailed || !strings.Contains(j.Error, "deliberate failure") || j.Attempts != 1 || j.CompletedTime.IsZero() {
		t.Errorf("job = %+v", j)
	}
	if seqs := logSeqs(t, db); len(seqs) != 0 {
		t.Errorf("the failed job's writes committed: %v", seqs)
	}
}

// TestScheduledFunctionGone: a job whose function is no longer registered
// when it runs fails with that error and is not retried.
func TestScheduledFunctionGone(t *testing.T) {
	t.Parallel()
	eachBackend(t, testScheduledFunctionGone)
}

func testScheduledFunctionGone(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	old := counterApp()
	id := newCounter(t, db)
	var job strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		job, err = old.Scheduler(tx).RunAfter(0, "counter:inc", map[string]any{"id": id})
		return err
	})
	startWorker(t, functions.NewApp(), db, functions.WorkerOptions{}) // a new version without counter:inc
	waitJobs(t, db, 60*time.Second)
	j := jobByID(t, db, job)
	if j.State != functions.StateFailed || !strings.Contains(j.Error, `unknown function "counter:inc"`) || j.Attempts != 1 {
		t.Errorf("job = %+v", j)
	}
	if got := counterValue(t, db, id); got != 0 {
		t.Errorf("counter = %d", got)
	}
}

// TestScheduledArgsNoLongerValid: the function changed its validator
// between scheduling and running: the job fails naming the argument.
func TestScheduledArgsNoLongerValid(t *testing.T) {
	t.Parallel()
	eachBackend(t, testScheduledArgsNoLongerValid)
}

func testScheduledArgsNoLongerValid(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	old := counterApp()
	var job strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		job, err = old.Scheduler(tx).RunAfter(0, "log:append", map[string]any{"seq": int64(1)})
		return err
	})
	app := functions.NewApp()
	app.InternalMutation("log:append", functions.Def{
		Args:    v.Object{"seq": v.String()},
		Handler: func(*functions.Ctx, strata.Doc) (any, error) { return nil, nil },
	})
	startWorker(t, app, db, functions.WorkerOptions{})
	waitJobs(t, db, 60*time.Second)
	j := jobByID(t, db, job)
	if j.State != functions.StateFailed || !strings.Contains(j.Error, "seq: expected string, found int64") {
		t.Errorf("job = %+v", j)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	eachBackend(t, testCancel)
}

func testCancel(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	startWorker(t, app, db, functions.WorkerOptions{})
	var later, now strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		if later, err = app.Scheduler(tx).RunAt(time.Now().Add(time.Hour), "log:append", map[string]any{"seq": int64(1)}); err != nil {
			return err
		}
		now, err = app.Scheduler(tx).RunAfter(0, "log:append", map[string]any{"seq": int64(2)})
		return err
	})
	mutate(t, db, func(tx *strata.Tx) error { return app.Scheduler(tx).Cancel(later) })
	waitJobs(t, db, 60*time.Second)
	if j := jobByID(t, db, later); j.State != functions.StateCanceled || j.CompletedTime.IsZero() {
		t.Errorf("canceled job = %+v", j)
	}
	tests := []struct {
		id strata.ID
		is error
	}{
		{later, functions.ErrNotPending},
		{now, functions.ErrNotPending},
		{strata.ID("nope"), functions.ErrNoJob},
		{newCounter(t, db), functions.ErrNoJob},
	}
	for _, tt := range tests {
		err := db.Mutation(context.Background(), func(tx *strata.Tx) error { return app.Scheduler(tx).Cancel(tt.id) })
		if !errors.Is(err, tt.is) {
			t.Errorf("Cancel(%s) = %v, want %v", tt.id, err, tt.is)
		}
	}
	if seqs := logSeqs(t, db); len(seqs) != 1 || seqs[0] != 2 {
		t.Errorf("log = %v, want [2]", seqs)
	}
}

func TestJobsSurviveRestart(t *testing.T) {
	t.Parallel()
	eachBackend(t, testJobsSurviveRestart)
}

func testJobsSurviveRestart(t *testing.T, b backend) {
	db, url := openDB(t, b)
	app := counterApp()
	id := newCounter(t, db)
	mutate(t, db, func(tx *strata.Tx) error {
		for range 10 {
			if _, err := app.Scheduler(tx).RunAfter(0, "counter:inc", map[string]any{"id": id}); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	db2, err := strata.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	w := startWorker(t, app, db2, functions.WorkerOptions{})
	waitJobs(t, db2, 60*time.Second)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := counterValue(t, db2, id); got != 10 {
		t.Errorf("counter = %d, want 10", got)
	}
}

// TestScheduledTimeOrder: with one worker slot, due jobs run in
// scheduled-time order, not in the order they were created.
func TestScheduledTimeOrder(t *testing.T) {
	t.Parallel()
	eachBackend(t, testScheduledTimeOrder)
}

func testScheduledTimeOrder(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	base := time.Now().Add(-time.Hour)
	mutate(t, db, func(tx *strata.Tx) error {
		for i := 9; i >= 0; i-- {
			if _, err := app.Scheduler(tx).RunAt(base.Add(time.Duration(i)*time.Second), "log:append", map[string]any{"seq": int64(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	startWorker(t, app, db, functions.WorkerOptions{Concurrency: 1})
	waitJobs(t, db, 60*time.Second)
	seqs := logSeqs(t, db)
	for i, s := range seqs {
		if s != int64(i) {
			t.Fatalf("jobs ran in order %v", seqs)
		}
	}
}

func TestScheduledQuery(t *testing.T) {
	t.Parallel()
	eachBackend(t, testScheduledQuery)
}

func testScheduledQuery(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	startWorker(t, app, db, functions.WorkerOptions{})
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		if _, err := tx.Insert("log", strata.Doc{"seq": int64(7)}); err != nil {
			return err
		}
		id, err = app.Scheduler(tx).RunAfter(0, "log:count", nil)
		return err
	})
	waitJobs(t, db, 60*time.Second)
	if j := jobByID(t, db, id); j.State != functions.StateSuccess || j.Result != int64(1) {
		t.Errorf("job = %+v", j)
	}
}

func TestRetentionCleanup(t *testing.T) {
	t.Parallel()
	eachBackend(t, testRetentionCleanup)
}

func testRetentionCleanup(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	mutate(t, db, func(tx *strata.Tx) error {
		for i := range 5 {
			if _, err := app.Scheduler(tx).RunAfter(0, "log:append", map[string]any{"seq": int64(i)}); err != nil {
				return err
			}
		}
		_, err := app.Scheduler(tx).RunAt(time.Now().Add(time.Hour), "log:append", map[string]any{"seq": int64(99)})
		return err
	})
	w := startWorker(t, app, db, functions.WorkerOptions{})
	waitPending(t, db, 1, 60*time.Second)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, err := functions.Cleanup(context.Background(), db, time.Hour); err != nil || n != 0 {
		t.Fatalf("Cleanup(1h) = %d, %v; want 0 (nothing is that old)", n, err)
	}
	n, err := functions.Cleanup(context.Background(), db, 0)
	if err != nil || n != 5 {
		t.Fatalf("Cleanup(0) = %d, %v; want 5", n, err)
	}
	jobs, _ := functions.ListJobs(context.Background(), db)
	if len(jobs) != 1 || jobs[0].State != functions.StatePending {
		t.Errorf("after cleanup: %+v", jobs)
	}
	// A worker's sweep does the same with its Retention.
	mutate(t, db, func(tx *strata.Tx) error {
		_, err := app.Scheduler(tx).RunAfter(0, "log:append", map[string]any{"seq": int64(5)})
		return err
	})
	startWorker(t, app, db, functions.WorkerOptions{Retention: time.Nanosecond, SweepInterval: 5 * time.Millisecond})
	deadline := time.Now().Add(60 * time.Second)
	for {
		jobs, _ := functions.ListJobs(context.Background(), db)
		if len(jobs) == 1 && jobs[0].State == functions.StatePending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweep did not delete completed jobs: %+v", jobs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStopWaitsForRunningJobs(t *testing.T) {
	t.Parallel()
	eachBackend(t, testStopWaitsForRunningJobs)
}

func testStopWaitsForRunningJobs(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := functions.NewApp()
	started, release := make(chan struct{}), make(chan struct{})
	app.InternalMutation("slow:run", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			close(started)
			select {
			case <-release:
				return "done", nil
			case <-ctx.Context().Done():
				return nil, ctx.Context().Err()
			}
		},
	})
	w, err := app.StartWorker(context.Background(), db, functions.WorkerOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		id, err = app.Scheduler(tx).RunAfter(0, "slow:run", nil)
		return err
	})
	<-started
	stopped := make(chan error)
	go func() { stopped <- w.Stop(context.Background()) }()
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if j := jobByID(t, db, id); j.State != functions.StateSuccess || j.Result != "done" {
		t.Errorf("Stop returned before the running job finished: %+v", j)
	}
}

func TestStopDeadlineLeavesJobPending(t *testing.T) {
	t.Parallel()
	eachBackend(t, testStopDeadlineLeavesJobPending)
}

func testStopDeadlineLeavesJobPending(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := functions.NewApp()
	started := make(chan struct{})
	app.InternalMutation("slow:block", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			close(started)
			<-ctx.Context().Done()
			return nil, ctx.Context().Err()
		},
	})
	w, err := app.StartWorker(context.Background(), db, functions.WorkerOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		id, err = app.Scheduler(tx).RunAfter(0, "slow:block", nil)
		return err
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop = %v, want context.Canceled", err)
	}
	if j := jobByID(t, db, id); j.State != functions.StatePending {
		t.Errorf("an interrupted job must stay pending: %+v", j)
	}
}

func TestChainedJobsFromHandlers(t *testing.T) {
	t.Parallel()
	eachBackend(t, testChainedJobsFromHandlers)
}

func testChainedJobsFromHandlers(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	app.InternalMutation("chain:step", functions.Def{
		Args: v.Object{"left": v.Int64()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			left, _ := args.Int("left")
			if _, err := ctx.Tx.Insert("log", strata.Doc{"seq": left}); err != nil {
				return nil, err
			}
			if left > 0 {
				_, err := ctx.Scheduler.RunAfter(0, "chain:step", map[string]any{"left": left - 1})
				return nil, err
			}
			return nil, nil
		},
	})
	startWorker(t, app, db, functions.WorkerOptions{})
	if _, err := app.Call(context.Background(), db, "chain:step", map[string]any{"left": int64(20)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(logSeqs(t, db)) < 21 {
		if time.Now().After(deadline) {
			t.Fatalf("chain stopped at %v", logSeqs(t, db))
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitJobs(t, db, 60*time.Second)
}

// TestPanickingJobFails: a handler that panics fails its job; the worker
// keeps running.
func TestPanickingJobFails(t *testing.T) {
	t.Parallel()
	eachBackend(t, testPanickingJobFails)
}

func testPanickingJobFails(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	app.InternalMutation("job:panic", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			if _, err := ctx.Tx.Insert("log", strata.Doc{"seq": int64(-1)}); err != nil {
				return nil, err
			}
			panic("kaboom")
		},
	})
	startWorker(t, app, db, functions.WorkerOptions{})
	var bad, good strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		if bad, err = app.Scheduler(tx).RunAfter(0, "job:panic", nil); err != nil {
			return err
		}
		good, err = app.Scheduler(tx).RunAfter(0, "log:append", map[string]any{"seq": int64(1)})
		return err
	})
	waitJobs(t, db, 60*time.Second)
	if j := jobByID(t, db, bad); j.State != functions.StateFailed || !strings.Contains(j.Error, "panic: kaboom") {
		t.Errorf("panicking job = %+v", j)
	}
	if j := jobByID(t, db, good); j.State != functions.StateSuccess {
		t.Errorf("next job = %+v", j)
	}
	if seqs := logSeqs(t, db); len(seqs) != 1 || seqs[0] != 1 {
		t.Errorf("log = %v: the panicking job's write committed", seqs)
	}
}

// TestWakeOnCommitWithoutPolling: with polling and sweeps effectively off,
// a job scheduled through the worker's App runs because its commit wakes
// the worker; a job scheduled through another App (as another process
// would) is found when Wake is called.
func TestWakeOnCommitWithoutPolling(t *testing.T) {
	t.Parallel()
	eachBackend(t, testWakeOnCommitWithoutPolling)
}

func testWakeOnCommitWithoutPolling(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := counterApp()
	w := startWorker(t, app, db, functions.WorkerOptions{PollInterval: time.Hour, SweepInterval: time.Hour})
	mutate(t, db, func(tx *strata.Tx) error {
		_, err := app.Scheduler(tx).RunAfter(0, "log:append", map[string]any{"seq": int64(1)})
		return err
	})
	waitJobs(t, db, 60*time.Second)
	other := counterApp() // no worker: like a job scheduled by another process
	mutate(t, db, func(tx *strata.Tx) error {
		_, err := other.Scheduler(tx).RunAfter(0, "log:append", map[string]any{"seq": int64(2)})
		return err
	})
	w.Wake()
	waitJobs(t, db, 60*time.Second)
	if seqs := logSeqs(t, db); len(seqs) != 2 {
		t.Errorf("log = %v", seqs)
	}
}
