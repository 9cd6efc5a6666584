package migrate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// TestDeadRunnerIsReplaced: a migration left running by a process that
// died (its lease expired) is resumed from its cursor by another runner;
// one whose lease is still live is refused. On both backends.
func TestDeadRunnerIsReplaced(t *testing.T) {
	t.Parallel()
	eachBackend(t, testDeadRunnerIsReplaced)
}

func testDeadRunnerIsReplaced(t *testing.T, db *strata.DB) {
	addUsers(t, db, 200)
	def := migrate.Migration{Name: "count", Table: "users", BatchSize: 50, TargetBatchDuration: -1, MigrateOne: increment}
	// A first runner does two batches, then "dies": ctx canceled leaves it
	// paused, and we turn it back into running under a foreign lease, as a
	// process killed mid-run would leave it.
	cctx, cancel := contextAfterBatches(2)
	m1opts := migrate.New(db, migrate.Options{OnProgress: cancel})
	m1opts.Define(def)
	if _, err := m1opts.Run(cctx, "count"); err == nil {
		t.Fatal("expected the run to stop")
	}
	setLease := func(expires time.Time) {
		t.Helper()
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			d, err := tx.Table(migrate.Table).First()
			if err != nil {
				return err
			}
			return migrate.Sys.Patch(tx, d.ID(), map[string]any{
				"state": "running", "leaseOwner": "dead-process",
				"leaseExpiresAt": float64(expires.UnixMilli()),
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setLease(time.Now().Add(time.Hour))
	m2 := migrate.New(db)
	m2.Define(def)
	if _, err := m2.Run(ctx, "count"); !errors.Is(err, migrate.ErrRunningElsewhere) {
		t.Fatalf("live foreign lease: %v", err)
	}
	setLease(time.Now().Add(-time.Second))
	st, err := m2.Run(ctx, "count")
	if err != nil || st.State != migrate.Completed || st.Processed != 200 || st.Batches != 4 {
		t.Fatalf("takeover: %+v %v", st, err)
	}
	if got := countVisits(t, db); got[1] != 200 {
		t.Errorf("visits after takeover: %v", got)
	}
}

// TestServeResumes: a migration paused by an operator and resumed with
// Resume (as `strata migrate resume` does) is finished by a serving
// Migrator in another "process". On both backends.
func TestServeResumes(t *testing.T) {
	t.Parallel()
	eachBackend(t, testServeResumes)
}

func testServeResumes(t *testing.T, db *strata.DB) {
	addUsers(t, db, 150)
	def := migrate.Migration{Name: "count", Table: "users", BatchSize: 50, TargetBatchDuration: -1, MigrateOne: increment}
	cctx, stop := contextAfterBatches(1)
	m1 := migrate.New(db, migrate.Options{OnProgress: stop})
	m1.Define(def)
	if st, _ := m1.Run(cctx, "count"); st.State != migrate.Paused {
		t.Fatalf("state %s", st.State)
	}
	server := migrate.New(db)
	server.Define(def)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- server.Serve(sctx, 10*time.Millisecond) }()
	if _, err := migrate.Resume(ctx, db, "count"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		if time.Now().After(deadline) {
			t.Fatal("the serving Migrator did not finish the resumed migration")
		}
		st, err := migrate.StatusOf(ctx, db, "count")
		if err != nil {
			t.Fatal(err)
		}
		if st.State == migrate.Completed {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if got := countVisits(t, db); got[1] != 150 {
		t.Errorf("visits %v", got)
	}
}
