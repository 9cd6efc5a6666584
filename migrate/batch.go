package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/storage"
)

// runner runs the batches of one migration in this process.
type runner struct {
	m              *Migrator
	mig            *Migration
	id             strata.ID
	size           int
	start          time.Time
	startProcessed int64
	highWater      float64
	processed      int64 // in this run
	lastBatch      time.Duration
	lastCount      int
	yielded        bool      // the last batch ended early for waiting writers
	lastYield      time.Time // when a batch last did
	conflicted     bool      // the last batch lost a serialization race at least once
	moved          *movedSet // documents moved ahead of the cursor (index-range scans)
}

// durableAfterYield is how long after a batch yielded to an application
// writer batches commit durably rather than relaxed.
const durableAfterYield = time.Second

// maxBatchAttempts is the number of times a batch is tried when it loses
// serialization races (PostgreSQL) before the runner halves the batch
// size: a smaller batch overlaps fewer application writes.
const maxBatchAttempts = 3

// errContended ends a batch that lost maxBatchAttempts races.
var errContended = errors.New("batch lost too many serialization races")

// subPage is the number of documents a batch reads at a time: a batch
// that ends early for waiting writers has read at most this many
// documents it did not migrate.
const subPage = 64

// minBeforeYield is the number of documents a batch reads before it may
// end early for waiting writers, so that the migration advances under any
// write load.
const minBeforeYield = 8

// batch runs one batch: one transaction that checks the lease, reads up
// to r.size documents after the cursor, migrates them and advances the
// tracking document. On SQLite, whose write transactions take turns, the
// batch ends early once it has migrated minBeforeYield documents if an
// application write is queued behind it, so that writes wait for a few
// documents rather than for a whole batch.
func (r *runner) batch(ctx context.Context) (done bool, err error) {
	t0 := time.Now()
	// While the application writes (a batch yielded lately), batches are
	// gentler: durable commits, no decoding ahead on a second goroutine.
	gentle := time.Since(r.lastYield) <= durableAfterYield
	var b *batchTx
	attempts := 0
	err = r.mutate(bulkRead(ctx, r.size), gentle, func(tx *strata.Tx) error {
		attempts++
		if attempts > maxBatchAttempts && r.size > 1 {
			return errContended
		}
		b = &batchTx{r: r, tx: tx, gentle: gentle}
		return b.run()
	})
	if err != nil {
		return false, err
	}
	r.afterBatch(b, time.Since(t0), attempts)
	return b.done, nil
}

// mutate runs fn in the write transaction of one batch. Batches commit
// without waiting for stable storage (SQLite): a batch that a power loss
// undoes is undone with its cursor and runs again; the run's last write
// (seal) is durable and makes every batch before it durable too. But
// while the application writes, the next of its commits would wait for
// the sync of every relaxed batch before it: gentle batches (for a while
// after a batch yielded to a writer) commit durably and pay for their own
// sync.
func (r *runner) mutate(ctx context.Context, gentle bool, fn func(*strata.Tx) error) error {
	if gentle {
		return r.m.db.Mutation(system.Unlimited(ctx), fn)
	}
	return r.m.db.MutationRelaxed(system.Unlimited(ctx), fn)
}

// afterBatch updates the runner once batch b has committed: the moved
// documents, the counts, the batch size and the progress report.
func (r *runner) afterBatch(b *batchTx, took time.Duration, attempts int) {
	r.commitMoves(&b.bm, b.record)
	r.processed += int64(b.visited)
	r.lastBatch, r.lastCount, r.yielded = took, b.examined, b.yielded
	if b.yielded {
		r.lastYield = time.Now()
	}
	r.conflicted = attempts > 1
	r.adapt()
	if fn := r.m.opts.OnProgress; fn != nil {
		fn(r.progress(b.status))
	}
}

// batchTx is one attempt of a batch, in its transaction: what it read of
// the tracking document and what it has done so far. A retried
// transaction starts a new one.
type batchTx struct {
	r        *runner
	tx       *strata.Tx
	gentle   bool               // no reading ahead (see runner.batch)
	tracking Status             // the tracking document as this attempt read it
	skip     map[strata.ID]bool // recorded by older versions: ids only
	mv       *mover             // set when rewrites move documents in the scan's order
	bm       batchMoves
	cursor   string
	done     bool      // the scan is over
	visited  int       // documents given to the migration
	examined int       // documents read, migrated or passed over
	changed  int       // documents the migration rewrote
	yielded  bool      // the batch ended early for waiting writers
	record   strata.ID // the moved-documents record this batch wrote
	status   Status    // the tracking document after the batch
}

// run does the work of one batch attempt: check the lease, read and
// migrate documents after the cursor with one of the two read strategies
// (a page handed to MigrateBatch, or documents one at a time to
// MigrateOne), then record how far it got.
func (b *batchTx) run() error {
	tracking, err := b.checkLease()
	if err != nil {
		return err
	}
	b.skip = skipSet(tracking)
	if b.mv, err = b.r.mover(b.tx); err != nil {
		return err
	}
	b.cursor = sys.UpgradeCursor(b.tx, b.tracking.Cursor)
	q := b.query()
	if b.r.mig.MigrateBatch != nil {
		err = b.migratePage(q)
	} else {
		err = b.migrateEach(q)
	}
	if err != nil {
		return err
	}
	return b.advance()
}

// checkLease reads the tracking document and checks that the migration is
// still running and that this process still holds its lease.
func (b *batchTx) checkLease() (strata.Doc, error) {
	r, mig := b.r, b.r.mig
	d, err := b.tx.Get(r.id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("%w: tracking document deleted", errStopped)
	}
	b.tracking = statusOf(d)
	if b.tracking.State != mig.running() {
		return nil, errStopped
	}
	if b.tracking.LeaseOwner != r.m.owner {
		return nil, fmt.Errorf("migrate: %q: lost the lease to %s: %w", mig.Name, b.tracking.LeaseOwner, ErrRunningElsewhere)
	}
	return d, nil
}

// query returns the query whose order the migration visits documents in.
func (b *batchTx) query() *strata.Query {
	mig := b.r.mig
	q := b.tx.Table(mig.Table)
	if mig.Index != "" {
		q = q.WithIndex(mig.Index, mig.Range...)
	} else if mig.highWaterScan() {
		q = q.WithIndex("by_creation_time", strata.Lte(strata.FieldCreationTime, b.r.highWater))
	}
	return q
}

// advance records the batch's progress: the moved documents it met and
// made, and the tracking document's cursor, counts and lease (or, when
// the scan is over, its final state).
func (b *batchTx) advance() error {
	r, mig, tx := b.r, b.r.mig, b.tx
	var err error
	if b.record, err = b.bm.record(tx, mig.Name); err != nil {
		return err
	}
	if b.done && b.mv != nil {
		if err := deleteMoved(tx, mig.Name); err != nil {
			return err
		}
	}
	now := time.Now()
	patch := strata.Patch{
		"skip":           skipValue(b.skip),
		"cursor":         b.cursor,
		"processed":      b.tracking.Processed + int64(b.visited),
		"changed":        b.tracking.Changed + int64(b.changed),
		"batches":        b.tracking.Batches + 1,
		"updatedAt":      timeMS(now),
		"leaseExpiresAt": timeMS(now.Add(r.m.opts.LeaseDuration)),
	}
	if b.done {
		patch["state"] = string(Completed)
		if mig.doneState != "" {
			patch["state"] = string(mig.doneState)
		}
		patch["completedAt"] = timeMS(now)
		patch["leaseOwner"] = strata.Unset
		patch["leaseExpiresAt"] = strata.Unset
	}
	if err := sys.Patch(tx, r.id, patch); err != nil {
		return err
	}
	nd, err := tx.Get(r.id)
	b.status = statusOf(nd)
	return err
}

// bulkBatch is the batch size from which a batch is a bulk read
// (storage.WithBulkRead): while a PostgreSQL server is short of lock
// memory (SQLSTATE 53200), it locks the tables it reads rather than each
// row, so that it fits. Smaller batches, such as those halved after
// conflicts, keep row locks and conflict only with writers of the rows
// they read.
const bulkBatch = 64

// bulkRead marks ctx for a bulk read when a batch of size reads enough
// rows for that.
func bulkRead(ctx context.Context, size int) context.Context {
	if size >= bulkBatch {
		return storage.WithBulkRead(ctx)
	}
	return ctx
}

// adapt scales the batch size towards the target batch duration. A batch
// that ended early for writers says nothing about the size: it is kept. A
// batch that had to be retried after conflicts halves it.
func (r *runner) adapt() {
	target := r.mig.TargetBatchDuration
	if target < 0 || r.lastCount == 0 || r.yielded {
		return
	}
	if r.conflicted {
		r.size = max(1, r.size/2)
		return
	}
	if target == 0 {
		target = defaultTarget
	}
	maxSize := r.mig.MaxBatchSize
	if maxSize == 0 {
		maxSize = 1000
	}
	per := r.lastBatch / time.Duration(r.lastCount)
	if per <= 0 {
		per = time.Microsecond
	}
	want := int(target / per)
	// Move at most a factor of two per batch, so one slow batch does not
	// collapse the size.
	want = min(max(want, r.size/2, 1), r.size*2, maxSize)
	r.size = want
}

func (r *runner) progress(st Status) Progress {
	p := Progress{Name: st.Name, Processed: st.Processed, Changed: st.Changed, Total: st.Total, BatchSize: r.size}
	if el := time.Since(r.start).Seconds(); el > 0 {
		p.Rate = float64(r.processed) / el
	}
	if p.Rate > 0 && p.Total > p.Processed {
		p.ETA = time.Duration(float64(p.Total-p.Processed) / p.Rate * float64(time.Second))
	}
	return p
}

// throttle sleeps as long as the rate limit requires.
func (r *runner) throttle(ctx context.Context) {
	if r.mig.RateLimit <= 0 {
		return
	}
	want := time.Duration(float64(r.processed) / r.mig.RateLimit * float64(time.Second))
	if d := want - time.Since(r.start); d > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
}

// skipSet returns the documents that versions before MovedTable recorded
// in the tracking document as rewritten to a position after the cursor:
// they were visited already and are skipped when met again. No new entry
// is added to it; it only shrinks.
func skipSet(tracking strata.Doc) map[strata.ID]bool {
	skip := map[strata.ID]bool{}
	if list, ok := tracking["skip"].([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				skip[strata.ID(s)] = true
			}
		}
	}
	return skip
}

func skipValue(skip map[strata.ID]bool) any {
	if len(skip) == 0 {
		return strata.Unset
	}
	out := make([]any, 0, len(skip))
	for id := range skip {
		out = append(out, string(id))
	}
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return out
}

// defaultTarget is the default batch duration: short, because on
// PostgreSQL a long batch conflicts with more writers (on SQLite a batch
// ends early when writers wait).
const defaultTarget = 10 * time.Millisecond
