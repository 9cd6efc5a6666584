package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
)

// TestWrittenBounded writes many more documents in one transaction than
// it keeps to answer its own reads: what it keeps stays bounded (an import
// of any size holds a bounded amount of memory), and every document,
// forgotten or not, still reads back as written, in the transaction and
// after commit.
func TestWrittenBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pre, err := b.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := pre.Put("u", []byte("a"), []byte("stale")); err != nil {
		t.Fatal(err)
	}
	if err := pre.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err := b.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Rollback()
	// Read, then overwritten: once the write is forgotten, the read
	// cache must not answer with the old body.
	if got, err := st.Get("u", []byte("a")); err != nil || string(got) != "stale" {
		t.Fatalf("u/a: %q, %v", got, err)
	}
	if err := st.Put("u", []byte("a"), []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	// A table dropped first: its forgotten drop must not hide the
	// documents written after it.
	if err := st.Put("t", []byte("old"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := st.DropTable("t"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get("t", []byte("old")); err == nil {
		t.Fatal("a document of a dropped table reads back")
	}
	const n = 3*maxWritten + 10
	most := 0
	for i := range n {
		id := []byte(fmt.Sprintf("doc%05d", i))
		if err := st.Put("t", id, []byte(fmt.Sprint("body ", i))); err != nil {
			t.Fatal(err)
		}
		most = max(most, len(st.(*tx).written))
	}
	if most > maxWritten+maxPending {
		t.Errorf("the transaction kept up to %d written documents (bound %d)", most, maxWritten+maxPending)
	}
	check := func(when string, get func(id []byte) ([]byte, error)) {
		for _, i := range []int{0, 1, maxWritten, n - 1} {
			got, err := get([]byte(fmt.Sprintf("doc%05d", i)))
			if err != nil || string(got) != fmt.Sprint("body ", i) {
				t.Errorf("%s: doc %d reads %q, %v", when, i, got, err)
			}
		}
	}
	check("in the transaction", func(id []byte) ([]byte, error) { return st.Get("t", id) })
	if got, err := st.Get("u", []byte("a")); err != nil || string(got) != "fresh" {
		t.Errorf("u/a after many writes: %q, %v", got, err)
	}
	if _, err := st.Get("t", []byte("old")); err == nil {
		t.Error("a document of the dropped table reads back after many writes")
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	rt, err := b.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Rollback()
	check("after commit", func(id []byte) ([]byte, error) { return rt.Get("t", id) })
}
