package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-db/strata/storage"
)

// TestWritersWaiting: a write transaction sees the writers queued behind
// it, and a queued writer that gives up is no longer counted.
func TestWritersWaiting(t *testing.T) {
	ctx := context.Background()
	b := openAt(t, "sqlite:"+filepath.Join(t.TempDir(), "w.db"))
	first, err := b.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	w := first.(storage.Waiters)
	if n := w.WritersWaiting(); n != 0 {
		t.Fatalf("WritersWaiting = %d with nobody queued", n)
	}
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for w.WritersWaiting() != want {
			if time.Now().After(deadline) {
				t.Fatalf("WritersWaiting = %d, want %d", w.WritersWaiting(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	got := make(chan error, 1)
	go func() {
		tx, err := b.Begin(ctx, true)
		if err == nil {
			err = tx.Commit()
		}
		got <- err
	}()
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := b.Begin(cctx, true)
		gaveUp <- err
	}()
	waitFor(2)
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("a Begin whose context ended returned no error")
	}
	waitFor(1)
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	r, err := b.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Rollback()
	if n := r.(storage.Waiters).WritersWaiting(); n != 0 {
		t.Errorf("a read transaction reports %d waiting writers", n)
	}
}
