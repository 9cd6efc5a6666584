package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
)

// TestRoundTripCanceled ends a transaction's context while its round trip
// waits on the server (another session holds the documents' table
// locked): the read, and the flush of a write transaction's buffered
// writes, fail with the context's error, nothing is written, and the backend's one connection
// serves the next transactions correctly after the lock is released —
// the interrupted exchange is not left for them to read.
func TestRoundTripCanceled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	b, err := Open(ctx, pgtest.WithParam(url, "pool_max_conns", "1"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	put := func(ctx context.Context, id string) error {
		st, err := b.Begin(ctx, true)
		if err != nil {
			return err
		}
		if err := st.Put("t", []byte(id), []byte("body "+id)); err != nil {
			st.Rollback()
			return err
		}
		return st.Commit()
	}
	if err := put(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	locker, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	lock := func() {
		t.Helper()
		if _, err := locker.Exec(ctx, "BEGIN; LOCK TABLE strata_documents IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
	}
	unlock := func() {
		t.Helper()
		if _, err := locker.Exec(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"read", func(ctx context.Context) error {
			st, err := b.Begin(ctx, false)
			if err != nil {
				return err
			}
			defer st.Rollback()
			_, err = st.Get("t", []byte("a"))
			return err
		}},
		{"flush of buffered writes", func(ctx context.Context) error {
			st, err := b.Begin(ctx, true)
			if err != nil {
				return err
			}
			defer st.Rollback()
			for i := range maxPending + 1 { // the last Put sends the buffer
				if err := st.Put("t", fmt.Appendf(nil, "b%d", i), []byte("b")); err != nil {
					return err
				}
			}
			return nil // rolled back
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Once unhindered, so that the connection has its statements
			// prepared: what blocks below is the round trip itself.
			if err := tc.run(ctx); err != nil {
				t.Fatal(err)
			}
			lock()
			cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			done := make(chan error, 1)
			go func() { done <- tc.run(cctx) }()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("blocked %s ended by its context: %v, want context.DeadlineExceeded", tc.name, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("blocked %s did not end with its context", tc.name)
			}
			cancel()
			unlock()
			// The pool's one connection (a new one if the interrupted
			// exchange's was closed) reads and writes as it should.
			st, err := b.Begin(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.Get("t", []byte("a"))
			if err != nil || string(got) != "body a" {
				t.Fatalf("read after: %q, %v", got, err)
			}
			if _, err := st.Get("t", []byte("b0")); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("b0 after the canceled flush: %v, want not found", err)
			}
			st.Rollback()
			if err := put(ctx, "c"+tc.name); err != nil {
				t.Fatalf("write after: %v", err)
			}
		})
	}
}
