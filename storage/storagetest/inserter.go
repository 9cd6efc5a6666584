package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata/storage"
)

// testInserter checks the optional Inserter: new records and index
// entries are stored, read back in the transaction and after it, one at a
// time and many at once, also after a delete of the same key in the
// transaction; an insert of a key that exists either writes as Put would
// or fails the whole transaction; and two transactions that both saw a
// key absent and insert it do not both commit.
func testInserter(t *testing.T, b storage.Backend) {
	probe := begin(t, b, true)
	if _, ok := probe.(storage.Inserter); !ok {
		t.Skip("the backend does not implement storage.Inserter")
	}
	must(t, probe.Rollback())
	ins := func(tx storage.Tx) storage.Inserter { return tx.(storage.Inserter) }

	update(t, b, func(tx storage.Tx) error {
		must(t, ins(tx).Insert("t", []byte("a"), []byte("va")))
		must(t, ins(tx).InsertIndex("t", "x", []byte("ka"), []byte("a")))
		if got, err := tx.Get("t", []byte("a")); err != nil || string(got) != "va" {
			t.Errorf("Get after Insert in the transaction = %q, %v", got, err)
		}
		if es, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "x"}); err != nil || len(es) != 1 || string(es[0].Body) != "va" {
			t.Errorf("Scan after InsertIndex in the transaction = %v, %v", es, err)
		}
		// Many at once, and beside a Put of an existing key.
		for i := range 10 {
			id := fmt.Appendf(nil, "m%02d", i)
			must(t, ins(tx).Insert("t", id, append([]byte("v"), id...)))
			must(t, ins(tx).InsertIndex("t", "x", append([]byte("k"), id...), id))
		}
		return tx.Put("t", []byte("a"), []byte("va2"))
	})
	if got, _ := get(t, b, "t", []byte("a")); string(got) != "va2" {
		t.Fatalf("a = %q, want va2", got)
	}
	if es := scan(t, b, storage.ScanRequest{Table: "t", Index: "x"}); len(es) != 11 || string(es[10].Body) != "vm09" {
		t.Fatalf("index x holds %d entries (%q), want 11", len(es), keysOf(es))
	}

	// A key deleted in the transaction is absent in its view: inserting
	// it again stores the new record (the delete still unsent, or sent by
	// a read in between).
	for _, readBetween := range []bool{false, true} {
		update(t, b, func(tx storage.Tx) error {
			must(t, tx.Delete("t", []byte("a")))
			must(t, tx.DeleteIndex("t", "x", []byte("ka")))
			if readBetween {
				if _, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "x"}); err != nil {
					return err
				}
			}
			must(t, ins(tx).Insert("t", []byte("a"), []byte("va3")))
			return ins(tx).InsertIndex("t", "x", []byte("ka"), []byte("a"))
		})
		if got, _ := get(t, b, "t", []byte("a")); string(got) != "va3" {
			t.Fatalf("read between %v: a = %q after delete and insert, want va3", readBetween, got)
		}
		if es := scan(t, b, storage.ScanRequest{Table: "t", Index: "x", Range: storage.Range{Start: []byte("ka"), End: []byte("kb")}}); len(es) != 1 || string(es[0].Body) != "va3" {
			t.Fatalf("read between %v: entry ka = %v", readBetween, es)
		}
	}

	// A wrong insert (the key exists) never commits without its write.
	for _, many := range []bool{false, true} {
		tx := begin(t, b, true)
		must(t, tx.Put("t", []byte("z"), []byte("vz")))
		err := ins(tx).Insert("t", []byte("a"), []byte("wrong"))
		if err == nil && many {
			err = ins(tx).Insert("t", []byte("n"), []byte("vn"))
		}
		if err == nil {
			err = tx.Commit()
		}
		got, _ := get(t, b, "t", []byte("a"))
		_, zFound := get(t, b, "t", []byte("z"))
		switch {
		case err == nil && (string(got) != "wrong" || !zFound):
			t.Fatalf("many %v: an insert of an existing key committed as %q (z committed: %v), want as Put", many, got, zFound)
		case err != nil && (string(got) != "va3" || zFound):
			t.Fatalf("many %v: a failed insert (%v) left a = %q, z committed: %v", many, err, got, zFound)
		}
		_ = tx.Rollback()
		update(t, b, func(tx storage.Tx) error {
			must(t, tx.Delete("t", []byte("z")))
			return tx.Put("t", []byte("a"), []byte("va3"))
		})
	}

	// Two transactions see a key absent and insert it: one commits.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for round := range 5 {
		id := fmt.Appendf(nil, "race%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		ready := make(chan struct{}, 2)
		for i := range 2 {
			wg.Go(func() {
				errs[i] = runOnce(ctx, b, true, func(tx storage.Tx) error {
					if _, err := tx.Get("t", id); !errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("want the key absent: %w", err)
					}
					ready <- struct{}{}
					for len(ready) < 2 && ctx.Err() == nil {
						time.Sleep(time.Millisecond)
					}
					return ins(tx).Insert("t", id, fmt.Appendf(nil, "by %d", i))
				})
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: both inserts of a new key ended alike: %v, %v", round, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, storage.ErrConflict) {
				t.Fatalf("round %d: the losing insert failed with %v, want a conflict", round, err)
			}
		}
	}
}
