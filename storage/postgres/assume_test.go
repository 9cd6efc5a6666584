package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
)

// TestAssumeFirstKey: a write transaction that assumed the first key of
// a range commits when the assumption holds in its snapshot, and fails
// with storage.ErrConflict and storage.ErrAssumption, committing
// nothing, when it does not: at its first read, or at Commit if it only
// wrote.
func TestAssumeFirstKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openAt(t, pgtest.URL(t))
	setup, err := b.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct{ key, id string }{{"k1", "a"}, {"k2", "b"}} {
		if err := setup.PutIndex("heads", "by_key", []byte(e.key), []byte(e.id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := setup.Put("docs", []byte("x"), []byte("body")); err != nil {
		t.Fatal(err)
	}
	if err := setup.Commit(); err != nil {
		t.Fatal(err)
	}
	newest := storage.ScanRequest{Table: "heads", Index: "by_key", Reverse: true}
	tests := []struct {
		name  string
		req   storage.ScanRequest
		want  []byte
		read  bool // the transaction reads before it commits
		holds bool
		first bool // it reads before it writes (Get's direct path carries the check)
	}{
		{"holds, read", newest, []byte("k2"), true, true, false},
		{"holds, blind write", newest, []byte("k2"), false, true, false},
		{"stale, read", newest, []byte("k1"), true, false, false},
		{"stale, blind write", newest, []byte("k1"), false, false, false},
		{"empty range holds", storage.ScanRequest{Table: "none", Index: "by_key"}, nil, true, true, false},
		{"empty range expected, not empty", newest, nil, false, false, false},
		{"forward order", storage.ScanRequest{Table: "heads", Index: "by_key"}, []byte("k1"), true, true, false},
		{"holds, read first", newest, []byte("k2"), true, true, true},
		{"stale, read first", newest, []byte("k1"), true, false, true},
		{"empty range expected, not empty, read first", newest, nil, true, false, true},
		{"forward order, read first", storage.ScanRequest{Table: "heads", Index: "by_key"}, []byte("k1"), true, true, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := []byte{'w', byte('0' + i)}
			st, err := b.Begin(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Rollback()
			if err := st.(storage.Assumer).AssumeFirstKey(tt.req, tt.want); err != nil {
				t.Fatal(err)
			}
			failed := func(err error) bool {
				t.Helper()
				if err == nil {
					return false
				}
				if !errors.Is(err, storage.ErrConflict) || !errors.Is(err, storage.ErrAssumption) {
					t.Fatalf("error %v, want one wrapping ErrConflict and ErrAssumption", err)
				}
				return true
			}
			gotFail := false
			if tt.read && tt.first {
				_, err := st.Get("docs", []byte("x"))
				gotFail = failed(err)
			}
			if err := st.Put("docs", id, []byte("new")); err != nil && !gotFail {
				t.Fatal(err)
			}
			if tt.read && !tt.first {
				_, err := st.Get("docs", []byte("x"))
				gotFail = failed(err)
			}
			if err := st.Commit(); err != nil {
				if !gotFail && !failed(err) {
					t.Fatal(err)
				}
				gotFail = true
			}
			if gotFail == tt.holds {
				t.Fatalf("assumption failed: %v, want %v", gotFail, !tt.holds)
			}
			check, err := b.Begin(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			defer check.Rollback()
			_, err = check.Get("docs", id)
			if committed := err == nil; committed != tt.holds {
				t.Errorf("write committed: %v, want %v (%v)", committed, tt.holds, err)
			}
		})
	}
}
