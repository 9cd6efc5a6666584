package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/strata-db/strata/storage"
)

// TestBufferedPuts: Puts are buffered and written in multi-row
// statements; in one transaction, past the buffer's size, overwrites,
// deletes, Gets and scans see exactly what an unbuffered store would, a
// rollback leaves nothing and a commit everything.
func TestBufferedPuts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openAt(t, "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	want := map[string]string{}
	run := func(commit bool) {
		tx, err := b.Begin(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		model := map[string]string{}
		for k, v := range want {
			model[k] = v
		}
		for i := range 700 {
			id := fmt.Sprintf("d%04d", i%600) // the last 100 overwrite
			body := fmt.Sprintf("v%d-%v", i, commit)
			if err := tx.Put("t", []byte(id), []byte(body)); err != nil {
				t.Fatal(err)
			}
			model[id] = body
			if i%7 == 3 {
				if err := tx.Delete("t", []byte(id)); err != nil {
					t.Fatal(err)
				}
				delete(model, id)
			}
			if i%50 == 0 {
				got, err := tx.Get("t", []byte(id))
				if model[id] == "" {
					if err != storage.ErrNotFound {
						t.Fatalf("Get %s after delete: %q %v", id, got, err)
					}
				} else if err != nil || string(got) != model[id] {
					t.Fatalf("Get %s = %q %v, want %q", id, got, err, model[id])
				}
			}
		}
		sameDocs(t, "inside the transaction", tx, model)
		if commit {
			err = tx.Commit()
			want = model
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	run(true)
	run(false)
	tx, err := b.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	sameDocs(t, "after commit and rollback", tx, want)
}

// sameDocs checks that table t holds exactly the documents of want.
func sameDocs(t *testing.T, when string, tx storage.Tx, want map[string]string) {
	t.Helper()
	ents, err := tx.(storage.Enumerator).ScanDocuments("t", storage.Range{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(want) {
		t.Fatalf("%s: %d documents, want %d", when, len(ents), len(want))
	}
	for _, e := range ents {
		if want[string(e.ID)] != string(e.Body) {
			t.Fatalf("%s: %s = %q, want %q", when, e.ID, e.Body, want[string(e.ID)])
		}
	}
}
