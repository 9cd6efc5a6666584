package strata_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/strata-db/strata"
)

// TestMutationsDoNotLoseUpdates runs read-modify-write mutations from many
// goroutines on the same documents; every increment must survive.
func TestMutationsDoNotLoseUpdates(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ids := insert(t, db, "counters", strata.Doc{"n": int64(0)}, strata.Doc{"n": int64(0)})
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := ids[(w+i)%2]
				err := db.Mutation(ctx, func(tx *strata.Tx) error {
					d, err := tx.Get(id)
					if err != nil {
						return err
					}
					n, _ := d.Int("n")
					return tx.Patch(id, strata.Patch{"n": n + 1})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var total int64
	query(t, db, func(tx *strata.Tx) error {
		for _, id := range ids {
			d, _ := tx.Get(id)
			n, _ := d.Int("n")
			total += n
		}
		return nil
	})
	if total != workers*each {
		t.Errorf("total = %d, want %d", total, workers*each)
	}
}

// TestQuerySeesOneSnapshot checks that a read transaction does not see
// writes committed after it started.
func TestQuerySeesOneSnapshot(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	insert(t, db, "t", strata.Doc{"n": 1.0})
	started := make(chan struct{})
	written := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Query(ctx, func(tx *strata.Tx) error {
			first, err := tx.Table("t").Collect()
			if err != nil {
				return err
			}
			close(started)
			<-written
			second, err := tx.Table("t").Collect()
			if err != nil {
				return err
			}
			if len(first) != 1 || len(second) != 1 {
				t.Errorf("snapshot moved: %d then %d documents", len(first), len(second))
			}
			return nil
		})
	}()
	<-started
	insert(t, db, "t", strata.Doc{"n": 2.0})
	close(written)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestConflictRetriesAreBounded: a mutation that keeps losing
// serialization races is retried a bounded number of times and then fails
// with an error that says so (and still wraps ErrConflict).
func TestConflictRetriesAreBounded(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	attempts := 0
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		attempts++
		return fmt.Errorf("simulated: %w", strata.ErrConflict)
	})
	if !errors.Is(err, strata.ErrConflict) || !strings.Contains(err.Error(), "conflicting attempts") {
		t.Fatalf("got %v", err)
	}
	if attempts < 2 || attempts > 100 {
		t.Errorf("%d attempts, want a few retries and a bound", attempts)
	}
}
