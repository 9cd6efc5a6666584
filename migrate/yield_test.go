package migrate_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// TestBatchYieldsToWaitingWriter: on SQLite, whose write transactions
// take turns, a batch ends early when an application write is queued
// behind it, and the migration still visits every document exactly once.
// (PostgreSQL runs writers concurrently with a batch, so there is nothing
// to yield.)
func TestBatchYieldsToWaitingWriter(t *testing.T) {
	const n = 600
	db := usersDB(t, n)
	var migrated atomic.Int64
	var seenByWriter atomic.Int64
	writerDone := make(chan error, 1)
	var started atomic.Bool
	var target strata.ID
	if err := db.Query(ctx, func(tx *strata.Tx) error {
		d, err := tx.Table("users").Order(strata.Desc).First()
		target = d.ID()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	m := migrate.New(db)
	err := m.Define(migrate.Migration{
		Name: "yield", Table: "users", BatchSize: n, TargetBatchDuration: -1,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			if migrated.Add(1) == 1 && started.CompareAndSwap(false, true) {
				// A writer arrives while the first batch runs: it queues
				// behind it.
				go func() {
					writerDone <- db.Mutation(ctx, func(tx *strata.Tx) error {
						seenByWriter.Store(migrated.Load())
						return tx.Patch(target, strata.Patch{"name": "written during the batch"})
					})
				}()
				time.Sleep(100 * time.Millisecond)
			}
			return increment(d)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Run(ctx, "yield")
	if err != nil {
		t.Fatal(err)
	}
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	if got := seenByWriter.Load(); got >= n || got < 1 {
		t.Errorf("the writer ran after %d of %d documents were migrated: the batch did not end early for it", got, n)
	}
	if st.Batches < 2 {
		t.Errorf("batches = %d, want at least 2 (the first cut short)", st.Batches)
	}
	if st.Processed != n || st.State != migrate.Completed {
		t.Errorf("status %s processed %d, want completed %d", st.State, st.Processed, n)
	}
	if got := countVisits(t, db); got[1] != n {
		t.Errorf("visits = %v, want every document visited once", got)
	}
}
