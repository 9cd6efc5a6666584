package strata

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/strata-db/strata/internal/batch"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// An index build is a job of the batch engine (internal/batch), as a
// migration is: each batch is a transaction that reads the build's
// cursor, indexes the next documents up to the high-water mark and
// advances the cursor, until the build is ready (or canceled, when its
// index left the schema). The engine sizes the batches (adapting to a
// 10 ms target unless PushOptions.BatchSize fixes the size), ends a
// batch early when application writers wait (SQLite), commits batches
// without waiting for stable storage and the end durably.

// runBuild runs build id until it is ready or canceled, or ctx ends.
func (db *DB) runBuild(ctx context.Context, id ID, opts PushOptions) error {
	cfg := batch.Config{Size: 500, Max: maxBuildBatch, BulkRead: true, Poll: buildPoll}
	if opts.BatchSize > 0 {
		cfg.Size, cfg.Target = opts.BatchSize, -1
	}
	// A lease in the build's document keeps other runners (in this or
	// other processes) from repeating the work; they wait, and take over
	// when it expires.
	j := &buildJob{db: db, id: id, owner: string(value.NewID(indexBuildsTable)), progress: opts.Progress, onIndexed: opts.onIndexed}
	var err error
	if j.total, err = db.countBuild(ctx, id); err != nil {
		return err
	}
	defer db.releaseBuild(id, j.owner)
	return batch.Run(ctx, db.batchEnv(), cfg, j)
}

// countBuild counts the documents build id will index, if it has not
// been counted yet, in a read-only snapshot: counting in a batch would
// hold SQLite's write lock for the whole count, and make every
// concurrent insert into the table conflict with the batch on
// PostgreSQL. Documents below the build's high-water mark are only ever
// deleted, so the count is what the table held at some moment of the
// build (as before). It returns -1 if there is nothing to count.
func (db *DB) countBuild(ctx context.Context, id ID) (int64, error) {
	n := int64(-1)
	// The count reads every entry of the range: one lock per table, not
	// per row (storage.WithBulkRead).
	err := db.Query(system.Unlimited(storage.WithBulkRead(ctx)), func(tx *Tx) error {
		n = -1
		d, err := tx.get(indexBuildsTable, id)
		if err != nil || d == nil || d.StringOr("state", "") != BuildBackfilling {
			return err
		}
		if _, counted := d["total"]; counted {
			return nil
		}
		hwm, _ := d["hwm"].([]byte)
		n, err = countRange(tx.st, d.StringOr("table", ""), hwm)
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

// maxBuildBatch bounds the adapted size of an index build's batches.
const maxBuildBatch = 2000

// batchEnv returns what the batch engine needs of db: its write
// transactions (strata's own work, exempt from the transaction limits),
// relaxed on request, and who waits behind them.
func (db *DB) batchEnv() batch.Env[*Tx] {
	return batch.Env[*Tx]{
		Mutate: func(ctx context.Context, relaxed bool, fn func(*Tx) error) error {
			return db.runWith(system.Unlimited(ctx), txMode{writable: true, relaxed: relaxed}, fn)
		},
		TakesTurns: func(tx *Tx) bool {
			_, ok := tx.st.(storage.Waiters)
			return ok
		},
		WritersWaiting: func(tx *Tx) bool {
			w, ok := tx.st.(storage.Waiters)
			return ok && tx.writable && w.WritersWaiting() > 0
		},
	}
}

// buildJob is one runner of one index build.
type buildJob struct {
	db        *DB
	id        ID
	owner     string // this runner's lease owner
	progress  func(Progress)
	onIndexed func()   // test hook (PushOptions.onIndexed)
	total     int64    // the documents to index, counted by countBuild; -1 if not
	prog      Progress // of the last batch; Phase empty if nothing to report
	finished  bool     // this runner recorded the build ready or canceled
}

// Batch runs one attempt of a batch (batch.Job): it checks the build's
// state and lease, records the count of documents to index in the build's
// first batch, then indexes up to b.Size documents after the cursor, in
// sub-pages where writers take turns, ending early when one waits.
func (j *buildJob) Batch(b *batch.Batch[*Tx]) (batch.Result, error) {
	tx := b.Tx
	j.prog, j.finished = Progress{}, false
	d, err := tx.get(indexBuildsTable, j.id)
	if err != nil {
		return batch.Result{}, err
	}
	if d == nil || d.StringOr("state", "") != BuildBackfilling {
		return batch.Result{Done: true}, nil
	}
	now := nowMillis()
	if until, _ := d.Float("leaseUntil"); d.StringOr("leaseOwner", "") != j.owner && until > now {
		return batch.Result{Held: true}, nil
	}
	bd := buildFromDoc(d)
	next := make(Doc, len(d)+4)
	for k, x := range d {
		next[k] = x
	}
	next["updatedAt"] = now
	next["leaseOwner"], next["leaseUntil"] = j.owner, now+float64(buildLease.Milliseconds())
	ix, ok := tx.schema.Tables[bd.Table].IndexByName(bd.Index)
	if !ok || !slices.Equal(ix.Fields, bd.Fields) {
		next["state"] = BuildCanceled
		j.finished = true
		return batch.Result{Done: true}, tx.write(indexBuildsTable, j.id, d, next)
	}
	hwm, _ := d["hwm"].([]byte)
	if _, counted := d["total"]; !counted {
		if j.total < 0 {
			// Not counted beforehand (the build was staged meanwhile):
			// this batch only counts, and its duration says nothing
			// about the batch size.
			n, err := countRange(tx.st, bd.Table, hwm)
			if err != nil {
				return batch.Result{}, err
			}
			next["total"] = n
			return batch.Result{}, tx.write(indexBuildsTable, j.id, d, next)
		}
		next["total"] = j.total
	}
	cursor, _ := d["cursor"].([]byte)
	n, done, err := j.index(b, bd.Table, ix, &cursor, hwm)
	if err != nil {
		return batch.Result{}, err
	}
	next["processed"] = bd.Processed + int64(n)
	if done {
		next["state"] = BuildReady
		next["readyAt"] = nowMillis()
		delete(next, "cursor")
		delete(next, "leaseOwner")
		delete(next, "leaseUntil")
		j.finished = true
	} else {
		next["cursor"] = cursor
	}
	total, _ := next["total"].(int64)
	j.prog = Progress{Phase: "build", Table: bd.Table, Index: bd.Index, Done: next["processed"].(int64), Total: total}
	return batch.Result{Items: n, Done: done}, tx.write(indexBuildsTable, j.id, d, next)
}

// index writes the entries of index ix for up to b.Size documents of
// table after *cursor and below hwm, advancing *cursor past the last one
// it indexed. It returns how many it indexed and whether none are left.
func (j *buildJob) index(b *batch.Batch[*Tx], table string, ix schema.Index, cursor *[]byte, hwm []byte) (n int, done bool, err error) {
	tx, step := b.Tx, b.Step()
	for n < b.Size {
		if b.ShouldYield(n) {
			return n, false, nil
		}
		want := min(step, b.Size-n)
		ents, err := tx.st.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Range: storage.Range{Start: *cursor, End: hwm}, Limit: want})
		if err != nil {
			return n, false, err
		}
		for i, e := range ents {
			m, err := tx.decodeRecord(table, e.Body)
			if err != nil {
				return n, false, fmt.Errorf("corrupt record %s: %w", e.ID, err)
			}
			// A fresh key each time: the transaction may retain it.
			key, err := indexKey(nil, ix, Doc(m))
			if err != nil {
				return n, false, fmt.Errorf("document %s: %w", e.ID, err)
			}
			if err := tx.st.PutIndex(table, ix.Name, key, e.ID); err != nil {
				return n, false, err
			}
			n++
			*cursor = append(bytes.Clone(e.Key), 0)
			if j.onIndexed != nil {
				j.onIndexed()
			}
			if i < len(ents)-1 && b.ShouldYield(n) {
				return n, false, nil
			}
		}
		if len(ents) < want {
			return n, true, nil
		}
	}
	return n, false, nil
}

// Committed reports the batch's progress (batch.Job).
func (j *buildJob) Committed(_ context.Context, _ batch.Committed) {
	if j.progress != nil && j.prog.Phase != "" {
		j.progress(j.prog)
	}
}

// Seal makes the end of a build this runner finished durable (batch.Job):
// the batches commit relaxed (storage.RelaxedBeginner), and a build
// reported ready must stay ready after a power loss.
func (j *buildJob) Seal(ctx context.Context) error {
	if !j.finished {
		return nil // another runner finished it, and sealed it
	}
	return j.db.Mutation(system.Unlimited(ctx), func(tx *Tx) error {
		d, err := tx.get(indexBuildsTable, j.id)
		if err != nil || d == nil {
			return err
		}
		next := make(Doc, len(d))
		for k, x := range d {
			next[k] = x
		}
		next["updatedAt"] = nowMillis()
		return tx.write(indexBuildsTable, j.id, d, next)
	})
}

// buildLease is how long a build runner holds a build after its last
// batch; buildPoll how often a waiting runner looks again.
var (
	buildLease = 10 * time.Second
	buildPoll  = 50 * time.Millisecond
)

// releaseBuild gives up owner's lease on build id, so that a runner
// stopped by its context lets another continue at once.
func (db *DB) releaseBuild(id ID, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = db.Mutation(system.Unlimited(ctx), func(tx *Tx) error {
		d, err := tx.get(indexBuildsTable, id)
		if err != nil || d == nil || d.StringOr("leaseOwner", "") != owner {
			return err
		}
		next := make(Doc, len(d))
		for k, x := range d {
			next[k] = x
		}
		delete(next, "leaseOwner")
		delete(next, "leaseUntil")
		return tx.write(indexBuildsTable, id, d, next)
	})
}
