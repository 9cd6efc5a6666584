package migrate_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestStartSurvivesOutOfLockMemory is the "out of shared memory (SQLSTATE
// 53200)" of a migrate start on a busy shared PostgreSQL server, made
// deterministic: on a private server whose predicate lock table holds
// about 150 locks and never trades row locks for coarser ones, a batch of
// 100 documents cannot lock what it reads. Start must still finish (the
// batch backs off and shrinks, as after a serialization failure) while an
// application writer keeps writing, and none of the writer's Mutations
// may fail.
func TestStartSurvivesOutOfLockMemory(t *testing.T) {
	t.Parallel()
	srv := pgtest.StartServer(t, pgtest.Options{Settings: pgtest.TinyPredicateLocks})
	db, err := strata.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, _ := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}))
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	const docs = 300
	for lo := 0; lo < docs; lo += 100 {
		if err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < lo+100; i++ {
				if _, err := tx.Insert("users", strata.Doc{"userName": fmt.Sprint("u", i), "email": "e"}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	// The application writes old-shape documents throughout the start.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	var writeErrs []error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Mutation(ctx, func(tx *strata.Tx) error {
				_, err := tx.Insert("users", strata.Doc{"userName": fmt.Sprint("w", i), "email": "e"})
				return err
			})
			if err != nil {
				writeErrs = append(writeErrs, err)
				return
			}
			writes.Add(1)
			// A steady writer, not a flood: the test is about lock
			// memory, not about a batch starved by a writer in a loop.
			time.Sleep(5 * time.Millisecond)
		}
	}()

	var minBatch atomic.Int64
	minBatch.Store(1 << 30)
	m := migrate.New(db, migrate.Options{OnProgress: func(p migrate.Progress) {
		if int64(p.BatchSize) < minBatch.Load() {
			minBatch.Store(int64(p.BatchSize))
		}
	}})
	f := parseFile(t, `{"name":"003_rename_user_name","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)
	st, startErr := m.Start(ctx, f)
	close(stop)
	wg.Wait()
	if startErr != nil || st.State != migrate.Ready {
		t.Fatalf("start: %+v: %v", st, startErr)
	}
	if len(writeErrs) > 0 {
		t.Fatalf("an application write failed during the start: %v", errors.Join(writeErrs...))
	}
	t.Logf("start ready with %d concurrent writes; smallest batch %d", writes.Load(), minBatch.Load())
	if err := db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			if d.StringOr("displayName", "") != d.StringOr("userName", "") {
				return fmt.Errorf("not backfilled: %v", d)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Errorf("consistency: %v", err)
	}
}
