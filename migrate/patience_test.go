package migrate_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// TestRunWaitsOutConflicts: a run whose batches of one document keep
// failing with conflicts, past every retry of the batch's transaction,
// waits and goes on once they stop instead of failing the migration. On
// PostgreSQL the conflicts are those of a server out of lock memory
// (SQLSTATE 53200); here, deterministically, another connection holds
// SQLite's write lock for longer than a batch's Mutation retries (21
// attempts of a 50 ms busy timeout with backoff: about 2.5 s).
func TestRunWaitsOutConflicts(t *testing.T) {
	t.Parallel()
	const hold = 4 * time.Second
	path := filepath.Join(t.TempDir(), "w.db")
	db, err := strata.Open(ctx, "sqlite:"+path+"?busy_timeout=50ms")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedDocs(t, db, 5)
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	released := make(chan error, 1)
	locked := false
	m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
		if locked {
			return
		}
		// After the first batch: the next ones cannot get the lock.
		locked = true
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			released <- err
			return
		}
		go func() {
			time.Sleep(hold)
			_, err := conn.ExecContext(ctx, "ROLLBACK")
			released <- err
		}()
	}})
	if err := m.Define(migrate.Migration{
		Name: "mark", Table: "docs", BatchSize: 1, TargetBatchDuration: -1,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			if d.Has("marked") {
				return nil, nil
			}
			return strata.Patch{"marked": true}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	st, err := m.Run(ctx, "mark")
	if rerr := <-released; rerr != nil {
		t.Fatalf("holding the write lock: %v", rerr)
	}
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("run after %v: %+v: %v", time.Since(t0), st, err)
	}
	if st.Processed != 5 {
		t.Errorf("processed %d documents, want 5", st.Processed)
	}
	t.Logf("completed after %v, the write lock held %v of it", time.Since(t0), hold)
}
