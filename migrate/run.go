package migrate

import (
	"bytes"
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

// ErrRunningElsewhere is wrapped by Run's error when another runner holds
// the migration's lease.
var ErrRunningElsewhere = errors.New("migration is running elsewhere")

// BatchError reports the document on which a migration's batch failed.
// The batch was rolled back; the error is recorded in the tracking
// document and the migration is left failed.
type BatchError struct {
	Migration string
	DocID     strata.ID
	Err       error
}

func (e *BatchError) Error() string {
	if e.DocID == "" {
		return fmt.Sprintf("migration %q: batch failed: %v", e.Migration, e.Err)
	}
	return fmt.Sprintf("migration %q: document %s: %v", e.Migration, e.DocID, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// errStopped ends a run that an operator paused or canceled.
var errStopped = errors.New("stopped")

// Run runs the named migration to the end of its table, in batches, and
// returns its final status. Run of a completed migration does nothing and
// says so in Status.Message; of one running under another live lease
// fails with ErrRunningElsewhere; of a failed, paused or canceled one (or
// one whose runner died) resumes from the stored cursor. If ctx ends, Run
// stops after the current batch and leaves the migration paused, to be
// resumed by the next Run.
func (m *Migrator) Run(ctx context.Context, name string) (Status, error) {
	mig, err := m.lookup(name)
	if err != nil {
		return Status{}, err
	}
	return m.run(ctx, mig)
}

func (m *Migrator) run(ctx context.Context, mig *Migration) (Status, error) {
	name := mig.Name
	if mig.TransformWrites {
		defer m.db.AddWriteTransform(mig.Table, func(old, next strata.Doc) (strata.Doc, error) {
			p, err := callOne(mig.MigrateOne, next)
			if err != nil || len(p) == 0 {
				return next, err
			}
			return applyPatch(next, p), nil
		})()
		// A barrier: on SQLite, whose writers run one at a time, a write
		// transaction that inserted before the transform was installed
		// commits before this one, hence before the high-water mark is
		// read. (On PostgreSQL an in-process writer may still be in flight;
		// declarative migrations, whose transforms switch on with the
		// schema in one serializable transaction, have no such window.)
		if err := m.db.Mutation(ctx, func(*strata.Tx) error { return nil }); err != nil {
			return Status{}, err
		}
	}
	st, err := m.claim(ctx, mig)
	if err != nil || st.State == Completed {
		return st, err
	}
	r := &runner{m: m, mig: mig, id: st.ID, size: mig.BatchSize, start: time.Now(), startProcessed: st.Processed, highWater: st.HighWater}
	if r.size <= 0 {
		r.size = 100
	}
	for {
		if err := ctx.Err(); err != nil {
			// Leave it paused so that a later Run (or any process) resumes.
			st, _ := setState(context.WithoutCancel(ctx), m.db, name, Paused, Running)
			return st, fmt.Errorf("migrate: %q: %w", name, err)
		}
		done, err := r.batch(ctx)
		if errors.Is(err, errStopped) {
			st, serr := m.Status(context.WithoutCancel(ctx), name)
			if serr != nil {
				return st, serr
			}
			return st, fmt.Errorf("migrate: %q was %s while running", name, st.State)
		}
		if err != nil && ctx.Err() != nil {
			st, _ := setState(context.WithoutCancel(ctx), m.db, name, Paused, Running)
			return st, fmt.Errorf("migrate: %q: %w", name, ctx.Err())
		}
		if err != nil {
			var be *BatchError
			if errors.As(err, &be) {
				st, ferr := m.fail(context.WithoutCancel(ctx), r.id, be)
				return st, errors.Join(err, ferr)
			}
			if errors.Is(err, storage.ErrConflict) && r.size > 1 {
				r.size = max(1, r.size/2) // shrink on conflicts and try again
				continue
			}
			st, ferr := m.fail(context.WithoutCancel(ctx), r.id, &BatchError{Migration: name, Err: err})
			return st, errors.Join(err, ferr)
		}
		if done {
			return m.Status(ctx, name)
		}
		r.throttle(ctx)
	}
}

// claim creates or takes over the migration's tracking document and its
// lease, in one transaction.
func (m *Migrator) claim(ctx context.Context, mig *Migration) (Status, error) {
	var st Status
	// Count a new migration's documents in a read-only snapshot: counting
	// inside the claiming (serializable) transaction would make every
	// concurrent writer of the table conflict with it on PostgreSQL.
	var total int64
	var hw float64
	counted := false
	err := m.db.Query(ctx, func(tx *strata.Tx) error {
		d, err := find(tx, mig.Name)
		if err != nil || d != nil {
			return err
		}
		total, hw, err = countTable(tx, mig)
		counted = err == nil
		return err
	})
	if err != nil {
		return st, err
	}
	err = m.db.Mutation(ctx, func(tx *strata.Tx) error {
		now := time.Now()
		d, err := find(tx, mig.Name)
		if err != nil {
			return err
		}
		lease := strata.Patch{
			"state":          string(mig.running()),
			"leaseOwner":     m.owner,
			"leaseExpiresAt": timeMS(now.Add(m.opts.LeaseDuration)),
			"updatedAt":      timeMS(now),
			"error":          strata.Unset,
			"errorDocId":     strata.Unset,
		}
		if d == nil {
			if !counted {
				return fmt.Errorf("migrate: %q: %w: it was reset while starting", mig.Name, storage.ErrConflict)
			}
			doc := map[string]any{
				"name": mig.Name, "table": mig.Table, "kind": "custom",
				"processed": int64(0), "changed": int64(0), "total": total, "batches": int64(0),
				"startedAt": timeMS(now), "highWater": hw,
			}
			for k, x := range lease {
				if x != strata.Unset {
					doc[k] = x
				}
			}
			id, err := system.Insert(tx, Table, doc)
			if err != nil {
				return err
			}
			d, err = tx.Get(id)
			st = statusOf(d)
			return err
		}
		cur := statusOf(d)
		if cur.Table != mig.Table {
			return fmt.Errorf("migrate: %q is tracked on table %q, but defined on %q; Reset it to start over", mig.Name, cur.Table, mig.Table)
		}
		switch cur.State {
		case mig.running():
			if cur.LeaseOwner != m.owner && now.Before(cur.LeaseExpires) {
				return fmt.Errorf("migrate: %q: %w (lease held until %s)", mig.Name, ErrRunningElsewhere, cur.LeaseExpires.Format(time.RFC3339))
			}
		case Completed:
			st = cur
			st.Message = fmt.Sprintf("already completed at %s; nothing to do", cur.CompletedAt.Format(time.RFC3339))
			return nil
		case Running:
			if cur.LeaseOwner != m.owner && now.Before(cur.LeaseExpires) {
				return fmt.Errorf("migrate: %q: %w (lease held until %s)", mig.Name, ErrRunningElsewhere, cur.LeaseExpires.Format(time.RFC3339))
			}
		}
		if err := system.Patch(tx, d.ID(), lease); err != nil {
			return err
		}
		d, err = tx.Get(d.ID())
		st = statusOf(d)
		if cur.State != Pending {
			st.Message = fmt.Sprintf("resuming from %s after %d documents", cur.State, cur.Processed)
		}
		return err
	})
	return st, err
}

// countTable counts the documents a migration will visit and returns the
// newest _creationTime of the table (the high-water mark).
func countTable(tx *strata.Tx, mig *Migration) (int64, float64, error) {
	var n int64
	q := tx.Table(mig.Table)
	if mig.Index != "" {
		q = q.WithIndex(mig.Index, mig.Range...)
	}
	if err := q.Each(func(strata.Doc) error { n++; return nil }); err != nil {
		return 0, 0, fmt.Errorf("migrate: count %s: %w", mig.Table, err)
	}
	last, err := tx.Table(mig.Table).Order(strata.Desc).First()
	if err != nil {
		return 0, 0, err
	}
	return n, last.CreationTime(), nil
}

// fail records a batch failure and releases the lease.
func (m *Migrator) fail(ctx context.Context, id strata.ID, be *BatchError) (Status, error) {
	var st Status
	err := m.db.Mutation(ctx, func(tx *strata.Tx) error {
		p := strata.Patch{
			"state":          string(Failed),
			"error":          be.Err.Error(),
			"updatedAt":      timeMS(time.Now()),
			"leaseOwner":     strata.Unset,
			"leaseExpiresAt": strata.Unset,
		}
		if be.DocID != "" {
			p["errorDocId"] = string(be.DocID)
		}
		if err := system.Patch(tx, id, p); err != nil {
			return err
		}
		d, err := tx.Get(id)
		st = statusOf(d)
		return err
	})
	return st, err
}

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
}

// batch runs one batch: one transaction that checks the lease, reads a
// page after the cursor, migrates it and advances the tracking document.
func (r *runner) batch(ctx context.Context) (done bool, err error) {
	mig := r.mig
	t0 := time.Now()
	var st Status
	var visited int
	err = r.m.db.Mutation(ctx, func(tx *strata.Tx) error {
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
		} else if mig.TransformWrites || mig.stopAtHighWater {
			q = q.WithIndex("by_creation_time", strata.Lte(strata.FieldCreationTime, r.highWater))
		}
		page, err := q.Paginate(r.size, cur.Cursor)
		if err != nil {
			return fmt.Errorf("migrate: %q: read page: %w", mig.Name, err)
		}
		changed := 0
		skip, moved, err := r.movedAhead(tx, d)
		if err != nil {
			return err
		}
		docs := page.Page
		if len(skip) > 0 {
			docs = make([]strata.Doc, 0, len(page.Page))
			for _, doc := range page.Page {
				if skip[doc.ID()] {
					delete(skip, doc.ID()) // visited before it moved here
					continue
				}
				docs = append(docs, doc)
			}
		}
		if mig.MigrateBatch != nil {
			if changed, err = mig.MigrateBatch(tx, docs); err != nil {
				return &BatchError{Migration: mig.Name, Err: err}
			}
		} else {
			for _, doc := range docs {
				p, err := callOne(mig.MigrateOne, doc)
				if err != nil {
					return &BatchError{Migration: mig.Name, DocID: doc.ID(), Err: err}
				}
				if len(p) == 0 {
					continue
				}
				if err := tx.Patch(doc.ID(), p); err != nil {
					return &BatchError{Migration: mig.Name, DocID: doc.ID(), Err: err}
				}
				changed++
				if moved != nil {
					if err := moved(doc.ID(), page.Page[len(page.Page)-1]); err != nil {
						return err
					}
				}
			}
		}
		visited = len(docs)
		now := time.Now()
		patch := strata.Patch{
			"skip":           skipValue(skip),
			"cursor":         page.ContinueCursor,
			"processed":      cur.Processed + int64(visited),
			"changed":        cur.Changed + int64(changed),
			"batches":        cur.Batches + 1,
			"updatedAt":      timeMS(now),
			"leaseExpiresAt": timeMS(now.Add(r.m.opts.LeaseDuration)),
		}
		if page.IsDone {
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
		done = page.IsDone
		return err
	})
	if err != nil {
		return false, err
	}
	r.processed += int64(visited)
	r.lastBatch, r.lastCount = time.Since(t0), visited
	r.adapt()
	if fn := r.m.opts.OnProgress; fn != nil {
		fn(r.progress(st))
	}
	return done, nil
}

// callOne runs a per-document function, turning a panic into an error so
// one bad document fails its batch instead of the process.
func callOne(fn func(strata.Doc) (strata.Patch, error), doc strata.Doc) (p strata.Patch, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn(doc)
}

// adapt scales the batch size towards the target batch duration.
func (r *runner) adapt() {
	target := r.mig.TargetBatchDuration
	if target < 0 || r.lastCount == 0 {
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

// movedAhead supports migrations over an index range that rewrite the
// indexed field: a document the batch changes may move past the cursor
// and would be visited again. It returns the set of such documents
// recorded by earlier batches (to skip when met again) and a function
// that records a changed document if its new key lies after the cursor
// (the key of the page's last document as read). For scans in
// _creationTime order, whose keys never change, both are nil.
func (r *runner) movedAhead(tx *strata.Tx, tracking strata.Doc) (map[strata.ID]bool, func(strata.ID, strata.Doc) error, error) {
	mig := r.mig
	skip := map[strata.ID]bool{}
	if list, ok := tracking["skip"].([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				skip[strata.ID(s)] = true
			}
		}
	}
	if mig.Index == "" || tx.Schema() == nil || tx.Schema().Tables[mig.Table] == nil {
		return skip, nil, nil
	}
	ix, ok := tx.Schema().Tables[mig.Table].IndexByName(mig.Index)
	if !ok {
		return skip, nil, nil
	}
	return skip, func(id strata.ID, last strata.Doc) error {
		now, err := tx.Get(id)
		if err != nil || now == nil {
			return err
		}
		newKey, err := strata.IndexKey(ix, now)
		if err != nil {
			return err
		}
		lastKey, err := strata.IndexKey(ix, last)
		if err != nil {
			return err
		}
		if bytes.Compare(newKey, lastKey) > 0 {
			skip[id] = true
		}
		return nil
	}, nil
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

// defaultTarget is the default batch duration: short, because on SQLite an
// application write waits for at most one batch (the write queue is fair)
// and on PostgreSQL a long batch conflicts with more writers.
const defaultTarget = 25 * time.Millisecond
