package storagetest

import (
	"testing"

	"github.com/strata-db/strata/storage"
)

// testIntegrity checks the optional IntegrityChecker on an intact store:
// it runs (or says why it cannot) and finds nothing wrong.
func testIntegrity(t *testing.T, b storage.Backend) {
	probe := begin(t, b, false)
	_, ok := probe.(storage.IntegrityChecker)
	probe.Rollback()
	if !ok {
		t.Skip("the backend does not implement storage.IntegrityChecker")
	}
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.Put("t", []byte("a"), []byte("body")))
		return tx.PutIndex("t", "ix", []byte("k"), []byte("a"))
	})
	tx := begin(t, b, false)
	defer tx.Rollback()
	what, note, problems, err := tx.(storage.IntegrityChecker).CheckIntegrity(10)
	if err != nil {
		t.Fatalf("CheckIntegrity: %v", err)
	}
	if what == "" && note == "" {
		t.Errorf("CheckIntegrity ran nothing and gave no note saying why")
	}
	if len(problems) > 0 {
		t.Errorf("CheckIntegrity of an intact store (%s): %q", what, problems)
	}
	// The transaction is still usable.
	if _, err := tx.Get("t", []byte("a")); err != nil {
		t.Errorf("Get after CheckIntegrity: %v", err)
	}
}

// testIndexClearer checks the optional IndexClearer: every entry of every
// index of every table goes, the transaction's own buffered entries
// included, documents stay, and entries written afterwards are kept.
func testIndexClearer(t *testing.T, b storage.Backend) {
	probe := begin(t, b, true)
	_, ok := probe.(storage.IndexClearer)
	probe.Rollback()
	if !ok {
		t.Skip("the backend does not implement storage.IndexClearer")
	}
	update(t, b, func(tx storage.Tx) error {
		for _, tbl := range []string{"t", "u"} {
			must(t, tx.Put(tbl, []byte("a"), []byte("body")))
			must(t, tx.PutIndex(tbl, "ix", []byte("k1"), []byte("a")))
			must(t, tx.PutIndex(tbl, "other", []byte("k2"), []byte("a")))
		}
		return nil
	})
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.PutIndex("t", "ix", []byte("k0"), []byte("a"))) // buffered, then cleared
		must(t, tx.(storage.IndexClearer).ClearIndexes())
		return tx.PutIndex("u", "ix", []byte("k3"), []byte("a"))
	})
	tx := begin(t, b, false)
	defer tx.Rollback()
	for _, c := range []struct {
		table, index string
		want         int
	}{{"t", "ix", 0}, {"t", "other", 0}, {"u", "ix", 1}, {"u", "other", 0}} {
		ents, err := tx.Scan(storage.ScanRequest{Table: c.table, Index: c.index})
		must(t, err)
		if len(ents) != c.want {
			t.Errorf("%s.%s after ClearIndexes: %d entries, want %d", c.table, c.index, len(ents), c.want)
		}
	}
	for _, tbl := range []string{"t", "u"} {
		if body, err := tx.Get(tbl, []byte("a")); err != nil || string(body) != "body" {
			t.Errorf("%s document after ClearIndexes: %q, %v", tbl, body, err)
		}
	}
}
