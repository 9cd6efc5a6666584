package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestRelaxedRestoresSynchronous: a relaxed transaction runs with
// synchronous=NORMAL, and the write connection is back at the configured
// level once it ends, whether it committed or rolled back.
func TestRelaxedRestoresSynchronous(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	level := func() int {
		t.Helper()
		var n int
		if err := b.writer.c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const normal, full = 1, 2
	if got := level(); got != full {
		t.Fatalf("default synchronous = %d, want %d (FULL)", got, full)
	}
	for _, commit := range []bool{true, false} {
		tx, err := b.BeginRelaxed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := level(); got != normal {
			t.Errorf("inside a relaxed transaction synchronous = %d, want %d (NORMAL)", got, normal)
		}
		if err := tx.Put("t", []byte("x"), []byte("y")); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := level(); got != full {
			t.Errorf("after a relaxed transaction (commit %v) synchronous = %d, want %d", commit, got, full)
		}
	}
	// A database opened with synchronous=normal has nothing to relax.
	b2, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "n.db")+"?synchronous=normal")
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	rtx, err := b2.BeginRelaxed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rtx.(*tx).relaxed {
		t.Error("a relaxed transaction on a synchronous=normal database changes the level")
	}
	rtx.Rollback()
}
