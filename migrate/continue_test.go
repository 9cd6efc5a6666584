package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

const renameFile = `{"name":"010_rename","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`

// renameUsers gives db a users table {userName, email} with n documents.
func renameUsers(t *testing.T, db *strata.DB, n int) {
	t.Helper()
	s, _ := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := tx.Insert("users", strata.Doc{"userName": fmt.Sprintf("u%d", i), "email": "e"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// eachUser calls fn with every user.
func eachUser(t *testing.T, db *strata.DB, fn func(strata.Doc)) {
	t.Helper()
	err := db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error { fn(d); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
}

// forge rewrites the tracking document of name, as a process that died
// (or an operator) would have left it.
func forge(t *testing.T, db *strata.DB, name string, patch map[string]any) {
	t.Helper()
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		d, err := tx.Table(migrate.Table).Filter(strata.Field("name").Eq(name)).First()
		if err != nil {
			return err
		}
		return migrate.Sys.Patch(tx, d.ID(), patch)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func leasedTo(owner string, expires time.Time) map[string]any {
	return map[string]any{"leaseOwner": owner, "leaseExpiresAt": float64(expires.UnixMilli())}
}

// startInterrupted starts the rename and stops it after n batches of 100.
func startInterrupted(t *testing.T, db *strata.DB, n int) {
	t.Helper()
	cctx, stop := contextAfterBatches(n)
	st, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Start(cctx, parseFile(t, renameFile))
	if err == nil || st.State != migrate.Paused || st.Processed != int64(100*n) {
		t.Fatalf("interrupted start: %+v %v", st, err)
	}
}

// TestContinueInterruptedStart: a start stopped after one batch is
// finished by Continue in another Migrator, from its cursor, to ready;
// Continue of a ready and of a completed migration does nothing and says
// so.
func TestContinueInterruptedStart(t *testing.T) {
	t.Parallel()
	eachBackend(t, testContinueInterruptedStart)
}

func testContinueInterruptedStart(t *testing.T, db *strata.DB) {
	renameUsers(t, db, 250)
	startInterrupted(t, db, 1)

	var visited []int64 // documents per batch of the continuing runner
	last := int64(100)
	m := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: func(p migrate.Progress) {
		visited = append(visited, p.Processed-last)
		last = p.Processed
	}})
	st, err := m.Continue(ctx, "010_rename")
	if err != nil || st.State != migrate.Ready || st.Processed != 250 || st.Total != 250 {
		t.Fatalf("continue: %+v %v", st, err)
	}
	// From the cursor: the 150 documents after it, in batches of at most
	// the default 100 (the size adapts to the batches' durations, so a
	// slow machine may take more batches).
	var sum int64
	for _, n := range visited {
		sum += n
		if n > 100 {
			t.Errorf("continue visited %v per batch: a batch larger than the default", visited)
		}
	}
	if sum != 150 || len(visited) == 0 || visited[0] == 0 {
		t.Errorf("continue visited %v per batch, want 150 documents in all (from the cursor)", visited)
	}
	if !strings.Contains(st.Message, "start") || !strings.Contains(st.Message, "complete") {
		t.Errorf("message: %q", st.Message)
	}
	n := 0
	eachUser(t, db, func(d strata.Doc) {
		n++
		if d.StringOr("displayName", "") == "" || d.StringOr("displayName", "") != d.StringOr("userName", "") {
			t.Errorf("after continue: %v", d)
		}
	})
	if n != 250 {
		t.Errorf("%d users", n)
	}

	again, err := m.Continue(ctx, "010_rename")
	if err != nil || again.State != migrate.Ready || again.Batches != st.Batches || !strings.Contains(again.Message, "Complete it") {
		t.Errorf("continue of a ready migration: %+v %v", again, err)
	}
	if _, err := m.Complete(ctx, "010_rename"); err != nil {
		t.Fatal(err)
	}
	done, err := m.Continue(ctx, "010_rename")
	if err != nil || done.State != migrate.Completed || !strings.Contains(done.Message, "nothing to do") {
		t.Errorf("continue of a completed migration: %+v %v", done, err)
	}
}

// TestContinueInterruptedComplete: a complete stopped mid-contract is left
// completing under its runner's lease; Continue refuses it while that
// lease is live and finishes it once the lease has expired.
func TestContinueInterruptedComplete(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	renameUsers(t, db, 250)
	if _, err := migrate.New(db, rewrite).Start(ctx, parseFile(t, renameFile)); err != nil {
		t.Fatal(err)
	}
	cctx, stop := contextAfterBatches(1)
	if _, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Complete(cctx, "010_rename"); err == nil {
		t.Fatal("expected the complete to stop")
	}
	m := migrate.New(db, rewrite)
	forge(t, db, "010_rename", leasedTo("dead-process", time.Now().Add(time.Hour)))
	if st, err := m.Continue(ctx, "010_rename"); !errors.Is(err, migrate.ErrRunningElsewhere) || st.State != migrate.Completing {
		t.Fatalf("continue under a live lease: %+v %v", st, err)
	}
	forge(t, db, "010_rename", leasedTo("dead-process", time.Now().Add(-time.Second)))
	st, err := m.Continue(ctx, "010_rename")
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("continue: %+v %v", st, err)
	}
	eachUser(t, db, func(d strata.Doc) {
		if d.Has("userName") || d.StringOr("displayName", "") == "" {
			t.Errorf("after continue: %v", d)
		}
	})
	if !isRequired(db, "users", "displayName") || db.Schema().Tables["users"].Fields["userName"] != nil {
		t.Errorf("schema: %v", db.Schema().Tables["users"])
	}
}

// TestContinueInterruptedRollback: a rollback stopped mid-revert is left
// paused, which a start would also leave; Continue tells them apart by the
// phase recorded with the schema and finishes the rollback rather than
// migrating forward again.
func TestContinueInterruptedRollback(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	renameUsers(t, db, 250)
	if _, err := migrate.New(db, rewrite).Start(ctx, parseFile(t, renameFile)); err != nil {
		t.Fatal(err)
	}
	cctx, stop := contextAfterBatches(1)
	if st, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Rollback(cctx, "010_rename"); err == nil || st.State == migrate.RolledBack {
		t.Fatalf("expected the rollback to stop: %+v %v", st, err)
	}
	if st, _ := migrate.StatusOf(ctx, db, "010_rename"); st.State != migrate.Paused {
		t.Fatalf("interrupted rollback: %+v", st)
	}
	st, err := migrate.New(db, rewrite).Continue(ctx, "010_rename")
	if err != nil || st.State != migrate.RolledBack || !strings.Contains(st.Message, "rollback") {
		t.Fatalf("continue: %+v %v", st, err)
	}
	checkRolledBack(t, db)
}

func checkRolledBack(t *testing.T, db *strata.DB) {
	t.Helper()
	eachUser(t, db, func(d strata.Doc) {
		if d.Has("displayName") || d.StringOr("userName", "") == "" {
			t.Errorf("after rollback: %v", d)
		}
	})
	if db.Schema().Tables["users"].Fields["displayName"] != nil {
		t.Errorf("schema after rollback: %v", db.Schema().Tables["users"])
	}
}

// TestContinueRollbackAfterRestore: a rollback that restored the old
// schema (the migration is no longer active) but died before recording
// rolled_back is finished as a rollback, not started again.
func TestContinueRollbackAfterRestore(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	renameUsers(t, db, 120)
	m := migrate.New(db, rewrite)
	if _, err := m.Start(ctx, parseFile(t, renameFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Rollback(ctx, "010_rename"); err != nil {
		t.Fatal(err)
	}
	forge(t, db, "010_rename", map[string]any{"state": "paused"}) // as the revert pass leaves it
	st, err := m.Continue(ctx, "010_rename")
	if err != nil || st.State != migrate.RolledBack {
		t.Fatalf("continue: %+v %v", st, err)
	}
	checkRolledBack(t, db)
	if st, err := m.Continue(ctx, "010_rename"); err != nil || !strings.Contains(st.Message, "nothing to do") {
		t.Errorf("continue of a rolled back migration: %+v %v", st, err)
	}
}

// setPhase records the active migration name in phase, keeping the
// schema, as Complete and Rollback do first.
func setPhase(t *testing.T, db *strata.DB, name, phase string) {
	t.Helper()
	set, err := migrate.Sys.ActiveMigrations(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range set {
		_, f, err := active.Decode(a)
		if err != nil || f.Name != name {
			continue
		}
		text, err := op.MarshalFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if set[i], err = active.Encode(phase, text); err != nil {
			t.Fatal(err)
		}
		if err := migrate.Sys.Push(ctx, db, db.Schema(), set, true); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is not active: %v", name, set)
}

// TestContinueByPhase: a complete or a rollback that switched the
// migration's phase and died before starting its pass leaves it ready;
// Continue finishes that step rather than calling it ready. A complete
// whose contract pass failed (which Complete itself refuses to rerun) is
// finished too.
func TestContinueByPhase(t *testing.T) {
	t.Parallel()
	// A failed complete is failed in its contract pass, which restarted
	// the cursor.
	failedFirstBatch := map[string]any{"state": string(migrate.Failed), "error": "boom", "cursor": strata.Unset, "processed": int64(0)}
	for _, tc := range []struct {
		name  string
		phase string
		state map[string]any
		want  migrate.State
	}{
		{"rollback_ready", active.Rollback, map[string]any{}, migrate.RolledBack},
		{"contract_ready", active.Contract, map[string]any{}, migrate.Completed},
		{"contract_failed", active.Contract, failedFirstBatch, migrate.Completed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			renameUsers(t, db, 120)
			m := migrate.New(db, rewrite)
			if _, err := m.Start(ctx, parseFile(t, renameFile)); err != nil {
				t.Fatal(err)
			}
			setPhase(t, db, "010_rename", tc.phase)
			forge(t, db, "010_rename", tc.state)
			st, err := m.Continue(ctx, "010_rename")
			if err != nil || st.State != tc.want {
				t.Fatalf("continue: %+v %v", st, err)
			}
			if tc.want == migrate.RolledBack {
				checkRolledBack(t, db)
				return
			}
			eachUser(t, db, func(d strata.Doc) {
				if d.Has("userName") || d.StringOr("displayName", "") == "" {
					t.Errorf("after continue: %v", d)
				}
			})
		})
	}
}

// TestContinueGoMigrations: an unknown name is an error that changes
// nothing; a Go migration is run only by a Migrator that defines it (from
// its cursor), and one defined but never run is started.
func TestContinueGoMigrations(t *testing.T) {
	t.Parallel()
	db := usersDB(t, 150)
	if _, err := migrate.New(db).Continue(ctx, "nope"); !errors.Is(err, migrate.ErrUnknown) {
		t.Errorf("unknown: %v", err)
	}
	if all, err := migrate.List(ctx, db); err != nil || len(all) != 0 {
		t.Errorf("after an unknown name: %v %v", all, err)
	}
	def := migrate.Migration{Name: "count", Table: "users", BatchSize: 50, TargetBatchDuration: -1, MigrateOne: increment}
	cctx, stop := contextAfterBatches(1)
	m1 := migrate.New(db, migrate.Options{OnProgress: stop})
	m1.Define(def)
	if _, err := m1.Run(cctx, "count"); err == nil {
		t.Fatal("expected the run to stop")
	}

	st, err := migrate.New(db).Continue(ctx, "count")
	if !errors.Is(err, migrate.ErrNotDefined) || !strings.Contains(err.Error(), "Go") {
		t.Errorf("continue without the definition: %v", err)
	}
	if st.State != migrate.Paused || st.Processed != 50 {
		t.Errorf("status without the definition: %+v", st)
	}
	if now, _ := migrate.StatusOf(ctx, db, "count"); now.State != migrate.Paused || now.Processed != 50 {
		t.Errorf("changed without the definition: %+v", now)
	}

	m2 := migrate.New(db)
	m2.Define(def)
	m2.Define(migrate.Migration{Name: "fresh", Table: "users", MigrateOne: func(strata.Doc) (strata.Patch, error) { return strata.Patch{"fresh": true}, nil }})
	if st, err := m2.Continue(ctx, "count"); err != nil || st.State != migrate.Completed || st.Processed != 150 {
		t.Fatalf("continue: %+v %v", st, err)
	}
	if got := countVisits(t, db); got[1] != 150 {
		t.Errorf("visits: %v", got)
	}
	if st, err := m2.Continue(ctx, "fresh"); err != nil || st.State != migrate.Completed || st.Changed != 150 {
		t.Errorf("continue of a defined, never run migration: %+v %v", st, err)
	}
	// Completed: nothing to do, even without the definition.
	if st, err := migrate.New(db).Continue(ctx, "count"); err != nil || !strings.Contains(st.Message, "nothing to do") {
		t.Errorf("continue of a completed Go migration: %+v %v", st, err)
	}
}

// serving runs Serve, looking every interval, on a Migrator with no
// definitions (a process that knows no migration) until the returned
// function is called.
func serving(db *strata.DB, interval time.Duration) (stop func()) {
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- migrate.New(db).Serve(sctx, interval) }()
	return func() { cancel(); <-done }
}

func waitState(t *testing.T, db *strata.DB, name string, want migrate.State) migrate.Status {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		st, err := migrate.StatusOf(ctx, db, name)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s, want %s: %+v", st.State, want, st)
		}
	}
}

// TestServeContinuesDeclarative: a serving Migrator that defines nothing
// leaves a declarative migration alone while its runner's lease is live,
// finishes its start once the lease has expired (its runner died), and
// finishes a rollback an operator paused and resumed.
func TestServeContinuesDeclarative(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	renameUsers(t, db, 250)
	startInterrupted(t, db, 1)
	forge(t, db, "010_rename", map[string]any{"state": "running", "leaseOwner": "live-process", "leaseExpiresAt": float64(time.Now().Add(time.Hour).UnixMilli())})

	stop := serving(db, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	stop()
	if st, _ := migrate.StatusOf(ctx, db, "010_rename"); st.State != migrate.Running || st.Processed != 100 || st.LeaseOwner != "live-process" {
		t.Fatalf("Serve took over a live lease: %+v", st)
	}

	forge(t, db, "010_rename", leasedTo("dead-process", time.Now().Add(-time.Second)))
	stop = serving(db, 10*time.Millisecond)
	st := waitState(t, db, "010_rename", migrate.Ready)
	stop()
	if st.Processed != 250 || st.LeaseOwner != "" {
		t.Errorf("after Serve: %+v", st)
	}
	eachUser(t, db, func(d strata.Doc) {
		if d.StringOr("displayName", "") != d.StringOr("userName", "") {
			t.Errorf("after Serve: %v", d)
		}
	})

	cctx, cancel := contextAfterBatches(1)
	if _, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: cancel}).Rollback(cctx, "010_rename"); err == nil {
		t.Fatal("expected the rollback to stop")
	}
	if _, err := migrate.Resume(ctx, db, "010_rename"); err != nil {
		t.Fatal(err)
	}
	stop = serving(db, 10*time.Millisecond)
	waitState(t, db, "010_rename", migrate.RolledBack)
	stop()
	checkRolledBack(t, db)
}

// TestServeWaitsForALeaselessDeclarative: a declarative migration marked
// running with no lease (as Resume leaves it, and as a live Complete or
// Rollback leaves it for a moment before claiming its pass) is taken over
// at the second look that finds it unchanged, not at the first.
func TestServeWaitsForALeaselessDeclarative(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	renameUsers(t, db, 250)
	startInterrupted(t, db, 1)
	if _, err := migrate.Resume(ctx, db, "010_rename"); err != nil {
		t.Fatal(err)
	}
	stop := serving(db, time.Hour) // one look
	time.Sleep(100 * time.Millisecond)
	stop()
	if st, _ := migrate.StatusOf(ctx, db, "010_rename"); st.State != migrate.Running || st.Processed != 100 {
		t.Fatalf("taken over at the first look: %+v", st)
	}
	stop = serving(db, 10*time.Millisecond)
	st := waitState(t, db, "010_rename", migrate.Ready)
	stop()
	if st.Processed != 250 {
		t.Errorf("after Serve: %+v", st)
	}
}
