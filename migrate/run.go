package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/batch"
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
// resumed by the next Run. Run runs its own transactions and must not be
// called inside one (it waits for the process's write transactions in
// flight when the migration installs a write transform).
func (m *Migrator) Run(ctx context.Context, name string) (Status, error) {
	mig, err := m.lookup(name)
	if err != nil {
		return Status{}, err
	}
	return m.run(ctx, mig)
}

func (m *Migrator) run(ctx context.Context, mig *Migration) (Status, error) {
	mig = m.withOptions(mig)
	name := mig.Name
	if mig.TransformWrites {
		defer m.db.AddWriteTransform(mig.Table, func(old, next strata.Doc) (strata.Doc, error) {
			p, err := callOne(mig.MigrateOne, next)
			if err != nil || len(p) == 0 {
				return next, err
			}
			return applyPatch(next, p), nil
		})()
		// A barrier: a write transaction of this process that wrote
		// before the transform was installed commits (or not) before the
		// high-water mark is read, so its documents are below the mark
		// and the scan meets them. (Declarative migrations, whose
		// transforms switch on with the schema in one serializable
		// transaction in every process, need none.)
		if err := m.db.WriteBarrier(ctx); err != nil {
			return Status{}, fmt.Errorf("migrate: %q: %w", name, err)
		}
	}
	st, err := m.claim(ctx, mig)
	if err != nil || st.State == Completed {
		return st, err
	}
	r := &runner{m: m, mig: mig, id: st.ID, start: time.Now(), startProcessed: st.Processed, highWater: st.HighWater}
	if mig.Index != "" {
		if r.moved, err = loadMoved(ctx, m.db, name); err != nil {
			return st, err
		}
	}
	err = batch.Run(ctx, r.env(), r.config(), r)
	switch {
	case r.sealed:
		// The last batch committed; seal ran even if ctx just ended.
		return r.final, err
	case errors.Is(err, errStopped):
		st, serr := m.Status(context.WithoutCancel(ctx), name)
		if serr != nil {
			return st, serr
		}
		return st, fmt.Errorf("migrate: %q was %s while running", name, st.State)
	case ctx.Err() != nil:
		// Leave it paused so that a later Run (or any process) resumes.
		st, _ := m.interrupted(context.WithoutCancel(ctx), mig)
		return st, fmt.Errorf("migrate: %q: %w", name, ctx.Err())
	}
	// A failed document, a batch of one document that kept conflicting
	// (a document written all the time, or a PostgreSQL server out of
	// lock memory) for a minute, or a failure of the database.
	be := &BatchError{Migration: name, Err: err}
	errors.As(err, &be)
	st, ferr := m.fail(context.WithoutCancel(ctx), r.id, be)
	return st, errors.Join(err, ferr)
}

// seal ends a run that reached the end of its table with an ordinary,
// durable commit (the batches' commits are relaxed, see runner.mutate): once it
// returns, the migration's final state survives a power loss.
func (m *Migrator) seal(ctx context.Context, id strata.ID) (Status, error) {
	var st Status
	err := m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
		if err := sys.Patch(tx, id, strata.Patch{"updatedAt": timeMS(time.Now())}); err != nil {
			return err
		}
		d, err := tx.Get(id)
		st = statusOf(d)
		return err
	})
	return st, err
}

// interrupted records that this process stopped running mig because its
// context ended, if it still holds the lease: a running migration becomes
// paused (the next Run resumes it); one in another phase (completing)
// keeps its state and gives up its lease, so that any process may
// continue it at once. A migration another process took over is left
// alone.
func (m *Migrator) interrupted(ctx context.Context, mig *Migration) (Status, error) {
	var st Status
	err := m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
		d, err := find(tx, mig.Name)
		if err != nil {
			return err
		}
		if d == nil {
			return fmt.Errorf("migrate: %q: %w", mig.Name, ErrUnknown)
		}
		if d.StringOr("leaseOwner", "") == m.owner {
			p := strata.Patch{"leaseOwner": strata.Unset, "leaseExpiresAt": strata.Unset, "updatedAt": timeMS(time.Now())}
			if d.StringOr("state", "") == string(Running) {
				p["state"] = string(Paused)
			}
			if err := sys.Patch(tx, d.ID(), p); err != nil {
				return err
			}
			if d, err = tx.Get(d.ID()); err != nil {
				return err
			}
		}
		st = statusOf(d)
		return nil
	})
	return st, err
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
	// The count reads every entry of the range: one lock per table, not
	// per row (storage.WithBulkRead).
	err := m.db.Query(system.Unlimited(storage.WithBulkRead(ctx)), func(tx *strata.Tx) error {
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
	err = m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
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
				"name": mig.Name, "table": mig.Table, "kind": mig.trackedKind(),
				"processed": int64(0), "changed": int64(0), "total": total, "batches": int64(0),
				"startedAt": timeMS(now), "highWater": hw,
			}
			for k, x := range lease {
				if x != strata.Unset {
					doc[k] = x
				}
			}
			id, err := sys.Insert(tx, Table, doc)
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
		if err := sys.Patch(tx, d.ID(), lease); err != nil {
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
	q := tx.Table(mig.Table)
	if mig.Index != "" {
		q = q.WithIndex(mig.Index, mig.Range...)
	}
	n, err := q.Count()
	if err != nil {
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
	err := m.db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
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
		if err := sys.Patch(tx, id, p); err != nil {
			return err
		}
		d, err := tx.Get(id)
		st = statusOf(d)
		return err
	})
	return st, err
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
