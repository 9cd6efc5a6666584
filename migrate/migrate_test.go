package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

var ctx = context.Background()

// rewrite makes a Migrator take the rewriting path of declarative
// migrations (a backfill at start, a contract pass at complete), for the
// tests of that path's batches and interruptions.
var rewrite = migrate.Options{Rewrite: true}

func openDB(t testing.TB) *strata.DB {
	t.Helper()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Errorf("consistency: %v", err)
		}
		db.Close()
	})
	return db
}

// usersDB is a fresh SQLite database holding n users (addUsers); every
// document has a "visits" counter that the test migrations increment, so
// "touched exactly once" is checkable.
func usersDB(t testing.TB, n int) *strata.DB {
	t.Helper()
	return addUsers(t, openDB(t), n)
}

// addUsers inserts n users {name: "u<i>", visits: 0} into db and returns
// it.
func addUsers(t testing.TB, db *strata.DB, n int) *strata.DB {
	t.Helper()
	for lo := 0; lo < n; lo += 500 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < min(lo+500, n); i++ {
				if _, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("u%d", i), "visits": int64(0)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// countVisits returns how many documents have each visits value.
func countVisits(t testing.TB, db *strata.DB) map[int64]int {
	t.Helper()
	out := map[int64]int{}
	err := db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			n, _ := d.Int("visits")
			out[n]++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func increment(doc strata.Doc) (strata.Patch, error) {
	n, _ := doc.Int("visits")
	return strata.Patch{"visits": n + 1}, nil
}

// TestAddUserTimestamps is the seed's addUserTimestamps migration with the
// seed's tracking system: progress, completion, and a second run that
// does nothing and says so.
func TestAddUserTimestamps(t *testing.T) {
	t.Parallel()
	eachBackend(t, testAddUserTimestamps)
}

func testAddUserTimestamps(t *testing.T, db *strata.DB) {
	addUsers(t, db, 1234)
	var progress []migrate.Progress
	m := migrate.New(db, migrate.Options{OnProgress: func(p migrate.Progress) { progress = append(progress, p) }})
	err := m.Define(migrate.Migration{
		Name:      "add_user_timestamps_v1",
		Table:     "users",
		BatchSize: 100,
		MigrateOne: func(u strata.Doc) (strata.Patch, error) {
			if u.Has("createdAt") {
				return nil, nil
			}
			return strata.Patch{"createdAt": u.CreationTime(), "updatedAt": u.CreationTime()}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Run(ctx, "add_user_timestamps_v1")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != migrate.Completed || st.Processed != 1234 || st.Changed != 1234 || st.Total != 1234 || st.CompletedAt.IsZero() {
		t.Errorf("status after run: %+v", st)
	}
	if len(progress) < 2 || progress[len(progress)-1].Processed != 1234 {
		t.Errorf("progress reports: %d, last %+v", len(progress), progress[len(progress)-1])
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Processed <= progress[i-1].Processed {
			t.Errorf("progress went backwards: %+v then %+v", progress[i-1], progress[i])
		}
	}
	// hasMigrationRun: the tracking document is an ordinary document.
	err = db.Query(ctx, func(tx *strata.Tx) error {
		d, err := tx.Table(migrate.Table).Filter(strata.Field("name").Eq("add_user_timestamps_v1")).First()
		if err != nil || d.StringOr("state", "") != "completed" {
			t.Errorf("hasMigrationRun: %v %v", d, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Run(ctx, "add_user_timestamps_v1")
	if err != nil || !strings.Contains(again.Message, "already completed") || again.Batches != st.Batches {
		t.Errorf("second run: %+v, %v", again, err)
	}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			if c, _ := d.Float("createdAt"); c != d.CreationTime() {
				t.Fatalf("user %s: createdAt %v", d.ID(), d["createdAt"])
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFailureRecordedAndResumedFromCursor fails a batch on one document,
// checks the recorded error, then resumes: every document is visited
// exactly once overall (the seed resets a failed migration to 0; strata
// resumes).
func TestFailureRecordedAndResumedFromCursor(t *testing.T) {
	t.Parallel()
	eachBackend(t, testFailureRecordedAndResumedFromCursor)
}

func testFailureRecordedAndResumedFromCursor(t *testing.T, db *strata.DB) {
	addUsers(t, db, 700)
	m := migrate.New(db)
	failOn := "u345"
	m.Define(migrate.Migration{
		Name: "count", Table: "users", BatchSize: 50, TargetBatchDuration: -1,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			if d.StringOr("name", "") == failOn {
				return nil, errors.New("cannot migrate this one")
			}
			return increment(d)
		},
	})
	st, err := m.Run(ctx, "count")
	var be *migrate.BatchError
	if !errors.As(err, &be) || be.DocID == "" {
		t.Fatalf("want a BatchError naming the document, got %v", err)
	}
	if st.State != migrate.Failed || st.ErrorDocID != string(be.DocID) || !strings.Contains(st.Error, "cannot migrate") {
		t.Errorf("failed status: %+v", st)
	}
	if st.Processed != 300 {
		t.Errorf("processed %d, want the 6 committed batches (300)", st.Processed)
	}
	if got := countVisits(t, db); got[1] != 300 || got[0] != 400 {
		t.Errorf("after failure: %v (the failing batch must leave nothing)", got)
	}
	failOn = ""
	st, err = m.Run(ctx, "count")
	if err != nil || st.State != migrate.Completed || st.Processed != 700 || st.Error != "" {
		t.Fatalf("resume: %+v %v", st, err)
	}
	if got := countVisits(t, db); got[1] != 700 {
		t.Errorf("after resume: %v, want every document visited once", got)
	}
}

// TestInvalidResultFailsBatch: a patch the schema refuses fails the batch,
// which is rolled back, and the error names the document.
func TestInvalidResultFailsBatch(t *testing.T) {
	t.Parallel()
	eachBackend(t, testInvalidResultFailsBatch)
}

func testInvalidResultFailsBatch(t *testing.T, db *strata.DB) {
	addUsers(t, db, 20)
	s, _ := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "visits": v.Int64()}))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	m := migrate.New(db)
	m.Define(migrate.Migration{Name: "bad", Table: "users", MigrateOne: func(d strata.Doc) (strata.Patch, error) {
		return strata.Patch{"visits": 1.5}, nil
	}})
	st, err := m.Run(ctx, "bad")
	if err == nil || !strings.Contains(err.Error(), "visits: expected int64, found number") || st.State != migrate.Failed || st.ErrorDocID == "" {
		t.Fatalf("got %+v, %v", st, err)
	}
	if got := countVisits(t, db); got[0] != 20 {
		t.Errorf("a refused batch changed documents: %v", got)
	}
}

// TestPauseByContextAndResume stops a run mid-way (as a redeploy would)
// and resumes it in a new Migrator.
func TestPauseByContextAndResume(t *testing.T) {
	t.Parallel()
	eachBackend(t, testPauseByContextAndResume)
}

func testPauseByContextAndResume(t *testing.T, db *strata.DB) {
	addUsers(t, db, 600)
	def := migrate.Migration{Name: "count", Table: "users", BatchSize: 40, TargetBatchDuration: -1, MigrateOne: increment}
	cctx, cancel := context.WithCancel(ctx)
	batches := 0
	m1 := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
		if batches++; batches == 3 {
			cancel()
		}
	}})
	m1.Define(def)
	st, err := m1.Run(cctx, "count")
	if !errors.Is(err, context.Canceled) || st.State != migrate.Paused || st.Processed != 120 {
		t.Fatalf("canceled run: %+v, %v", st, err)
	}
	m2 := migrate.New(db)
	m2.Define(def)
	st, err = m2.Run(ctx, "count")
	if err != nil || st.State != migrate.Completed || st.Processed != 600 {
		t.Fatalf("resumed run: %+v, %v", st, err)
	}
	if got := countVisits(t, db); got[1] != 600 {
		t.Errorf("visits: %v", got)
	}
}

// TestOneRunnerPerMigration: while one runner holds the lease (here
// paused between two batches), a second Migrator is refused; an operator
// pause stops the first, and any runner resumes it.
func TestOneRunnerPerMigration(t *testing.T) {
	t.Parallel()
	eachBackend(t, testOneRunnerPerMigration)
}

func testOneRunnerPerMigration(t *testing.T, db *strata.DB) {
	addUsers(t, db, 300)
	block := make(chan struct{})
	between := make(chan struct{})
	def := migrate.Migration{Name: "slow", Table: "users", BatchSize: 10, TargetBatchDuration: -1, MigrateOne: increment}
	first := true
	m1 := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
		if first {
			first = false
			close(between)
			<-block
		}
	}})
	m2 := migrate.New(db)
	m1.Define(def)
	m2.Define(def)
	var wg sync.WaitGroup
	var st1 migrate.Status
	var err1 error
	wg.Go(func() { st1, err1 = m1.Run(ctx, "slow") })
	<-between
	_, err := m2.Run(ctx, "slow")
	if !errors.Is(err, migrate.ErrRunningElsewhere) {
		t.Errorf("second runner: %v, want ErrRunningElsewhere", err)
	}
	if _, err := migrate.Pause(ctx, db, "slow"); err != nil {
		t.Fatal(err)
	}
	close(block)
	wg.Wait()
	if err1 == nil || st1.State != migrate.Paused || st1.Processed != 10 {
		t.Errorf("first runner after pause: %+v, %v", st1, err1)
	}
	st, err := m2.Run(ctx, "slow")
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("resume after pause: %+v %v", st, err)
	}
	if got := countVisits(t, db); got[1] != 300 {
		t.Errorf("visits: %v", got)
	}
}

func TestSeriesCancelReset(t *testing.T) {
	t.Parallel()
	eachBackend(t, testSeriesCancelReset)
}

func testSeriesCancelReset(t *testing.T, db *strata.DB) {
	addUsers(t, db, 50)
	m := migrate.New(db)
	m.Define(migrate.Migration{Name: "a", Table: "users", MigrateOne: increment})
	m.Define(migrate.Migration{Name: "b", Table: "users", MigrateOne: func(strata.Doc) (strata.Patch, error) { return nil, errors.New("b fails") }})
	m.Define(migrate.Migration{Name: "c", Table: "users", MigrateOne: increment})
	sts, err := m.RunSeries(ctx, "a", "b", "c")
	if err == nil || len(sts) != 2 || sts[0].State != migrate.Completed || sts[1].State != migrate.Failed {
		t.Fatalf("series: %+v, %v", sts, err)
	}
	if _, err := migrate.StatusOf(ctx, db, "c"); !errors.Is(err, migrate.ErrUnknown) {
		t.Errorf("c ran after b failed: %v", err)
	}
	// Completed ones are skipped on the next series: a does not run twice.
	if _, err := m.RunSeries(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := countVisits(t, db); got[1] != 50 {
		t.Errorf("visits: %v", got)
	}
	if st, err := m.Cancel(ctx, "b"); err != nil || st.State != migrate.Canceled {
		t.Errorf("cancel failed migration: %+v %v", st, err)
	}
	if _, err := m.Cancel(ctx, "a"); err == nil {
		t.Errorf("canceling a completed migration succeeded")
	}
	if err := m.Reset(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if st, err := m.Run(ctx, "a"); err != nil || st.Processed != 50 {
		t.Fatalf("after reset: %+v %v", st, err)
	}
	if got := countVisits(t, db); got[2] != 50 {
		t.Errorf("reset did not start over: %v", got)
	}
	all, err := migrate.List(ctx, db)
	if err != nil || len(all) != 2 {
		t.Errorf("list: %v %v", all, err)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	eachBackend(t, testDryRun)
}

func testDryRun(t *testing.T, db *strata.DB) {
	addUsers(t, db, 120)
	m := migrate.New(db)
	m.Define(migrate.Migration{Name: "avatar", Table: "users", MigrateOne: func(d strata.Doc) (strata.Patch, error) {
		if d.StringOr("name", "") == "u7" {
			return nil, nil
		}
		return strata.Patch{"avatarUrl": "https://x/" + d.StringOr("name", "")}, nil
	}})
	target, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "visits": v.Int64(), "avatarUrl": v.String()}))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.DryRun(ctx, "avatar", target, 3)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Visited != 120 || rep.Changed != 119 || len(rep.Samples) != 3 || rep.Satisfied || rep.Invalid != 1 {
		t.Errorf("dry run: %+v", rep)
	}
	if !rep.Samples[0].After.Has("avatarUrl") || rep.Samples[0].Before.Has("avatarUrl") {
		t.Errorf("sample: %+v", rep.Samples[0])
	}
	// Nothing was written.
	err = db.Query(ctx, func(tx *strata.Tx) error {
		n, err := tx.Table("users").Filter(strata.Field("avatarUrl").Neq(strata.Unset)).Collect()
		if len(n) != 0 {
			t.Errorf("dry run wrote %d documents", len(n))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.StatusOf(ctx, db, "avatar"); !errors.Is(err, migrate.ErrUnknown) {
		t.Errorf("dry run created a tracking document: %v", err)
	}
}

func TestDefineErrors(t *testing.T) {
	t.Parallel()
	m := migrate.New(openDB(t))
	cases := []migrate.Migration{
		{Table: "t", MigrateOne: increment},
		{Name: "x", MigrateOne: increment},
		{Name: "x", Table: "t"},
		{Name: "x", Table: "t", MigrateOne: increment, MigrateBatch: func(*strata.Tx, []strata.Doc) (int, error) { return 0, nil }},
		{Name: "x", Table: "t", MigrateOne: increment, Range: []strata.RangeExpr{strata.Eq("a", 1.0)}},
	}
	for i, c := range cases {
		if err := m.Define(c); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if _, err := m.Run(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("run of an undefined migration: %v", err)
	}
	_ = time.Second
}

// contextAfterBatches returns a context canceled by the returned progress
// callback after n batches.
func contextAfterBatches(n int) (context.Context, func(migrate.Progress)) {
	c, cancel := context.WithCancel(ctx)
	seen := 0
	return c, func(migrate.Progress) {
		if seen++; seen == n {
			cancel()
		}
	}
}

// TestTransformWritesDuringBackfill: with TransformWrites, documents
// inserted and updated by the application while the backfill runs arrive
// migrated, the scan stops at the high-water mark, and at the end every
// document is migrated exactly once.
func TestTransformWritesDuringBackfill(t *testing.T) {
	t.Parallel()
	eachBackend(t, testTransformWritesDuringBackfill)
}

func testTransformWritesDuringBackfill(t *testing.T, db *strata.DB) {
	addUsers(t, db, 500)
	mark := func(d strata.Doc) (strata.Patch, error) {
		if d.Has("migrated") {
			return nil, nil
		}
		n, _ := d.Int("visits")
		return strata.Patch{"migrated": true, "visits": n + 1}, nil
	}
	inserted := 0
	m := migrate.New(db, migrate.Options{OnProgress: func(p migrate.Progress) {
		// The application keeps writing between batches: new documents
		// (old code: no "migrated") and updates of unmigrated ones.
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for k := 0; k < 30; k++ {
				if _, err := tx.Insert("users", strata.Doc{"name": "late", "visits": int64(0)}); err != nil {
					return err
				}
				inserted++
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}})
	m.Define(migrate.Migration{Name: "mark", Table: "users", BatchSize: 50, TargetBatchDuration: -1, MigrateOne: mark, TransformWrites: true})
	st, err := m.Run(ctx, "mark")
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("%+v %v", st, err)
	}
	if st.Processed != 500 {
		t.Errorf("processed %d: the scan did not stop at the high-water mark (500)", st.Processed)
	}
	got := countVisits(t, db)
	if got[1] != 500+inserted || len(got) != 1 {
		t.Errorf("visits %v, want every one of %d documents migrated once", got, 500+inserted)
	}
	// After the run the transform is gone.
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("users", strata.Doc{"name": "after", "visits": int64(0)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := countVisits(t, db); got[0] != 1 {
		t.Errorf("transform still installed after the run: %v", got)
	}
}

// TestIndexRangeOnRewrittenField: a migration whose range is an index on
// the very field it rewrites (every document moves past the cursor)
// visits every document exactly once.
func TestIndexRangeOnRewrittenField(t *testing.T) {
	t.Parallel()
	eachBackend(t, testIndexRangeOnRewrittenField)
}

func testIndexRangeOnRewrittenField(t *testing.T, db *strata.DB) {
	s, _ := strata.NewSchema(strata.Table("users", v.Object{"rank": v.Int64(), "visits": v.Int64()}).Index("by_rank", "rank"))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := 0; i < 400; i++ {
			if _, err := tx.Insert("users", strata.Doc{"rank": int64(i % 37), "visits": int64(0)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := migrate.New(db)
	m.Define(migrate.Migration{Name: "bump", Table: "users", Index: "by_rank", Range: []strata.RangeExpr{strata.Gte("rank", int64(0))},
		BatchSize: 25, TargetBatchDuration: -1,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			r, _ := d.Int("rank")
			n, _ := d.Int("visits")
			return strata.Patch{"rank": r + 20, "visits": n + 1}, nil // moves ahead of the cursor
		}})
	st, err := m.Run(ctx, "bump")
	if err != nil || st.State != migrate.Completed || st.Processed != 400 {
		t.Fatalf("%+v %v", st, err)
	}
	if got := countVisits(t, db); got[1] != 400 || len(got) != 1 {
		t.Errorf("visits %v, want every document exactly once", got)
	}
}
