package postgres

import (
	"context"
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
)

// TestChainedTransactionCharacteristics runs transactions on a pool of
// one connection after a parked read-only transaction: a read-only one
// that begins with ROLLBACK AND CHAIN is SERIALIZABLE and READ ONLY and
// refuses writes on the server, and a writer after a parked reader is
// SERIALIZABLE and READ WRITE.
func TestChainedTransactionCharacteristics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := Open(ctx, pgtest.WithParam(pgtest.URL(t), "pool_max_conns", "1"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	settings := func(st storage.Tx, wantDirty bool) (iso, ro string) {
		t.Helper()
		x := st.(*tx)
		if x.dirty != wantDirty {
			t.Fatalf("at Begin: dirty %v, want %v", x.dirty, wantDirty)
		}
		if _, err := x.Get("t", []byte("a")); err != nil && err != storage.ErrNotFound {
			t.Fatal(err)
		}
		if x.dirty || !x.begun {
			t.Fatalf("after the first read: dirty %v, begun %v", x.dirty, x.begun)
		}
		if err := x.c.QueryRow(ctx, `SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')`).Scan(&iso, &ro); err != nil {
			t.Fatal(err)
		}
		return iso, ro
	}
	for i, tc := range []struct {
		writable, dirty, probe bool
		wantRO                 string
	}{
		{false, false, false, "on"}, // BEGIN on a clean connection
		{false, true, false, "on"},  // ROLLBACK AND CHAIN
		{false, true, false, "on"},  // chained from a chained one
		{true, true, false, "off"},  // ROLLBACK, then BEGIN read-write
		{false, false, false, "on"}, // BEGIN after a writer
		{false, true, true, "on"},   // chained: a write is refused
	} {
		st, err := b.Begin(ctx, tc.writable)
		if err != nil {
			t.Fatal(err)
		}
		iso, ro := settings(st, tc.dirty)
		if iso != "serializable" || ro != tc.wantRO {
			t.Errorf("%d: isolation %s, read only %s; want serializable, %s", i, iso, ro, tc.wantRO)
		}
		if tc.probe {
			_, err := st.(*tx).c.Exec(ctx, `CREATE TEMP TABLE chain_probe (x int)`)
			if sqlState(err) != "25006" { // read_only_sql_transaction
				t.Errorf("a write in a chained read-only transaction: %v, want SQLSTATE 25006", err)
			}
			st.(*tx).failed = err // the server aborted it: roll back, do not park
		}
		if err := st.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
}
