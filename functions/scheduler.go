package functions

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/strata-db/strata"
)

// Table is the system table that records scheduled jobs. It is readable
// with the ordinary query API; only this package writes it.
const Table = "_scheduled_functions"

// Fields of a job document in Table.
const (
	FieldName          = "name"          // string: the function
	FieldArgs          = "args"          // object: its arguments
	FieldScheduledTime = "scheduledTime" // number: ms since the Unix epoch
	FieldState         = "state"         // string: a State
	FieldAttempts      = "attempts"      // int64: runs that reached an outcome or a transient failure
	FieldCompletedTime = "completedTime" // number: ms, set with a final state
	FieldError         = "error"         // string: why the job failed
	FieldResult        = "result"        // any: the function's result on success
)

// State is the state of a scheduled job.
type State string

// Job states. A job is created pending; it ends in exactly one of success,
// failed or canceled, written together with its completion time.
const (
	StatePending State = "pending"
	// StateInProgress is reserved for jobs whose execution spans several
	// transactions. Mutation jobs never store it: they go from pending to
	// success or failed in the transaction that runs them, so a process
	// that dies mid-job leaves the job pending, not stuck. Query jobs
	// record their outcome with the same pending-to-final check.
	StateInProgress State = "inProgress"
	StateSuccess    State = "success"
	StateFailed     State = "failed"
	StateCanceled   State = "canceled"
)

// Final reports whether s is a final state (success, failed or canceled).
func (s State) Final() bool {
	return s == StateSuccess || s == StateFailed || s == StateCanceled
}

// ErrNotPending is wrapped by Cancel's error for a job that already ran or
// was canceled.
var ErrNotPending = errors.New("job is not pending")

// ErrNoJob is wrapped by the error for an id that names no scheduled job.
var ErrNoJob = errors.New("no such scheduled job")

// ErrMalformedJob is wrapped by the error for a document of Table that is
// not a job (it lacks a name or a state). Workers skip such documents.
var ErrMalformedJob = errors.New("malformed job document")

// Scheduler schedules function calls inside one transaction. Obtain one
// from Ctx.Scheduler in a handler, or App.Scheduler for a transaction of
// your own.
type Scheduler struct {
	app      *App
	tx       *strata.Tx
	readOnly bool
}

// Scheduler returns a Scheduler that writes jobs in tx, which must be a
// read-write transaction (from strata.DB.Mutation).
func (a *App) Scheduler(tx *strata.Tx) *Scheduler {
	return &Scheduler{app: a, tx: tx}
}

// RunAfter schedules name(args) to run once, delay from now (a negative
// delay is 0). See RunAt.
func (s *Scheduler) RunAfter(delay time.Duration, name string, args any) (strata.ID, error) {
	if delay < 0 {
		delay = 0
	}
	return s.RunAt(time.Now().Add(delay), name, args)
}

// RunAt schedules name(args) to run once at t (or as soon as possible if t
// is past) and returns the job's id. The job is a document of Table written
// in the scheduler's transaction: it exists only if that transaction
// commits, and then it survives restarts until a worker runs it. The
// function must be registered and args must satisfy its validator now;
// both are checked again when the job runs.
//
// After the transaction commits, workers of this App in this process are
// woken at once; workers of other processes find the job at their next
// poll.
func (s *Scheduler) RunAt(t time.Time, name string, args any) (strata.ID, error) {
	if s.readOnly {
		return "", &CallError{Function: name, Err: fmt.Errorf("schedule: %w", ErrMutationInQuery)}
	}
	f, err := s.app.find(name)
	if err != nil {
		return "", err
	}
	a, err := checkArgs(f, args)
	if err != nil {
		return "", err
	}
	at := timeToMs(t)
	id, err := sys.Insert(s.tx, Table, map[string]any{
		FieldName:          name,
		FieldArgs:          map[string]any(a),
		FieldScheduledTime: at,
		FieldState:         string(StatePending),
		FieldAttempts:      int64(0),
	})
	if err != nil {
		return "", fmt.Errorf("functions: schedule %s: %w", name, err)
	}
	app := s.app
	s.tx.OnCommit(func() { app.notify(id, at) })
	return id, nil
}

// Cancel cancels the pending job id: it will not run. Canceling a job that
// already ran or was canceled fails with an error wrapping ErrNotPending,
// an id that is not a job with one wrapping ErrNoJob. The cancellation is
// part of the scheduler's transaction.
func (s *Scheduler) Cancel(id strata.ID) error {
	if s.readOnly {
		return fmt.Errorf("functions: cancel %s: %w", id, ErrMutationInQuery)
	}
	return CancelJob(s.tx, id)
}

// CancelJob cancels the pending job id inside tx, a read-write
// transaction; see Scheduler.Cancel. It needs no App, for tools.
func CancelJob(tx *strata.Tx, id strata.ID) error {
	job, err := GetJob(tx, id)
	if err != nil {
		return fmt.Errorf("functions: cancel: %w", err)
	}
	if job.State != StatePending {
		return fmt.Errorf("functions: cancel %s: %w (it is %s)", id, ErrNotPending, job.State)
	}
	err = sys.Patch(tx, id, map[string]any{
		FieldState:         string(StateCanceled),
		FieldCompletedTime: timeToMs(time.Now()),
	})
	if err != nil {
		return fmt.Errorf("functions: cancel %s: %w", id, err)
	}
	return nil
}

// Job is a scheduled job as recorded in Table.
type Job struct {
	ID            strata.ID
	CreationTime  time.Time
	Name          string
	Args          map[string]any
	ScheduledTime time.Time
	State         State
	Attempts      int64
	CompletedTime time.Time // zero until the job reaches a final state
	Error         string    // set when State is StateFailed
	Result        any       // the result when State is StateSuccess
}

// GetJob reads the job id in tx. An id of another table, or of no
// document, is an error wrapping ErrNoJob.
func GetJob(tx *strata.Tx, id strata.ID) (Job, error) {
	if t, err := id.Table(); err != nil || t != Table {
		return Job{}, fmt.Errorf("%w: %q is not an id of %s", ErrNoJob, id, Table)
	}
	d, err := tx.Get(id)
	if err != nil {
		return Job{}, err
	}
	if d == nil {
		return Job{}, fmt.Errorf("%w: %s", ErrNoJob, id)
	}
	return ParseJob(d)
}

// ParseJob decodes a document of Table.
func ParseJob(d strata.Doc) (Job, error) {
	j := Job{
		ID:    d.ID(),
		Name:  d.StringOr(FieldName, ""),
		State: State(d.StringOr(FieldState, "")),
		Error: d.StringOr(FieldError, ""),
	}
	if j.ID == "" || j.Name == "" || j.State == "" {
		return Job{}, fmt.Errorf("functions: %w %s", ErrMalformedJob, j.ID)
	}
	j.CreationTime = msToTime(d.CreationTime())
	if f, ok := d.Float(FieldScheduledTime); ok {
		j.ScheduledTime = msToTime(f)
	}
	if f, ok := d.Float(FieldCompletedTime); ok {
		j.CompletedTime = msToTime(f)
	}
	j.Attempts, _ = d.Int(FieldAttempts)
	j.Args, _ = d[FieldArgs].(map[string]any)
	j.Result = d[FieldResult]
	return j, nil
}

// Doc returns the job in strata's value model, with times in ms since the
// Unix epoch, as `strata scheduled list --json` prints it.
func (j Job) Doc() map[string]any {
	m := map[string]any{
		"_id":              j.ID,
		"_creationTime":    timeToMs(j.CreationTime),
		FieldName:          j.Name,
		FieldArgs:          j.Args,
		FieldScheduledTime: timeToMs(j.ScheduledTime),
		FieldState:         string(j.State),
		FieldAttempts:      j.Attempts,
	}
	if j.Args == nil {
		m[FieldArgs] = map[string]any{}
	}
	if !j.CompletedTime.IsZero() {
		m[FieldCompletedTime] = timeToMs(j.CompletedTime)
	}
	if j.Error != "" {
		m[FieldError] = j.Error
	}
	if j.State == StateSuccess {
		m[FieldResult] = j.Result
	}
	return m
}

// ListJobs returns the jobs of db in creation order: all of them if states
// is empty, else those in one of states. It reads one snapshot.
func ListJobs(ctx context.Context, db *strata.DB, states ...State) ([]Job, error) {
	var out []Job
	err := db.Query(ctx, func(tx *strata.Tx) error {
		out = out[:0]
		return tx.Table(Table).Each(func(d strata.Doc) error {
			j, err := ParseJob(d)
			if err != nil {
				return err
			}
			if len(states) > 0 {
				keep := false
				for _, s := range states {
					keep = keep || j.State == s
				}
				if !keep {
					return nil
				}
			}
			out = append(out, j)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("functions: list jobs: %w", err)
	}
	return out, nil
}

func timeToMs(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }

func msToTime(ms float64) time.Time {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return time.Time{}
	}
	return time.UnixMicro(int64(math.Round(ms * 1000)))
}
