package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
)

// putDoc commits one document.
func putDoc(tb testing.TB, b storage.Backend, id, body string) {
	tb.Helper()
	tx, err := b.Begin(context.Background(), true)
	if err != nil {
		tb.Fatal(err)
	}
	if err := tx.Put("t", []byte(id), []byte(body)); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// readDoc reads one document in a read-only transaction and rolls it
// back, as DB.Query does.
func readDoc(tb testing.TB, b storage.Backend, id string) string {
	tb.Helper()
	tx, err := b.Begin(context.Background(), false)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	body, err := tx.Get("t", []byte(id))
	if err != nil {
		tb.Fatalf("Get %s: %v", id, err)
	}
	return string(body)
}

// idleInTransaction counts the sessions of application app that are
// inside a transaction without running a statement.
func idleInTransaction(tb testing.TB, app string) int {
	tb.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgtest.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND state = 'idle in transaction'`, app).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestParkedReadOnlyConnections: a rolled-back read-only transaction
// leaves its connection inside the transaction for the next one to roll
// back. Whatever takes the connection next must start from a fresh
// snapshot (a later read sees a commit made in between, on a pool of
// one connection, so the same connection), a write transaction on it
// commits, and a connection nobody takes is rolled back within a
// generous bound, as are parked connections at Close.
func TestParkedReadOnlyConnections(t *testing.T) {
	t.Parallel()
	app := fmt.Sprintf("strata_park_%d", time.Now().UnixNano())
	url := pgtest.WithParam(pgtest.WithParam(pgtest.URL(t), "pool_max_conns", "1"), "application_name", app)
	b := openAt(t, url)
	other := openAt(t, url)

	putDoc(t, b, "a", "v1")
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"a later read sees a commit made in between", func(t *testing.T) {
			if got := readDoc(t, b, "a"); got != "v1" {
				t.Fatalf("read %q, want v1", got)
			}
			putDoc(t, other, "a", "v2")
			if got := readDoc(t, b, "a"); got != "v2" {
				t.Fatalf("second read %q, want v2: the parked transaction's snapshot was reused", got)
			}
		}},
		{"a write transaction takes a parked connection", func(t *testing.T) {
			_ = readDoc(t, b, "a")
			putDoc(t, b, "a", "v3")
			if got := readDoc(t, other, "a"); got != "v3" {
				t.Fatalf("read %q, want v3", got)
			}
		}},
		{"a transaction that sends nothing leaves it parked", func(t *testing.T) {
			_ = readDoc(t, b, "a")
			for _, writable := range []bool{false, true} {
				tx, err := b.Begin(context.Background(), writable)
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			putDoc(t, other, "a", "v4")
			if got := readDoc(t, b, "a"); got != "v4" {
				t.Fatalf("read %q, want v4", got)
			}
		}},
		{"an untaken connection is rolled back", func(t *testing.T) {
			_ = readDoc(t, b, "a")
			deadline := time.Now().Add(10 * time.Second)
			for idleInTransaction(t, app) > 0 {
				if time.Now().After(deadline) {
					t.Fatal("a parked connection is still inside its transaction after 10 s")
				}
				time.Sleep(20 * time.Millisecond)
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, s.run)
	}
}

// TestParkedConnectionsUnderContention: 16 goroutines reading and
// writing through a pool of two connections all finish (none waits
// forever for a connection parked while it queued) without errors other
// than conflicts.
func TestParkedConnectionsUnderContention(t *testing.T) {
	t.Parallel()
	url := pgtest.WithParam(pgtest.URL(t), "pool_max_conns", "2")
	b := openAt(t, url)
	putDoc(t, b, "n", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				writable := (g+i)%4 == 0
				tx, err := b.Begin(ctx, writable)
				if err != nil {
					errs <- err
					return
				}
				_, err = tx.Get("t", []byte("n"))
				if err == nil && writable {
					err = tx.Put("t", []byte(fmt.Sprintf("w%d_%d", g, i)), []byte("x"))
					if err == nil {
						err = tx.Commit()
					}
				}
				_ = tx.Rollback()
				if err != nil && !errors.Is(err, storage.ErrConflict) {
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
}
