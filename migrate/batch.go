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
	mig := r.mig
	t0 := time.Now()
	var st Status
	var visited int
	var examined int // documents read, migrated or passed over
	var yielded bool
	var bm batchMoves
	var record strata.ID
	attempts := 0
	// Batches commit without waiting for stable storage (SQLite): a batch
	// that a power loss undoes is undone with its cursor and runs again;
	// the run's last write (seal) is durable and makes every batch before
	// it durable too. But while the application writes, the next of its
	// commits would wait for the sync of every relaxed batch before it:
	// for a while after a batch yielded to a writer, batches commit
	// durably and pay for their own sync.
	mutate := func(ctx context.Context, fn func(any) error) error {
		return r.m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error { return fn(tx) })
	}
	// While the application writes (a batch yielded lately), batches are
	// also gentler on the CPU: no decoding ahead on a second goroutine.
	gentle := time.Since(r.lastYield) <= durableAfterYield
	if !gentle {
		mutate = func(ctx context.Context, fn func(any) error) error {
			return system.MutationRelaxed(ctx, r.m.db, fn)
		}
	}
	err = mutate(bulkRead(ctx, r.size), func(t any) error {
		tx := t.(*strata.Tx)
		visited, examined, yielded = 0, 0, false
		attempts++
		if attempts > maxBatchAttempts && r.size > 1 {
			return errContended
		}
		d, err := tx.Get(r.id)
		if err != nil {
			return err
		}
		if d == nil {
			return fmt.Errorf("%w: tracking document deleted", errStopped)
		}
		cur := statusOf(d)
		if cur.State != mig.running() {
			return errStopped
		}
		if cur.LeaseOwner != r.m.owner {
			return fmt.Errorf("migrate: %q: lost the lease to %s: %w", mig.Name, cur.LeaseOwner, ErrRunningElsewhere)
		}
		q := tx.Table(mig.Table)
		if mig.Index != "" {
			q = q.WithIndex(mig.Index, mig.Range...)
		} else if mig.highWaterScan() {
			q = q.WithIndex("by_creation_time", strata.Lte(strata.FieldCreationTime, r.highWater))
		}
		skip := skipSet(d) // recorded by older versions: ids only
		mv, err := r.mover(tx)
		if err != nil {
			return err
		}
		bm = batchMoves{}
		cursor, isDone := system.UpgradeCursor(tx, cur.Cursor), false
		changed := 0
		if mig.MigrateBatch != nil {
			page, err := q.Paginate(r.size, cursor)
			if err != nil {
				return fmt.Errorf("migrate: %q: read page: %w", mig.Name, err)
			}
			docs := make([]strata.Doc, 0, len(page.Page))
			for _, doc := range page.Page {
				if seen, err := r.seen(mv, doc, &bm, skip); err != nil {
					return err
				} else if seen {
					continue // visited before it moved here
				}
				docs = append(docs, doc)
			}
			if changed, err = mig.MigrateBatch(tx, docs); err != nil {
				return &BatchError{Migration: mig.Name, Err: err}
			}
			if mv != nil && len(docs) > 0 {
				// The batch rewrote what it chose: those of its documents
				// whose new position lies after the cursor will be met
				// again; skip them then.
				ids := make([]strata.ID, len(docs))
				for i, doc := range docs {
					ids[i] = doc.ID()
				}
				if err := mv.note(tx, ids, page.Page[len(page.Page)-1], &bm); err != nil {
					return err
				}
			}
			visited, examined, cursor, isDone = len(docs), len(page.Page), page.ContinueCursor, page.IsDone
		}
		src, err := r.source(q, cursor)
		if err != nil {
			return err
		}
		defer src.stop()
		// Read in sub-pages where the batch may end early for writers
		// (SQLite); elsewhere, the whole batch in one read.
		step := r.size
		if system.TakesTurns(tx) {
			step = subPage
		}
		// A batch is bounded by the documents it reads, not only those it
		// migrates: past the high-water mark an id-order scan meets only
		// documents written since the start (passed over), possibly many.
		for mig.MigrateBatch == nil && !isDone && examined < r.size && !yielded {
			if examined >= minBeforeYield && system.WritersWaiting(tx) {
				yielded = true
				break
			}
			want := min(r.size-examined, step)
			more := r.size - examined - want
			if gentle {
				more = 0
			}
			page, err := src.next(tx, want, more)
			if err != nil {
				return fmt.Errorf("migrate: %q: read page: %w", mig.Name, err)
			}
			cursor, isDone = page.end, page.done
			var rewritten []strata.ID
			last := len(page.docs) - 1
			for i, doc := range page.docs {
				examined++
				seen, err := r.seen(mv, doc, &bm, skip)
				if err != nil {
					return err
				}
				switch {
				case seen:
					// Visited before it moved here.
				case src.aboveHighWater(doc):
					// Written since the migration started: transformed on
					// write.
				default:
					p, err := callOne(mig.MigrateOne, doc)
					if err != nil {
						return &BatchError{Migration: mig.Name, DocID: doc.ID(), Err: err}
					}
					visited++
					if len(p) > 0 {
						if err := tx.Patch(doc.ID(), p); err != nil {
							return &BatchError{Migration: mig.Name, DocID: doc.ID(), Err: err}
						}
						changed++
						rewritten = append(rewritten, doc.ID())
					}
				}
				if i < last && examined >= minBeforeYield && system.WritersWaiting(tx) {
					cursor, isDone, last, yielded = page.cursorAfter(i), false, i, true
					break
				}
			}
			if mv != nil && len(rewritten) > 0 {
				// Documents rewritten here whose new position lies after
				// the cursor will be met again: skip them then.
				if err := mv.note(tx, rewritten, page.docs[last], &bm); err != nil {
					return err
				}
			}
		}
		if record, err = bm.record(tx, mig.Name); err != nil {
			return err
		}
		if isDone && mv != nil {
			if err := deleteMoved(tx, mig.Name); err != nil {
				return err
			}
		}
		now := time.Now()
		patch := strata.Patch{
			"skip":           skipValue(skip),
			"cursor":         cursor,
			"processed":      cur.Processed + int64(visited),
			"changed":        cur.Changed + int64(changed),
			"batches":        cur.Batches + 1,
			"updatedAt":      timeMS(now),
			"leaseExpiresAt": timeMS(now.Add(r.m.opts.LeaseDuration)),
		}
		if isDone {
			patch["state"] = string(Completed)
			if mig.doneState != "" {
				patch["state"] = string(mig.doneState)
			}
			patch["completedAt"] = timeMS(now)
			patch["leaseOwner"] = strata.Unset
			patch["leaseExpiresAt"] = strata.Unset
		}
		if err := system.Patch(tx, r.id, patch); err != nil {
			return err
		}
		nd, err := tx.Get(r.id)
		st = statusOf(nd)
		done = isDone
		return err
	})
	if err != nil {
		return false, err
	}
	r.commitMoves(&bm, record)
	r.processed += int64(visited)
	r.lastBatch, r.lastCount, r.yielded = time.Since(t0), examined, yielded
	if yielded {
		r.lastYield = time.Now()
	}
	r.conflicted = attempts > 1
	r.adapt()
	if fn := r.m.opts.OnProgress; fn != nil {
		fn(r.progress(st))
	}
	return done, nil
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
