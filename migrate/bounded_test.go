package migrate_test

import (
	"context"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// mark is a TransformWrites migration that sets "marked" and counts
// visits.
func mark(name string, batch int) migrate.Migration {
	return migrate.Migration{
		Name: name, Table: "users", TransformWrites: true, BatchSize: batch, TargetBatchDuration: -1,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			if d.Has("marked") {
				return nil, nil
			}
			n, _ := d.Int("visits")
			return strata.Patch{"marked": true, "visits": n + 1}, nil
		},
	}
}

// TestBatchBoundedByDocumentsRead: documents written after the
// migration started lie past its high-water mark (at the end of the id
// order); a batch reads at most its size of them, so it cannot grow into
// one transaction over everything written since.
func TestBatchBoundedByDocumentsRead(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		addUsers(t, db, 20)
		batches := 0
		m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
			if batches++; batches == 1 {
				addUsers(t, db, 200) // transformed on write: above the mark
			}
		}})
		if err := m.Define(mark("bounded", 10)); err != nil {
			t.Fatal(err)
		}
		st, err := m.Run(ctx, "bounded")
		if err != nil {
			t.Fatal(err)
		}
		if st.State != migrate.Completed || st.Processed != 20 {
			t.Fatalf("status %s, processed %d, want completed after 20", st.State, st.Processed)
		}
		if st.Batches < 20 {
			t.Errorf("%d batches: the 200 documents past the mark were read in fewer than 20 batches of 10", st.Batches)
		}
		if got := countVisits(t, db); got[1] != 220 {
			t.Errorf("visits = %v, want all 220 marked once", got)
		}
	})
}

// TestInterruptedRunLeavesAnotherOwnersMigration: a runner whose context
// ends after another process took its migration over does not pause it.
func TestInterruptedRunLeavesAnotherOwnersMigration(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		addUsers(t, db, 100)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
			// Another process takes the migration over (this one's
			// lease lapsed), and this one is shut down.
			forge(t, db, "taken", leasedTo("other-process", time.Now().Add(time.Hour)))
			cancel()
		}})
		if err := m.Define(mark("taken", 10)); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Run(cctx, "taken"); err == nil {
			t.Fatal("the run did not stop")
		}
		st, err := migrate.StatusOf(ctx, db, "taken")
		if err != nil {
			t.Fatal(err)
		}
		if st.State != migrate.Running || st.LeaseOwner != "other-process" {
			t.Errorf("after the interrupted run: state %s, owner %q; want running, other-process", st.State, st.LeaseOwner)
		}
	})
}
