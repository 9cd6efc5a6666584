package storagetest

import (
	"slices"
	"testing"

	"github.com/strata-db/strata/storage"
)

// testEnumerate checks storage.Enumerator, for backends that implement it:
// index names per table, and documents in id order by range and limit,
// including the backend's own uncommitted writes.
func testEnumerate(t *testing.T, b storage.Backend) {
	probe := begin(t, b, false)
	if _, ok := probe.(storage.Enumerator); !ok {
		t.Skip("the backend does not implement storage.Enumerator")
	}
	fill(t, b, "t", "j", "a", "b")
	fill(t, b, "t", "i", "a")
	fill(t, b, "t", "by_creation_time", "c")
	fill(t, b, "u", "k", "x")
	update(t, b, func(tx storage.Tx) error {
		return tx.Put("t", []byte{0x00, 0xff}, []byte{})
	})
	view(t, b, func(tx storage.Tx) error {
		e := tx.(storage.Enumerator)
		names, err := e.Indexes("t")
		must(t, err)
		if want := []string{"by_creation_time", "i", "j"}; !slices.Equal(names, want) {
			t.Errorf("Indexes(t) = %v, want %v", names, want)
		}
		if names, err := e.Indexes("none"); err != nil || len(names) != 0 {
			t.Errorf("Indexes(none) = %v, %v", names, err)
		}
		all, err := e.ScanDocuments("t", storage.Range{}, 0)
		must(t, err)
		var ids []string
		for _, d := range all {
			ids = append(ids, string(d.ID))
			if d.Key != nil || d.Body == nil {
				t.Errorf("document %q: key %v body %v", d.ID, d.Key, d.Body)
			}
		}
		if want := []string{"\x00\xff", "id-a", "id-b", "id-c"}; !slices.Equal(ids, want) {
			t.Errorf("ScanDocuments(t) ids = %q, want %q", ids, want)
		}
		page, err := e.ScanDocuments("t", storage.Range{Start: []byte("id-a\x00"), End: []byte("id-c")}, 5)
		must(t, err)
		if len(page) != 1 || string(page[0].ID) != "id-b" || string(page[0].Body) != "body-b" {
			t.Errorf("ScanDocuments range: %+v", page)
		}
		page, err = e.ScanDocuments("t", storage.Range{}, 2)
		must(t, err)
		if len(page) != 2 {
			t.Errorf("ScanDocuments limit 2: %d", len(page))
		}
		return nil
	})
	w := begin(t, b, true)
	must(t, w.Put("t", []byte("id-z"), []byte("z")))
	must(t, w.PutIndex("t", "new", []byte("z"), []byte("id-z")))
	e := w.(storage.Enumerator)
	names, err := e.Indexes("t")
	must(t, err)
	if !slices.Contains(names, "new") {
		t.Errorf("Indexes does not see the transaction's own write: %v", names)
	}
	docs, err := e.ScanDocuments("t", storage.Range{Start: []byte("id-z")}, 0)
	must(t, err)
	if len(docs) != 1 {
		t.Errorf("ScanDocuments does not see the transaction's own write: %+v", docs)
	}
	must(t, w.Rollback())
}
