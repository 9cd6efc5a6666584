package storagetest

import (
	"bytes"
	"testing"

	"github.com/strata-db/strata/storage"
)

// testGetMany checks the optional BatchGetter: records in the order of
// the ids, nil for missing ones, the transaction's own writes and deletes
// seen, and a later Get agreeing with it.
func testGetMany(t *testing.T, b storage.Backend) {
	probe := begin(t, b, false)
	if _, ok := probe.(storage.BatchGetter); !ok {
		t.Skip("the backend does not implement storage.BatchGetter")
	}
	update(t, b, func(tx storage.Tx) error {
		for _, id := range []string{"a", "b", "c"} {
			if err := tx.Put("t", []byte(id), []byte("v"+id)); err != nil {
				return err
			}
		}
		return tx.Put("u", []byte("a"), []byte("other table"))
	})
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.Put("t", []byte("b"), []byte("vb2")))
		must(t, tx.Delete("t", []byte("c")))
		must(t, tx.Put("t", []byte("d"), []byte("vd")))
		got, err := tx.(storage.BatchGetter).GetMany("t", [][]byte{[]byte("c"), []byte("a"), []byte("b"), []byte("zz"), []byte("d"), []byte("a")})
		must(t, err)
		want := []string{"", "va", "vb2", "", "vd", "va"}
		for i := range want {
			if (want[i] == "") != (got[i] == nil) || !bytes.Equal(got[i], []byte(want[i])) && want[i] != "" {
				t.Errorf("GetMany[%d] = %q, want %q", i, got[i], want[i])
			}
		}
		if len(got) > 1 && got[1] != nil {
			got[1][0] = 'X' // the caller owns returned slices
		}
		body, err := tx.Get("t", []byte("a"))
		must(t, err)
		if string(body) != "va" {
			t.Errorf("Get after GetMany = %q", body)
		}
		return nil
	})
	// GetMany as a transaction's first statement (PostgreSQL sends it with
	// the transaction's BEGIN), read-only and writable.
	for _, writable := range []bool{false, true} {
		tx := begin(t, b, writable)
		got, err := tx.(storage.BatchGetter).GetMany("t", [][]byte{[]byte("zz"), []byte("b"), []byte("a"), []byte("d"), []byte("b"), []byte("c")})
		must(t, err)
		want := []string{"", "vb2", "va", "vd", "vb2", ""}
		for i := range want {
			if (want[i] == "") != (got[i] == nil) || !bytes.Equal(got[i], []byte(want[i])) && want[i] != "" {
				t.Errorf("writable %v: first GetMany[%d] = %q, want %q", writable, i, got[i], want[i])
			}
		}
		must(t, tx.Rollback())
	}
}
