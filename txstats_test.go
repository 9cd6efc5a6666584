package strata_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata"
)

// ForceConflict makes two mutations of db conflict on PostgreSQL: each
// reads the document id, waits until the other has read it too (on their
// first attempts only), then patches it, so one of them loses the
// serialization race and is retried. It returns once both committed.
func forceConflict(t testing.TB, db *strata.DB, id strata.ID) {
	t.Helper()
	var both sync.WaitGroup
	both.Add(2)
	var wg sync.WaitGroup
	var first [2]atomic.Bool
	errs := make([]error, 2)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = db.Mutation(context.Background(), func(tx *strata.Tx) error {
				d, err := tx.Get(id)
				if err != nil {
					return err
				}
				if first[g].CompareAndSwap(false, true) {
					both.Done()
					both.Wait()
				}
				n, _ := d.Int("n")
				return tx.Patch(id, strata.Patch{"n": n + 1})
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTxStats: commits, conflicts and retries are counted per DB, with a
// write latency observation per commit; on PostgreSQL a forced conflict
// is counted once and retried once, and no update is lost.
func TestTxStats(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		db := open(t)
		before := db.TxStats()
		ids := insert(t, db, "c", strata.Doc{"n": int64(0)})
		query(t, db, func(tx *strata.Tx) error { _, err := tx.Get(ids[0]); return err })
		if lastPart(t.Name()) == "postgres" {
			forceConflict(t, db, ids[0])
		} else {
			// Writers take turns on SQLite (the second would wait for
			// the first's write lock): nothing can conflict.
			for range 2 {
				mutate(t, db, func(tx *strata.Tx) error {
					d, err := tx.Get(ids[0])
					if err != nil {
						return err
					}
					n, _ := d.Int("n")
					return tx.Patch(ids[0], strata.Patch{"n": n + 1})
				})
			}
		}
		st := db.TxStats()
		if want := map[string]string{"sqlite": "sqlite", "postgres": "postgres"}[lastPart(t.Name())]; st.Backend != want {
			t.Errorf("Backend = %q, want %q", st.Backend, want)
		}
		if got := st.Commits - before.Commits; got != 3 {
			t.Errorf("commits = %d, want 3", got)
		}
		if got := st.WriteLatency.Count - before.WriteLatency.Count; got != 3 {
			t.Errorf("write latency observations = %d, want 3", got)
		}
		var sum uint64
		for _, n := range st.WriteLatency.Counts {
			sum += n
		}
		if sum != st.WriteLatency.Count || len(st.WriteLatency.Counts) != len(st.WriteLatency.Bounds)+1 || st.WriteLatency.Sum <= 0 {
			t.Errorf("histogram inconsistent: %+v", st.WriteLatency)
		}
		conflicts, retries := st.Conflicts-before.Conflicts, st.Retries-before.Retries
		switch lastPart(t.Name()) {
		case "postgres":
			if conflicts != 1 || retries != 1 {
				t.Errorf("conflicts = %d, retries = %d, want 1 and 1", conflicts, retries)
			}
		case "sqlite":
			if conflicts != 0 || retries != 0 {
				t.Errorf("conflicts = %d, retries = %d, want 0", conflicts, retries)
			}
		}
		query(t, db, func(tx *strata.Tx) error {
			d, err := tx.Get(ids[0])
			if n, _ := d.Int("n"); err != nil || n != 2 {
				t.Errorf("n = %d, %v: an update was lost", n, err)
			}
			return nil
		})
	})
}

func lastPart(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}
