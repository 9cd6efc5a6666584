package storagetest

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata/storage"
)

// testCount checks the optional Counter against Scan: the same entries in
// bounded, open and empty ranges, of one table and index only, with the
// transaction's own puts and deletes counted.
func testCount(t *testing.T, b storage.Backend) {
	probe := begin(t, b, false)
	if _, ok := probe.(storage.Counter); !ok {
		t.Skip("the backend does not implement storage.Counter")
	}
	key := func(i int) []byte { return []byte(fmt.Sprintf("k%03d", i)) }
	update(t, b, func(tx storage.Tx) error {
		for i := range 100 {
			must(t, tx.PutIndex("t", "ix", key(i), []byte("id")))
		}
		must(t, tx.PutIndex("t", "other", key(5), []byte("id")))
		return tx.PutIndex("u", "ix", key(5), []byte("id"))
	})
	ranges := []storage.Range{
		{},
		{Start: key(10)},
		{Start: key(10), End: key(20)},
		{End: key(3)},
		{Start: key(50), End: key(50)},
		{Start: key(60), End: key(40)},
		{Start: []byte("z")},
	}
	check := func(tx storage.Tx, when string) {
		t.Helper()
		for _, r := range ranges {
			// Count first: a Scan may send buffered writes that Count
			// must see by itself.
			n, err := tx.(storage.Counter).CountIndex("t", "ix", r)
			must(t, err)
			ents, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "ix", Range: r, KeysOnly: true})
			must(t, err)
			if n != int64(len(ents)) {
				t.Errorf("%s: CountIndex(%q..%q) = %d, Scan returns %d", when, r.Start, r.End, n, len(ents))
			}
		}
	}
	check(begin(t, b, false), "read-only")
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.DeleteIndex("t", "ix", key(12)))
		must(t, tx.PutIndex("t", "ix", key(12)[:3], []byte("id")))
		must(t, tx.PutIndex("t", "ix", append(key(15), 0), []byte("id")))
		n, err := tx.(storage.Counter).CountIndex("t", "ix", storage.Range{Start: key(10), End: key(20)})
		must(t, err)
		if n != 10 { // k010..k019, less k012, plus k015\x00
			t.Errorf("CountIndex after own writes = %d, want 10", n)
		}
		check(tx, "own writes")
		return nil
	})
}
