package functions

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata"
)

// WorkerOptions configure a Worker. Zero fields take their defaults.
type WorkerOptions struct {
	// Concurrency is the most jobs run at once (default 4).
	Concurrency int
	// PollInterval is how often the worker looks for jobs scheduled by
	// other processes (default 1s). Jobs scheduled through this App in
	// this process wake the worker as soon as their transaction commits.
	PollInterval time.Duration
	// Retention is how long jobs in a final state are kept after they
	// completed (default 7 days). Negative keeps them forever.
	Retention time.Duration
	// SweepInterval is how often the worker rereads the whole table, to
	// delete jobs past Retention and to pick up any pending job it has not
	// seen (default 1 minute).
	SweepInterval time.Duration
	// ScanOverlap is how far before the newest creation time it has seen
	// a poll starts reading again. On SQLite, creation times follow commit
	// order and the default is 0. On a backend whose creation times come
	// from a clock outside transactions (storage.Clock: PostgreSQL), a job
	// can commit after a job created later, and the default is 2s: a job
	// whose transaction took longer than that between scheduling and
	// commit is found by the next sweep instead of the next poll. Negative
	// means 0.
	ScanOverlap time.Duration
	// Logger receives transient errors (default slog.Default()).
	Logger *slog.Logger
}

func (o *WorkerOptions) setDefaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Retention == 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ScanOverlap < 0 {
		o.ScanOverlap = 0
	}
}

// defaultOverlap returns the ScanOverlap default for db's backend.
func defaultOverlap(ctx context.Context, db *strata.DB) time.Duration {
	outOfOrder := true
	_ = db.Query(ctx, func(tx *strata.Tx) error {
		outOfOrder = sys.CreationOutOfOrder(tx)
		return nil
	})
	if outOfOrder {
		return 2 * time.Second
	}
	return 0
}

// Worker runs the scheduled jobs of one database with the functions of
// one App. Start it with App.StartWorker and stop it with Stop.
//
// Guarantees:
//
//   - Exactly once. A mutation job runs in one serializable transaction
//     that first checks the job is still pending and, in the same
//     transaction, records its final state: its writes and its completion
//     commit together or not at all. A worker of another process (or this
//     one) that tries the same job conflicts or sees it is no longer
//     pending, so no job's writes ever commit twice, and a process killed
//     mid-job leaves the job pending for the next worker.
//   - Order. Due jobs are started in scheduled-time order (ties in the
//     order the worker learned of them). With Concurrency 1 and a single
//     process, they also run one at a time in that order; otherwise jobs
//     run concurrently and their transactions may commit in any order.
//   - Failures. A handler error, an argument or return value its
//     validators reject, or a function that is no longer registered ends
//     the job in state failed with the error; it is not retried (as in
//     Convex). Transient errors — a transaction that kept losing
//     serialization races (strata.ErrConflict), a closed or canceled
//     database — leave the job pending; the worker retries it with
//     exponential backoff, and a restarted process picks it up.
//   - Queries. A scheduled query runs in a read-only snapshot; its result
//     is then recorded in a write transaction if the job is still
//     pending. Two workers may both run it, which is harmless.
type Worker struct {
	app  *App
	db   *strata.DB
	opts WorkerOptions
	log  *slog.Logger

	mu       sync.Mutex
	queue    jobQueue
	known    map[strata.ID]bool // queued or running
	running  int
	seq      uint64
	stopping bool

	scanCT  float64     // newest _creationTime read by a scan (dispatcher only)
	scanNow atomic.Bool // Wake asked for a scan

	succeeded, failed atomic.Int64
	lastRace          atomic.Int64 // unix ns when a job was found already run

	wake      chan struct{}
	quit      chan struct{}
	done      chan struct{}
	jobs      sync.WaitGroup
	runCtx    context.Context
	cancelRun context.CancelFunc
	stopOnce  sync.Once
}

// StartWorker loads the pending jobs of db and starts running them in the
// background. Several workers may run on one database, in one process or
// in many; each job still runs once. ctx bounds the initial load only: the
// worker runs until Stop. Stop the worker before closing db.
func (a *App) StartWorker(ctx context.Context, db *strata.DB, opts WorkerOptions) (*Worker, error) {
	if opts.ScanOverlap == 0 {
		opts.ScanOverlap = defaultOverlap(ctx, db)
	}
	opts.setDefaults()
	w := &Worker{
		app: a, db: db, opts: opts, log: opts.Logger,
		known: map[strata.ID]bool{},
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	w.runCtx, w.cancelRun = context.WithCancel(context.WithoutCancel(ctx))
	a.mu.Lock()
	a.workers[w] = struct{}{}
	a.mu.Unlock()
	if err := w.scanNew(ctx); err != nil {
		a.mu.Lock()
		delete(a.workers, w)
		a.mu.Unlock()
		return nil, fmt.Errorf("functions: start worker: %w", err)
	}
	go w.loop()
	return w, nil
}

// Stop stops starting jobs and waits for the running ones to finish. If
// ctx ends first, the running jobs' transactions are canceled (they roll
// back, leaving their jobs pending) and Stop returns ctx's error once they
// have returned. Stop is idempotent.
func (w *Worker) Stop(ctx context.Context) error {
	w.stopOnce.Do(func() {
		w.mu.Lock()
		w.stopping = true
		w.mu.Unlock()
		close(w.quit)
		w.app.mu.Lock()
		delete(w.app.workers, w)
		w.app.mu.Unlock()
	})
	<-w.done
	finished := make(chan struct{})
	go func() { w.jobs.Wait(); close(finished) }()
	select {
	case <-finished:
		w.cancelRun()
		return nil
	case <-ctx.Done():
		w.cancelRun()
		<-finished
		return fmt.Errorf("functions: stop worker: %w", ctx.Err())
	}
}

// Wake makes the worker look for new jobs now rather than at its next
// poll, for jobs another process has just scheduled.
func (w *Worker) Wake() {
	w.scanNow.Store(true)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Outstanding returns the number of pending jobs this worker knows of
// (queued, due or not, and running).
func (w *Worker) Outstanding() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.known)
}

// Stats reports how many jobs this worker has brought to success and to
// failed since it started.
func (w *Worker) Stats() (succeeded, failed int64) {
	return w.succeeded.Load(), w.failed.Load()
}

// notify tells every worker of the App about a job committed in this
// process.
func (a *App) notify(id strata.ID, at float64) {
	a.mu.RLock()
	ws := make([]*Worker, 0, len(a.workers))
	for w := range a.workers {
		ws = append(ws, w)
	}
	a.mu.RUnlock()
	for _, w := range ws {
		w.add(id, at, true)
		w.signal()
	}
}

func (w *Worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// add queues a pending job unless it is already known. local says the job
// was committed in this process (and other processes are unlikely to race
// for it yet).
func (w *Worker) add(id strata.ID, at float64, local bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopping || w.known[id] {
		return
	}
	w.known[id] = true
	w.seq++
	heap.Push(&w.queue, &entry{id: id, at: at, seq: w.seq, local: local})
}

func (w *Worker) loop() {
	defer close(w.done)
	poll := time.NewTicker(w.opts.PollInterval)
	defer poll.Stop()
	sweep := time.NewTicker(w.opts.SweepInterval)
	defer sweep.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := w.dispatch()
		timer.Stop()
		var timerC <-chan time.Time
		if next >= 0 {
			timer.Reset(next)
			timerC = timer.C
		}
		select {
		case <-w.quit:
			return
		case <-w.wake:
			if w.scanNow.Swap(false) {
				if err := w.scanNew(w.runCtx); err != nil {
					w.log.Warn("functions: worker scan", "err", err)
				}
			}
		case <-timerC:
		case <-poll.C:
			if err := w.scanNew(w.runCtx); err != nil {
				w.log.Warn("functions: worker poll", "err", err)
			}
		case <-sweep.C:
			if err := w.sweep(w.runCtx); err != nil {
				w.log.Warn("functions: worker sweep", "err", err)
			}
		}
	}
}

// dispatch starts the due jobs there is room for and returns how long until
// the next job is due, or -1 if there is nothing to wait for (no job, or no
// room: a finishing job wakes the loop).
func (w *Worker) dispatch() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.queue.Len() > 0 {
		if w.running >= w.opts.Concurrency {
			return -1
		}
		now := timeToMs(time.Now())
		top := w.queue[0]
		if top.at > now {
			return time.Duration((top.at - now) * float64(time.Millisecond))
		}
		heap.Pop(&w.queue)
		w.running++
		w.jobs.Add(1)
		go w.runJob(top)
	}
	return -1
}

func (w *Worker) runJob(e *entry) {
	defer w.jobs.Done()
	retry := w.execute(w.runCtx, e)
	w.mu.Lock()
	w.running--
	if retry && !w.stopping {
		e.tries++
		backoff := 50 * time.Millisecond << min(e.tries, 8)
		e.at = timeToMs(time.Now().Add(backoff))
		w.seq++
		e.seq = w.seq
		heap.Push(&w.queue, e)
	} else {
		delete(w.known, e.id)
	}
	w.mu.Unlock()
	w.signal()
}

// raceMemory is how long after finding a job already run by another
// worker this worker checks jobs in a snapshot before claiming them.
const raceMemory = 10 * time.Second

// errSkip ends a job transaction without writing: the job is gone, no
// longer pending, or a query (run separately).
var errSkip = errors.New("skip")

// execute runs one job and reports whether it must be retried later.
func (w *Worker) execute(ctx context.Context, e *entry) (retry bool) {
	// When other workers have lately been running the jobs this one
	// queued, look in a snapshot first: the losers of a race for a job
	// usually see it done here without taking the write lock (which
	// SQLite processes share through sleeps). The transaction below checks
	// again. A job committed in this process a moment ago skips the look:
	// other processes find it only at their next poll.
	still := e.local && e.tries == 0 || time.Since(time.Unix(0, w.lastRace.Load())) > raceMemory
	var err error
	if !still {
		err = w.precheck(ctx, e, &still)
	}
	if errors.Is(err, ErrMalformedJob) {
		w.log.Error("functions: skipping job", "job", e.id, "err", err)
		return false
	}
	if err != nil {
		w.log.Warn("functions: job will be retried", "job", e.id, "err", err)
		return true
	}
	if !still {
		return false
	}
	return w.run(ctx, e)
}

// precheck reads in a snapshot whether the job is still pending.
func (w *Worker) precheck(ctx context.Context, e *entry, still *bool) error {
	return w.db.Query(ctx, func(tx *strata.Tx) error {
		j, err := GetJob(tx, e.id)
		*still = err == nil && j.State == StatePending
		if errors.Is(err, ErrNoJob) {
			return nil
		}
		return err
	})
}

// run runs the job in its transaction and reports whether it must be
// retried later.
func (w *Worker) run(ctx context.Context, e *entry) (retry bool) {
	var (
		handlerErr error
		query      *Function
		job        Job
		outcome    State
	)
	err := w.db.Mutation(ctx, func(tx *strata.Tx) error {
		handlerErr, query, outcome = nil, nil, StateFailed
		j, err := GetJob(tx, e.id)
		if errors.Is(err, ErrNoJob) {
			return errSkip // deleted, or a job of another database
		}
		if err != nil {
			return err
		}
		if j.State != StatePending {
			return errSkip
		}
		job = j
		f := w.app.lookup(j.Name)
		if f == nil {
			return finish(tx, e, StateFailed, nil, fmt.Sprintf("%s %q: it is not registered in this process", ErrUnknownFunction, j.Name))
		}
		if f.Kind == KindQuery {
			query = f
			return errSkip
		}
		args, err := checkArgs(f, j.Args)
		if err != nil {
			return finish(tx, e, StateFailed, nil, err.Error())
		}
		r, err := w.app.invokeRecover(tx, f, args)
		if err != nil {
			handlerErr = err
			return err
		}
		outcome = StateSuccess
		return finish(tx, e, StateSuccess, r, "")
	})
	switch {
	case err == nil:
		if outcome == StateFailed {
			w.failed.Add(1)
		} else {
			w.succeeded.Add(1)
		}
		return false
	case errors.Is(err, errSkip):
		if query != nil {
			return w.executeQuery(ctx, e, query, job)
		}
		w.lastRace.Store(time.Now().UnixNano())
		return false
	case transient(ctx, err):
		w.log.Warn("functions: job will be retried", "job", e.id, "err", err)
		return true
	case handlerErr != nil:
		return w.fail(ctx, e, handlerErr.Error())
	case errors.Is(err, strata.ErrLimitExceeded):
		// The handler went on after a transaction limit refused it: the
		// job fails as if it had returned that error; a retry would too.
		return w.fail(ctx, e, err.Error())
	default:
		w.log.Warn("functions: job will be retried", "job", e.id, "err", err)
		return true
	}
}

// executeQuery runs a query job in a snapshot and records its outcome.
func (w *Worker) executeQuery(ctx context.Context, e *entry, f *Function, job Job) (retry bool) {
	args, err := checkArgs(f, job.Args)
	if err != nil {
		return w.fail(ctx, e, err.Error())
	}
	var result any
	var qerr error
	err = w.db.Query(ctx, func(tx *strata.Tx) error {
		result, qerr = w.app.invokeRecover(tx, f, args)
		return qerr
	})
	if err != nil {
		if qerr == nil && errors.Is(err, strata.ErrLimitExceeded) {
			return w.fail(ctx, e, err.Error()) // the handler swallowed it
		}
		if transient(ctx, err) || qerr == nil {
			return true
		}
		return w.fail(ctx, e, qerr.Error())
	}
	recorded := false
	err = w.db.Mutation(ctx, func(tx *strata.Tx) error {
		recorded = false
		j, err := GetJob(tx, e.id)
		if errors.Is(err, ErrNoJob) {
			return nil
		}
		if err != nil || j.State != StatePending {
			return err
		}
		recorded = true
		return finish(tx, e, StateSuccess, result, "")
	})
	if err == nil && recorded {
		w.succeeded.Add(1)
	}
	return err != nil
}

// invokeRecover is invokeTop for jobs: a panicking handler fails its job
// (its transaction rolls back) instead of crashing the worker's process.
func (a *App) invokeRecover(tx *strata.Tx, f *Function, args strata.Doc) (r any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, &CallError{Function: f.Name, Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return a.invokeTop(tx, f, args)
}

// fail records that the job failed, if it is still pending.
func (w *Worker) fail(ctx context.Context, e *entry, msg string) (retry bool) {
	recorded := false
	err := w.db.Mutation(ctx, func(tx *strata.Tx) error {
		recorded = false
		j, err := GetJob(tx, e.id)
		if errors.Is(err, ErrNoJob) {
			return nil
		}
		if err != nil || j.State != StatePending {
			return err
		}
		recorded = true
		return finish(tx, e, StateFailed, nil, msg)
	})
	if err != nil {
		w.log.Warn("functions: recording a job failure; will retry the job", "job", e.id, "err", err)
		return true
	}
	if recorded {
		w.failed.Add(1)
	}
	return false
}

// finish writes the job's final state.
func finish(tx *strata.Tx, e *entry, s State, result any, msg string) error {
	p := map[string]any{
		FieldState:         string(s),
		FieldCompletedTime: timeToMs(time.Now()),
		FieldAttempts:      int64(e.tries + 1),
	}
	if s == StateSuccess {
		p[FieldResult] = result
	} else {
		p[FieldError] = msg
	}
	if err := sys.Patch(tx, e.id, p); err != nil {
		return fmt.Errorf("functions: record job %s: %w", e.id, err)
	}
	return nil
}

// transient reports whether a job that failed with err may succeed if
// retried: the worker is stopping, the transaction kept losing
// serialization races, or the database is closed. A handler's own errors,
// context errors from its own deadlines included, are not transient.
func transient(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, strata.ErrConflict) || errors.Is(err, strata.ErrClosed)
}

// scanNew reads the jobs created since the last scan (less ScanOverlap)
// and queues the pending ones. On SQLite, creation times are strictly
// increasing within a table in commit order (each inserting transaction
// reads the table's newest creation time, and writers are serialized), so
// a scan that resumes after the newest creation time it saw misses no job.
// Elsewhere the overlap catches jobs that committed late, and the sweep
// rereads everything as a safety net: no pending job is ever lost, at
// worst it is found one SweepInterval late.
func (w *Worker) scanNew(ctx context.Context) error {
	type found struct {
		id strata.ID
		at float64
	}
	var jobs []found
	newest := w.scanCT
	err := w.db.Query(ctx, func(tx *strata.Tx) error {
		jobs, newest = jobs[:0], w.scanCT
		q := tx.Table(Table)
		if from := w.scanCT - float64(w.opts.ScanOverlap)/float64(time.Millisecond); w.scanCT > 0 && from > 0 {
			q = q.WithIndex("by_creation_time", strata.Gt(strata.FieldCreationTime, from))
		}
		return q.Each(func(d strata.Doc) error {
			if ct := d.CreationTime(); ct > newest {
				newest = ct
			}
			if State(d.StringOr(FieldState, "")) == StatePending {
				at, _ := d.Float(FieldScheduledTime)
				jobs = append(jobs, found{d.ID(), at})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	w.scanCT = newest
	for _, j := range jobs {
		w.add(j.id, j.at, false)
	}
	return nil
}

const sweepPage = 500

// sweep rereads the whole table in pages: it queues pending jobs the
// worker does not know and deletes final jobs completed longer than
// Retention ago.
func (w *Worker) sweep(ctx context.Context) error {
	cutoff := -1.0
	if w.opts.Retention > 0 {
		cutoff = timeToMs(time.Now().Add(-w.opts.Retention))
	}
	cursor := ""
	for {
		var page strata.Page
		err := w.db.Query(ctx, func(tx *strata.Tx) error {
			var err error
			page, err = tx.Table(Table).Paginate(sweepPage, cursor)
			return err
		})
		if err != nil {
			return err
		}
		var expired []strata.ID
		for _, d := range page.Page {
			s := State(d.StringOr(FieldState, ""))
			if s == StatePending {
				at, _ := d.Float(FieldScheduledTime)
				w.add(d.ID(), at, false)
				continue
			}
			if done, ok := d.Float(FieldCompletedTime); ok && s.Final() && done < cutoff {
				expired = append(expired, d.ID())
			}
		}
		if len(expired) > 0 {
			if err := deleteExpired(ctx, w.db, expired, cutoff); err != nil {
				return err
			}
		}
		if page.IsDone {
			break
		}
		cursor = page.ContinueCursor
	}
	w.signal()
	return nil
}

// Cleanup deletes the jobs of db in a final state that completed before
// now minus retention, in batches, and returns how many it deleted. Workers
// do this in their sweep; Cleanup is for tools and tests.
func Cleanup(ctx context.Context, db *strata.DB, retention time.Duration) (int, error) {
	cutoff := timeToMs(time.Now().Add(-retention))
	jobs, err := ListJobs(ctx, db, StateSuccess, StateFailed, StateCanceled)
	if err != nil {
		return 0, err
	}
	var ids []strata.ID
	for _, j := range jobs {
		if timeToMs(j.CompletedTime) < cutoff {
			ids = append(ids, j.ID)
		}
	}
	if err := deleteExpired(ctx, db, ids, cutoff); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// deleteExpired deletes the jobs ids that are still final and completed
// before cutoff, 100 per transaction.
func deleteExpired(ctx context.Context, db *strata.DB, ids []strata.ID, cutoff float64) error {
	for len(ids) > 0 {
		n := min(len(ids), 100)
		batch := ids[:n]
		ids = ids[n:]
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for _, id := range batch {
				j, err := GetJob(tx, id)
				if errors.Is(err, ErrNoJob) {
					continue
				}
				if err != nil {
					return err
				}
				if !j.State.Final() || j.CompletedTime.IsZero() || timeToMs(j.CompletedTime) >= cutoff {
					continue
				}
				if err := sys.Delete(tx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("functions: delete expired jobs: %w", err)
		}
	}
	return nil
}

// entry is a queued job.
type entry struct {
	id    strata.ID
	at    float64 // scheduled time, ms
	seq   uint64  // tie-break: order learned
	tries int     // transient failures so far
	local bool    // committed in this process (OnCommit hint)
}

// jobQueue is a min-heap of entries by (at, seq).
type jobQueue []*entry

func (q jobQueue) Len() int { return len(q) }
func (q jobQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q jobQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *jobQueue) Push(x any)   { *q = append(*q, x.(*entry)) }
func (q *jobQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}
