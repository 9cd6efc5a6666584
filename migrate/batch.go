package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/batch"
	"github.com/strata-db/strata/internal/system"
)

// runner runs the batches of one migration in this process: the job
// that the batch engine (internal/batch) runs, which owns the loop, the
// batch size, yielding to writers and the commits.
type runner struct {
	m              *Migrator
	mig            *Migration
	id             strata.ID
	size           int // of the next batch, for the progress report
	start          time.Time
	startProcessed int64
	highWater      float64
	processed      int64     // in this run
	moved          *movedSet // documents moved ahead of the cursor (index-range scans)
	cur            *batchTx  // the batch attempt that ran last
	final          Status    // the tracking document as seal left it
	sealed         bool      // seal ran (final is set if it succeeded)
	commits        uint64    // the DB's commits after the last batch (stepAside)
}

// env returns what the batch engine needs of the migration's database.
func (r *runner) env() batch.Env[*strata.Tx] {
	return batch.Env[*strata.Tx]{
		Mutate:         r.mutate,
		TakesTurns:     sys.TakesTurns,
		WritersWaiting: (*strata.Tx).WritersWaiting,
	}
}

// config returns the migration's batching.
func (r *runner) config() batch.Config {
	return batch.Config{Size: r.mig.BatchSize, Target: r.mig.TargetBatchDuration, Max: r.mig.MaxBatchSize, BulkRead: true}
}

// Batch runs one attempt of a batch (batch.Job): one transaction that
// checks the lease, reads up to bb.Size documents after the cursor,
// migrates them and advances the tracking document. On SQLite, whose
// write transactions take turns, the batch ends early once it has
// migrated batch.MinBeforeYield documents if an application write is
// queued behind it, so that writes wait for a few documents rather than
// for a whole batch.
func (r *runner) Batch(bb *batch.Batch[*strata.Tx]) (batch.Result, error) {
	b := &batchTx{r: r, tx: bb.Tx, bb: bb}
	r.cur = b
	if err := b.run(); err != nil {
		return batch.Result{}, err
	}
	return batch.Result{Items: b.examined, Done: b.done}, nil
}

// mutate runs fn in the write transaction of one batch. Batches commit
// without waiting for stable storage (SQLite): a batch that a power loss
// undoes is undone with its cursor and runs again; the run's last write
// (seal) is durable and makes every batch before it durable too. But
// while the application writes, the next of its commits would wait for
// the sync of every relaxed batch before it: the engine asks for durable
// commits (relaxed false) for a while after a batch yielded to a writer.
func (r *runner) mutate(ctx context.Context, relaxed bool, fn func(*strata.Tx) error) error {
	if !relaxed {
		return r.m.db.Mutation(system.Unlimited(ctx), fn)
	}
	return r.m.db.MutationRelaxed(system.Unlimited(ctx), fn)
}

// Committed updates the runner once a batch has committed (batch.Job):
// the moved documents, the counts, the progress report and the rate
// limit.
func (r *runner) Committed(ctx context.Context, c batch.Committed) {
	b := r.cur
	r.commitMoves(&b.bm, b.record)
	r.processed += int64(b.visited)
	r.size = c.Size
	if fn := r.m.opts.OnProgress; fn != nil {
		fn(r.progress(b.status))
	}
	if !c.Done {
		r.throttle(ctx)
		r.stepAside(ctx, c)
	}
}

// stepAside, for a low-priority run (a compaction), pauses after a batch
// during which application writers were about — it yielded to one
// (SQLite), or other write transactions of this process committed — for
// as long as the batch took, so that their next writes run between
// batches rather than beside or behind one. Without writers it runs at
// full speed.
func (r *runner) stepAside(ctx context.Context, c batch.Committed) {
	if !r.mig.lowPriority {
		return
	}
	commits := r.m.db.TxStats().Commits
	others := commits - r.commits - 1 // the batch's own commit
	first := r.commits == 0
	r.commits = commits
	if !c.Yielded && (first || others == 0) {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(max(c.Took, time.Millisecond)):
	}
}

// Seal ends a run that reached the end of its table with a durable
// commit (batch.Job).
func (r *runner) Seal(ctx context.Context) error {
	var err error
	r.final, err = r.m.seal(ctx, r.id)
	r.sealed = true
	return err
}

// batchTx is one attempt of a batch, in its transaction: what it read of
// the tracking document and what it has done so far. A retried
// transaction starts a new one.
type batchTx struct {
	r        *runner
	tx       *strata.Tx
	bb       *batch.Batch[*strata.Tx] // size, yielding, gentleness
	tracking Status                   // the tracking document as this attempt read it
	skip     map[strata.ID]bool       // recorded by older versions: ids only
	mv       *mover                   // set when rewrites move documents in the scan's order
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
