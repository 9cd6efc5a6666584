package strata_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/pgtest"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openers maps a test name prefix ("TestOnPostgres/") to the function
// openDB uses for the tests below it.
var openers sync.Map

// openerFor returns the opener registered for t's name, or nil.
func openerFor(t testing.TB) func(testing.TB) *strata.DB {
	var found func(testing.TB) *strata.DB
	openers.Range(func(k, v any) bool {
		if strings.HasPrefix(t.Name(), k.(string)) {
			found = v.(func(testing.TB) *strata.DB)
			return false
		}
		return true
	})
	return found
}

// openPostgres opens a fresh database in a new PostgreSQL schema (see
// internal/pgtest) and checks its consistency when the test ends.
func openPostgres(t testing.TB) *strata.DB {
	t.Helper()
	db, err := strata.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := dbcheck.Check(context.Background(), db); err != nil {
			t.Errorf("consistency check: %v", err)
		}
		db.Close()
	})
	return db
}

// eachBackend runs fn as a subtest per backend ("sqlite", "postgres"),
// with open returning a fresh database of that backend; openDB called
// below the subtest opens the same backend. The subtests run in parallel.
func eachBackend(t *testing.T, fn func(t *testing.T, open func(testing.TB) *strata.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openDB)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		openers.Store(t.Name()+"/", openPostgres)
		t.Cleanup(func() { openers.Delete(t.Name() + "/") })
		fn(t, openPostgres)
	})
}

// TestOnPostgres runs key tests of the package, written against openDB,
// on PostgreSQL (they run on SQLite under their own names).
func TestOnPostgres(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"InsertGetPatchReplaceDelete", TestInsertGetPatchReplaceDelete},
		{"CreationTimeStrictlyIncreasing", TestCreationTimeStrictlyIncreasing},
		{"SchemaValidatesWrites", TestSchemaValidatesWrites},
		{"NaNAndNegativeZeroRoundTrip", TestNaNAndNegativeZeroRoundTrip},
		{"IndexRanges", TestIndexRanges},
		{"PaginateMatchesCollect", TestPaginateMatchesCollect},
		{"PaginateStableUnderWrites", TestPaginateStableUnderWrites},
		{"MutationsDoNotLoseUpdates", TestMutationsDoNotLoseUpdates},
		{"QuerySeesOneSnapshot", TestQuerySeesOneSnapshot},
		{"RollbackOnErrorAndPanic", TestRollbackOnErrorAndPanic},
	}
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		if !strings.HasSuffix(t.Name(), "/postgres") {
			t.Skip("runs on SQLite under its own name")
		}
		for _, tc := range tests {
			t.Run(tc.name, tc.fn)
		}
	})
}

// TestConcurrentInsertsCreationTime inserts into one table from many
// goroutines at once: every document gets a distinct creation time, and
// an imported document's _creationTime pushes later ones above it.
func TestConcurrentInsertsCreationTime(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		db := open(t)
		const workers, each = 4, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					err := db.Mutation(ctx, func(tx *strata.Tx) error {
						for k := range 3 {
							if _, err := tx.Insert("t", strata.Doc{"w": int64(w), "i": int64(i), "k": int64(k)}); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		future := float64(4102444800000) // 2100-01-01
		var after float64
		mutate(t, db, func(tx *strata.Tx) error {
			if _, err := tx.Import("t", strata.Doc{"_creationTime": future, "imported": true}); err != nil {
				return err
			}
			return nil
		})
		mutate(t, db, func(tx *strata.Tx) error {
			id, err := tx.Insert("t", strata.Doc{"after": true})
			if err != nil {
				return err
			}
			d, err := tx.Get(id)
			after = d.CreationTime()
			return err
		})
		if !(after > future) || after > math.Nextafter(future, math.Inf(1))*1.0000001 {
			t.Errorf("insert after an import at %v got _creationTime %v, want just above it", future, after)
		}
		query(t, db, func(tx *strata.Tx) error {
			all, err := tx.Table("t").Collect()
			if err != nil {
				return err
			}
			if len(all) != workers*each*3+2 {
				t.Fatalf("%d documents, want %d", len(all), workers*each*3+2)
			}
			for i := 1; i < len(all); i++ {
				if !(all[i].CreationTime() > all[i-1].CreationTime()) {
					t.Fatalf("creation times not strictly increasing at %d: %v then %v", i, all[i-1].CreationTime(), all[i].CreationTime())
				}
			}
			return nil
		})
	})
}

// TestConcurrentInsertsDoNotConflict holds two write transactions open at
// once, each having inserted into the same table, and commits both: on
// PostgreSQL the creation times come from the storage clock, so neither
// transaction reads the end of the table's by_creation_time range that
// the other inserts into, and neither has to run again.
func TestConcurrentInsertsDoNotConflict(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		if strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("SQLite runs write transactions one at a time")
		}
		db := open(t)
		// Enough documents that the two inserts and the schema reads fall
		// on other index pages than each other (PostgreSQL's predicate
		// locks are per page).
		seed := make([]strata.Doc, 3000)
		for i := range seed {
			seed[i] = strata.Doc{"seed": int64(i), "pad": strings.Repeat("x", 200)}
		}
		insert(t, db, "t", seed...)
		var attempts [2]int
		var both sync.WaitGroup
		both.Add(2)
		errs := make(chan error, 2)
		for w := range 2 {
			go func() {
				errs <- db.Mutation(ctx, func(tx *strata.Tx) error {
					attempts[w]++
					if _, err := tx.Insert("t", strata.Doc{"w": int64(w)}); err != nil {
						return err
					}
					if attempts[w] == 1 {
						both.Done()
						both.Wait() // both transactions are open and have inserted
					}
					return nil
				})
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if attempts != [2]int{1, 1} {
			t.Errorf("attempts = %v, want [1 1]: concurrent inserts into one table conflicted", attempts)
		}
	})
}
