// Package batch runs strata's long background jobs — migrations, index
// builds, and next background materialization — as a series of short
// write transactions ("batches") that each do a bounded part of the work
// and record how far they got, so that a job stopped at any point
// resumes where its last committed batch left it.
//
// A job supplies its steps (Job): one batch attempt in a transaction —
// check its lease, read the next items after its cursor, apply them,
// record progress — and the final durable commit. The engine (Run) owns
// what every job shares:
//
//   - the loop, which stops when the job is done, its context ends, or a
//     batch fails;
//   - the batch size: adaptive towards a target duration (default 10 ms),
//     between 1 and a maximum, halved after conflicts, kept after a batch
//     cut short; or fixed;
//   - yielding: on a backend whose write transactions take turns (SQLite),
//     a batch ends early once a writer waits behind it (Batch.ShouldYield);
//   - commits: batches commit without waiting for stable storage (they are
//     redone from their cursor if lost), except for a while after a batch
//     yielded, and the job ends with one durable commit (Job.Seal);
//   - conflicts: a batch that keeps losing serialization races is cut to
//     half its size, and a batch of one retried for a while;
//   - leases held elsewhere: the engine waits and asks again.
//
// The engine is generic over the transaction type, so that it sits below
// the root package (whose index builds use it) and package migrate.
package batch

import (
	"context"
	"errors"
	"time"

	"github.com/strata-db/strata/storage"
)

// Env is what the engine needs of the database, for transactions of type
// T.
type Env[T any] struct {
	// Mutate runs fn in one write transaction, retrying it from the start
	// when it loses a serialization race, as DB.Mutation does. relaxed
	// asks for a commit that need not wait for stable storage
	// (storage.RelaxedBeginner); backends without it commit as usual.
	Mutate func(ctx context.Context, relaxed bool, fn func(tx T) error) error
	// TakesTurns reports whether the backend of tx runs write
	// transactions one at a time and reports who waits (storage.Waiters).
	TakesTurns func(tx T) bool
	// WritersWaiting reports whether write transactions are queued
	// behind tx; always false where writers do not take turns.
	WritersWaiting func(tx T) bool
}

// Job is the work of one job, in the steps the engine calls.
type Job[T any] interface {
	// Batch runs one attempt of a batch in b.Tx: it checks the job's
	// lease, reads up to b.Size items after the cursor it reads in b.Tx,
	// applies them, and records its new cursor and progress in b.Tx. It
	// ends early, with what it has applied recorded, once b.ShouldYield
	// returns true. An attempt that fails is rolled back and may be tried
	// again in a new transaction: it must start over from what that
	// transaction reads. An error from Batch ends Run with it, unless it
	// is a conflict (storage.ErrConflict).
	Batch(b *Batch[T]) (Result, error)
	// Committed is called once a batch has committed, with what it did;
	// not after a batch that found the lease held elsewhere.
	Committed(ctx context.Context, c Committed)
	// Seal makes the job's final state durable once a batch reported it
	// done: an ordinary (durable) commit, which also makes every relaxed
	// batch before it durable. Its error is Run's.
	Seal(ctx context.Context) error
}

// Result is what one batch attempt did, as its job reports it.
type Result struct {
	// Items is the number of items the batch read (applied or passed
	// over): what its duration is measured against. A batch with no
	// items (one that only set the job up, say) leaves the size alone.
	Items int
	// Done reports that the job is over: its final state is recorded.
	Done bool
	// Held reports that another runner holds the job's lease: the
	// batch did nothing, and the engine asks again after Config.Poll.
	Held bool
}

// Committed describes a committed batch to Job.Committed.
type Committed struct {
	Result
	// Yielded reports that the batch ended early for waiting writers.
	Yielded bool
	// Took is the batch's duration, retries included.
	Took time.Duration
	// Size is the size of the next batch.
	Size int
}

// Batch is one attempt of a batch, in its transaction.
type Batch[T any] struct {
	// Tx is the batch's write transaction.
	Tx T
	// Size is the most items the batch may read.
	Size int
	// Gentle is set while application writers are about (a batch yielded
	// lately): the batch commits durably, and should not read ahead or
	// use helper goroutines.
	Gentle  bool
	env     *Env[T]
	yielded bool
}

// MinBeforeYield is the number of items a batch reads before it may end
// early for waiting writers, so that a job advances under any write
// load.
const MinBeforeYield = 8

// SubPage is the number of items a batch reads at a time where it may end
// early for writers: a batch cut short has read at most this many items
// it did not apply.
const SubPage = 64

// Step returns how many items the batch should read at a time: SubPage
// where writers take turns (so that it can stop for them), else its whole
// size.
func (b *Batch[T]) Step() int {
	if b.env.TakesTurns != nil && b.env.TakesTurns(b.Tx) {
		return min(SubPage, b.Size)
	}
	return b.Size
}

// ShouldYield reports, for a batch that has read n items, whether it
// must end now, recording what it has done, because an application
// writer waits behind it (never before MinBeforeYield items). Once it
// returns true, the batch must end.
func (b *Batch[T]) ShouldYield(n int) bool {
	if b.yielded {
		return true
	}
	if n < MinBeforeYield || b.env.WritersWaiting == nil || !b.env.WritersWaiting(b.Tx) {
		return false
	}
	b.yielded = true
	return true
}

// Config sets a job's batching. The zero value is the defaults.
type Config struct {
	// Size is the first batch's size (default 100).
	Size int
	// Target is the batch duration the size adapts to (default
	// DefaultTarget); a negative Target keeps Size throughout (but for
	// halving after conflicts).
	Target time.Duration
	// Max bounds the adapted size (default 1000).
	Max int
	// BulkRead marks the transactions of batches of at least BulkBatch
	// items as bulk reads (storage.WithBulkRead).
	BulkRead bool
	// Poll is how long the engine waits before asking again for a lease
	// held elsewhere (default 50 ms).
	Poll time.Duration
}

// DefaultTarget is the default batch duration: short, because on
// PostgreSQL a long batch conflicts with more writers (on SQLite a batch
// ends early when writers wait).
const DefaultTarget = 10 * time.Millisecond

// BulkBatch is the batch size from which a batch is a bulk read
// (Config.BulkRead, storage.WithBulkRead): while a PostgreSQL server is
// short of lock memory (SQLSTATE 53200), it locks the tables it reads
// rather than each row, so that it fits. Smaller batches, such as those
// halved after conflicts, keep row locks and conflict only with writers
// of the rows they read.
const BulkBatch = 64

// durableAfterYield is how long after a batch yielded to an application
// writer batches commit durably rather than relaxed: the writer's next
// commit would otherwise wait for the sync of every relaxed batch before
// it.
const durableAfterYield = time.Second

// maxAttempts is the number of times a batch is tried when it loses
// serialization races before the engine halves the batch size: a smaller
// batch overlaps fewer application writes.
const maxAttempts = 3

// ErrContended ends a batch that lost maxAttempts serialization races.
// Run treats it as a conflict: it halves the size and goes on. (It does
// not wrap storage.ErrConflict, which would make Mutate retry it.)
var ErrContended = errors.New("batch lost too many serialization races")

// conflictPatience is how long Run keeps retrying a batch of one item
// that keeps losing serialization races (each try is a Mutate with its
// own retries), pausing conflictPause between tries, before it returns
// the conflict.
const (
	conflictPatience = time.Minute
	conflictPause    = 200 * time.Millisecond
)

// Run runs job's batches until one reports the job done, then seals it.
// It returns nil once Seal succeeded; ctx's error if ctx ended between
// batches (the job keeps its last committed progress); otherwise the
// error of the batch that failed, or of Seal. A batch that conflicts is
// retried at half its size; a batch of one, for a minute before Run
// returns the conflict. Callers tell the cases apart with ctx.Err and
// their own errors.
func Run[T any](ctx context.Context, env Env[T], cfg Config, job Job[T]) error {
	s := newSizer(cfg)
	poll := cfg.Poll
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	var lastYield, conflictSince time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		b := &Batch[T]{Size: s.size, Gentle: time.Since(lastYield) <= durableAfterYield, env: &env}
		bctx := ctx
		if cfg.BulkRead && b.Size >= BulkBatch {
			bctx = storage.WithBulkRead(ctx)
		}
		var res Result
		attempts := 0
		err := env.Mutate(bctx, !b.Gentle, func(tx T) error {
			attempts++
			if attempts > maxAttempts && b.Size > 1 {
				return ErrContended
			}
			b.Tx, b.yielded = tx, false
			var err error
			res, err = job.Batch(b)
			return err
		})
		if err != nil {
			if ctx.Err() != nil || !isConflict(err) {
				return err
			}
			if s.size > 1 {
				s.halve() // shrink on conflicts and try again
				continue
			}
			// A batch of one item that still conflicts (an item written
			// all the time, or a PostgreSQL server out of lock memory:
			// SQLSTATE 53200) waits and tries again, for conflictPatience,
			// rather than fail the job.
			if conflictSince.IsZero() {
				conflictSince = time.Now()
			}
			if time.Since(conflictSince) >= conflictPatience {
				return err
			}
			sleep(ctx, conflictPause)
			continue
		}
		conflictSince = time.Time{}
		if res.Held {
			sleep(ctx, poll)
			continue
		}
		took := time.Since(t0)
		if b.yielded {
			lastYield = time.Now()
		}
		s.adapt(took, res.Items, b.yielded, attempts > 1)
		job.Committed(ctx, Committed{Result: res, Yielded: b.yielded, Took: took, Size: s.size})
		if res.Done {
			// The last batch committed: finish even if ctx just ended.
			return job.Seal(context.WithoutCancel(ctx))
		}
	}
}

// isConflict reports whether err is a lost serialization race.
func isConflict(err error) bool {
	return errors.Is(err, storage.ErrConflict) || errors.Is(err, ErrContended)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
