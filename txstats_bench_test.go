package strata_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-db/strata"
)

// BenchmarkTxStatsOverhead measures, in one run, a one-document patch on
// SQLite (Mutation, synchronous=normal) against what the transaction
// counters add to each write transaction (strata.TxStatsHooks: two clock
// reads and the atomic adds of a commit). The ratio hooks/patch is the
// counters' share of a mutation.
func BenchmarkTxStatsOverhead(b *testing.B) {
	ctx := context.Background()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "b.db")+"?synchronous=normal")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var id strata.ID
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		id, err = tx.Insert("t", strata.Doc{"n": int64(0)})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	var patch, hooks time.Duration
	b.Run("patch", func(b *testing.B) {
		start := time.Now()
		for i := 0; b.Loop(); i++ {
			if err := db.Mutation(ctx, func(tx *strata.Tx) error {
				return tx.Patch(id, strata.Patch{"n": int64(i)})
			}); err != nil {
				b.Fatal(err)
			}
		}
		patch = time.Since(start) / time.Duration(b.N)
	})
	b.Run("hooks", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			strata.TxStatsHooks(db)
		}
		hooks = time.Since(start) / time.Duration(b.N)
	})
	if patch > 0 {
		b.Logf("hooks/patch = %.5f (%v of %v)", float64(hooks)/float64(patch), hooks, patch)
	}
}
