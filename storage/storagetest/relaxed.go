package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-db/strata/storage"
)

// testRelaxed checks the optional RelaxedBeginner: a relaxed transaction
// is an ordinary write transaction in everything but the wait for stable
// storage: it sees its writes, commits them atomically, rolls back
// without a trace, and ordinary transactions after it work as before.
func testRelaxed(t *testing.T, b storage.Backend) {
	rb, ok := b.(storage.RelaxedBeginner)
	if !ok {
		t.Skip("the backend does not implement storage.RelaxedBeginner")
	}
	ctx := context.Background()
	relaxed := func(fn func(tx storage.Tx) error) error {
		tx, err := rb.BeginRelaxed(ctx)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	must(t, relaxed(func(tx storage.Tx) error {
		must(t, tx.Put("t", []byte("a"), []byte("1")))
		must(t, tx.PutIndex("t", "i", []byte("k1"), []byte("a")))
		got, err := tx.Get("t", []byte("a"))
		if err != nil || string(got) != "1" {
			t.Errorf("relaxed transaction reads its write: %q %v", got, err)
		}
		return nil
	}))
	tx, err := rb.BeginRelaxed(ctx)
	must(t, err)
	must(t, tx.Put("t", []byte("b"), []byte("2")))
	must(t, tx.Rollback())
	update(t, b, func(tx storage.Tx) error { return tx.Put("t", []byte("c"), []byte("3")) })
	r := begin(t, b, false)
	defer r.Rollback()
	for id, want := range map[string]string{"a": "1", "b": "", "c": "3"} {
		got, err := r.Get("t", []byte(id))
		if want == "" {
			if !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("rolled-back relaxed write of %s: %q %v", id, got, err)
			}
			continue
		}
		if err != nil || string(got) != want {
			t.Errorf("Get %s = %q %v, want %q", id, got, err, want)
		}
	}
	ents, err := r.Scan(storage.ScanRequest{Table: "t", Index: "i"})
	must(t, err)
	if len(ents) != 1 || string(ents[0].Body) != "1" {
		t.Errorf("index entry written by a relaxed transaction: %+v", ents)
	}
}
