package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata/storage"
)

func testCRUD(t *testing.T, b storage.Backend) {
	id := []byte("doc1")
	if _, ok := get(t, b, "users", id); ok {
		t.Fatal("Get on an empty store found a record")
	}
	view(t, b, func(tx storage.Tx) error {
		if _, err := tx.Get("users", id); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get missing: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, b, func(tx storage.Tx) error { return tx.Put("users", id, []byte("v1")) })
	if got, _ := get(t, b, "users", id); string(got) != "v1" {
		t.Fatalf("after put: %q, want v1", got)
	}
	if _, ok := get(t, b, "other", id); ok {
		t.Fatal("a record is visible under another table")
	}
	update(t, b, func(tx storage.Tx) error { return tx.Put("users", id, []byte("v2")) })
	if got, _ := get(t, b, "users", id); string(got) != "v2" {
		t.Fatalf("after replace: %q, want v2", got)
	}
	// Empty body and empty id are values, distinct from "missing".
	update(t, b, func(tx storage.Tx) error { return tx.Put("users", []byte{}, []byte{}) })
	if got, ok := get(t, b, "users", []byte{}); !ok || len(got) != 0 {
		t.Fatalf("empty id with empty body: %q, %v; want empty, found", got, ok)
	}
	update(t, b, func(tx storage.Tx) error { return tx.Delete("users", id) })
	if _, ok := get(t, b, "users", id); ok {
		t.Fatal("record still there after Delete")
	}
	update(t, b, func(tx storage.Tx) error { return tx.Delete("users", []byte("never existed")) })
	// Ids are binary.
	bin := []byte{0x00, 0xff, 0x00}
	update(t, b, func(tx storage.Tx) error { return tx.Put("users", bin, []byte{0xff, 0x00}) })
	if got, _ := get(t, b, "users", bin); !bytes.Equal(got, []byte{0xff, 0x00}) {
		t.Fatalf("binary id: %x", got)
	}
	if _, ok := get(t, b, "users", []byte{0x00, 0xff}); ok {
		t.Fatal("a prefix of a binary id matched")
	}
}

func testCopies(t *testing.T, b storage.Backend) {
	id, body := []byte("a"), []byte("original")
	update(t, b, func(tx storage.Tx) error {
		if err := tx.Put("t", id, body); err != nil {
			return err
		}
		return tx.PutIndex("t", "i", []byte("k"), id)
	})
	// The caller may reuse its slices once the transaction has ended.
	copy(body, "CLOBBER!")
	id[0] = 'z'
	got, _ := get(t, b, "t", []byte("a"))
	if string(got) != "original" {
		t.Fatalf("stored record changed with the caller's slice: %q", got)
	}
	got[0] = 'X'
	if again, _ := get(t, b, "t", []byte("a")); string(again) != "original" {
		t.Fatalf("modifying a returned slice changed the store: %q", again)
	}
	es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i"})
	if len(es) != 1 {
		t.Fatalf("scan: %d entries, want 1", len(es))
	}
	es[0].Key[0], es[0].ID[0], es[0].Body[0] = 'X', 'X', 'X'
	es = scan(t, b, storage.ScanRequest{Table: "t", Index: "i"})
	if string(es[0].Key) != "k" || string(es[0].ID) != "a" || string(es[0].Body) != "original" {
		t.Fatalf("modifying scan results changed the store: %q %q %q", es[0].Key, es[0].ID, es[0].Body)
	}
}

// fill writes keys k (as given) -> id "id-"+k and a document per id.
func fill(t testing.TB, b storage.Backend, table, index string, keys ...string) {
	t.Helper()
	update(t, b, func(tx storage.Tx) error {
		for _, k := range keys {
			id := []byte("id-" + k)
			if err := tx.Put(table, id, []byte("body-"+k)); err != nil {
				return err
			}
			if err := tx.PutIndex(table, index, []byte(k), id); err != nil {
				return err
			}
		}
		return nil
	})
}

func hexes(ss ...string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%x", s)
	}
	return out
}

func bs(s string) []byte {
	if s == "<nil>" {
		return nil
	}
	return []byte(s)
}

func testScanBounds(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "b", "d", "f", "h")
	fill(t, b, "t", "other", "a", "c", "e") // another index of the same table
	fill(t, b, "u", "i", "a", "c", "e")     // the same index name on another table
	cases := []struct {
		start, end string
		want       []string
	}{
		{"<nil>", "<nil>", []string{"b", "d", "f", "h"}},
		{"d", "<nil>", []string{"d", "f", "h"}}, // start inclusive
		{"c", "<nil>", []string{"d", "f", "h"}},
		{"<nil>", "f", []string{"b", "d"}}, // end exclusive
		{"<nil>", "g", []string{"b", "d", "f"}},
		{"d", "h", []string{"d", "f"}},
		{"d", "d", nil},                             // empty range
		{"f", "d", nil},                             // inverted range
		{"i", "<nil>", nil},                         // past the end
		{"", "<nil>", []string{"b", "d", "f", "h"}}, // empty start = unbounded
		{"<nil>", "b", nil},
		{"b", "b\x00", []string{"b"}},
		{"d\x00", "h\x00", []string{"f", "h"}},
	}
	for _, c := range cases {
		for _, rev := range []bool{false, true} {
			es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i", Range: storage.Range{Start: bs(c.start), End: bs(c.end)}, Reverse: rev})
			want := hexes(c.want...)
			if rev {
				slices.Reverse(want)
			}
			if got := keysOf(es); !slices.Equal(got, want) {
				t.Errorf("scan [%q, %q) reverse=%v: keys %v, want %v", c.start, c.end, rev, got, want)
			}
			for _, e := range es {
				if string(e.ID) != "id-"+string(e.Key) || string(e.Body) != "body-"+string(e.Key) {
					t.Errorf("scan entry %q: id %q body %q", e.Key, e.ID, e.Body)
				}
			}
		}
	}
	if es := scan(t, b, storage.ScanRequest{Table: "t", Index: "missing"}); len(es) != 0 {
		t.Errorf("scan of an unknown index: %d entries", len(es))
	}
}

func testScanLimit(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "a", "b", "c", "d", "e")
	cases := []struct {
		limit   int
		reverse bool
		start   string
		end     string
		want    []string
	}{
		{0, false, "<nil>", "<nil>", []string{"a", "b", "c", "d", "e"}},
		{1, false, "<nil>", "<nil>", []string{"a"}},
		{2, true, "<nil>", "<nil>", []string{"e", "d"}},
		{2, false, "b", "<nil>", []string{"b", "c"}},
		{2, true, "<nil>", "d", []string{"c", "b"}},
		{3, true, "b", "d", []string{"c", "b"}},
		{10, false, "<nil>", "<nil>", []string{"a", "b", "c", "d", "e"}},
	}
	for _, c := range cases {
		es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i", Limit: c.limit, Reverse: c.reverse, Range: storage.Range{Start: bs(c.start), End: bs(c.end)}})
		if got, want := keysOf(es), hexes(c.want...); !slices.Equal(got, want) {
			t.Errorf("limit %d reverse %v [%q,%q): %v, want %v", c.limit, c.reverse, c.start, c.end, got, want)
		}
	}
	view(t, b, func(tx storage.Tx) error {
		if _, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "i", Limit: -1}); err == nil {
			t.Error("negative limit: no error")
		}
		return nil
	})
}

func testScanKeysOnly(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "a", "b")
	for _, rev := range []bool{false, true} {
		es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i", KeysOnly: true, Reverse: rev})
		if len(es) != 2 {
			t.Fatalf("KeysOnly: %d entries, want 2", len(es))
		}
		for _, e := range es {
			if e.Body != nil || string(e.ID) != "id-"+string(e.Key) {
				t.Errorf("KeysOnly entry: key %q id %q body %q; want body nil", e.Key, e.ID, e.Body)
			}
		}
	}
}

func testScanMissingRecord(t *testing.T, b storage.Backend) {
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.Put("t", []byte("present"), []byte("here")))
		must(t, tx.Put("t", []byte("empty"), []byte{}))
		must(t, tx.Put("other", []byte("elsewhere"), []byte("wrong table")))
		must(t, tx.PutIndex("t", "i", []byte("1"), []byte("present")))
		must(t, tx.PutIndex("t", "i", []byte("2"), []byte("absent")))
		must(t, tx.PutIndex("t", "i", []byte("3"), []byte("empty")))
		must(t, tx.PutIndex("t", "i", []byte("4"), []byte("elsewhere")))
		return nil
	})
	es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i"})
	if len(es) != 4 {
		t.Fatalf("%d entries, want 4 (entries to missing records are returned)", len(es))
	}
	if string(es[0].Body) != "here" {
		t.Errorf("present record: body %q", es[0].Body)
	}
	if es[1].Body != nil || string(es[1].ID) != "absent" {
		t.Errorf("missing record: id %q body %v, want body nil", es[1].ID, es[1].Body)
	}
	if es[2].Body == nil || len(es[2].Body) != 0 {
		t.Errorf("empty record: body %v, want empty and non-nil", es[2].Body)
	}
	if es[3].Body != nil {
		t.Errorf("the join crossed tables: body %q", es[3].Body)
	}
}

func testBinaryKeyOrder(t *testing.T, b storage.Backend) {
	keys := [][]byte{
		{}, {0x00}, {0x00, 0x00}, {0x00, 0x01}, {0x01}, {0x7f}, {0x7f, 0xff},
		{0x80}, {0x80, 0x00}, {0xfe}, {0xff}, {0xff, 0x00}, {0xff, 0xff}, {0xff, 0xff, 0xff},
	}
	update(t, b, func(tx storage.Tx) error {
		// Insert in a scrambled order.
		for i := range keys {
			k := keys[(i*5)%len(keys)]
			if err := tx.PutIndex("t", "i", k, append([]byte("id"), k...)); err != nil {
				return err
			}
		}
		return nil
	})
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, bytes.Compare)
	want := make([]string, len(sorted))
	for i, k := range sorted {
		want[i] = fmt.Sprintf("%x", k)
	}
	if got := keysOf(scan(t, b, storage.ScanRequest{Table: "t", Index: "i"})); !slices.Equal(got, want) {
		t.Fatalf("forward order %v, want %v", got, want)
	}
	rev := slices.Clone(want)
	slices.Reverse(rev)
	if got := keysOf(scan(t, b, storage.ScanRequest{Table: "t", Index: "i", Reverse: true})); !slices.Equal(got, rev) {
		t.Fatalf("reverse order %v, want %v", got, rev)
	}
	// Bounds with 0x00 and 0xff bytes.
	es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i", Range: storage.Range{Start: []byte{0x00, 0x00}, End: []byte{0xff}}})
	if got := keysOf(es); !slices.Equal(got, want[2:10]) {
		t.Fatalf("[00 00, ff): %v, want %v", got, want[2:10])
	}
	es = scan(t, b, storage.ScanRequest{Table: "t", Index: "i", Range: storage.Range{Start: []byte{0xff, 0x00}}, Reverse: true, Limit: 2})
	if got := keysOf(es); !slices.Equal(got, []string{"ffffff", "ffff"}) {
		t.Fatalf("[ff 00, nil) reverse limit 2: %v", got)
	}
}

func testPutIndexReplaces(t *testing.T, b storage.Backend) {
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.Put("t", []byte("x"), []byte("X")))
		must(t, tx.Put("t", []byte("y"), []byte("Y")))
		must(t, tx.PutIndex("t", "i", []byte("k"), []byte("x")))
		return tx.PutIndex("t", "i", []byte("k"), []byte("y"))
	})
	es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i"})
	if len(es) != 1 || string(es[0].ID) != "y" || string(es[0].Body) != "Y" {
		t.Fatalf("PutIndex on an existing key: %+v, want one entry k -> y", es)
	}
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.DeleteIndex("t", "i", []byte("k")))
		return tx.DeleteIndex("t", "i", []byte("never"))
	})
	if es := scan(t, b, storage.ScanRequest{Table: "t", Index: "i"}); len(es) != 0 {
		t.Fatalf("after DeleteIndex: %d entries", len(es))
	}
}

func tables(t testing.TB, b storage.Backend) []string {
	t.Helper()
	var out []string
	view(t, b, func(tx storage.Tx) error {
		var err error
		out, err = tx.Tables()
		return err
	})
	return out
}

func testTablesDrop(t *testing.T, b storage.Backend) {
	if got := tables(t, b); len(got) != 0 {
		t.Fatalf("Tables on an empty store: %v", got)
	}
	fill(t, b, "zeta", "i", "a", "b")
	fill(t, b, "alpha", "i", "a")
	fill(t, b, "alpha", "j", "c")
	fill(t, b, "Beta", "i", "a")
	update(t, b, func(tx storage.Tx) error { return tx.PutIndex("indexonly", "i", []byte("k"), []byte("x")) })
	if got, want := tables(t, b), []string{"Beta", "alpha", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("Tables = %v, want %v (sorted bytewise, only tables with documents)", got, want)
	}
	update(t, b, func(tx storage.Tx) error { return tx.DropIndex("alpha", "i") })
	if es := scan(t, b, storage.ScanRequest{Table: "alpha", Index: "i"}); len(es) != 0 {
		t.Fatalf("DropIndex left %d entries", len(es))
	}
	if es := scan(t, b, storage.ScanRequest{Table: "alpha", Index: "j"}); len(es) != 1 {
		t.Fatalf("DropIndex removed another index: %d entries left, want 1", len(es))
	}
	if _, ok := get(t, b, "alpha", []byte("id-a")); !ok {
		t.Fatal("DropIndex removed a document")
	}
	update(t, b, func(tx storage.Tx) error { return tx.DropTable("zeta") })
	if got, want := tables(t, b), []string{"Beta", "alpha"}; !slices.Equal(got, want) {
		t.Fatalf("after DropTable: Tables = %v, want %v", got, want)
	}
	if es := scan(t, b, storage.ScanRequest{Table: "zeta", Index: "i"}); len(es) != 0 {
		t.Fatalf("DropTable left %d index entries", len(es))
	}
	if _, ok := get(t, b, "zeta", []byte("id-a")); ok {
		t.Fatal("DropTable left a document")
	}
	if _, ok := get(t, b, "Beta", []byte("id-a")); !ok {
		t.Fatal("DropTable removed another table's document")
	}
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.DropTable("never existed"))
		return tx.DropIndex("never", "existed")
	})
}

func testRollback(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "keep")
	tx := begin(t, b, true)
	must(t, tx.Put("t", []byte("new"), []byte("x")))
	must(t, tx.Put("t", []byte("id-keep"), []byte("changed")))
	must(t, tx.PutIndex("t", "i", []byte("new"), []byte("new")))
	must(t, tx.DeleteIndex("t", "i", []byte("keep")))
	must(t, tx.Put("newtable", []byte("x"), []byte("x")))
	must(t, tx.DropTable("t"))
	must(t, tx.Rollback())
	if got, _ := get(t, b, "t", []byte("id-keep")); string(got) != "body-keep" {
		t.Fatalf("after rollback: %q, want body-keep", got)
	}
	if _, ok := get(t, b, "t", []byte("new")); ok {
		t.Fatal("a rolled-back insert is visible")
	}
	if got := keysOf(scan(t, b, storage.ScanRequest{Table: "t", Index: "i"})); !slices.Equal(got, hexes("keep")) {
		t.Fatalf("index after rollback: %v", got)
	}
	if got := tables(t, b); !slices.Equal(got, []string{"t"}) {
		t.Fatalf("tables after rollback: %v", got)
	}
	// The store accepts writes afterwards (the write slot was released).
	fill(t, b, "t", "i", "after")
}

func testReadOnly(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "a")
	tx := begin(t, b, false)
	writes := map[string]error{
		"Put":         tx.Put("t", []byte("x"), []byte("x")),
		"Delete":      tx.Delete("t", []byte("id-a")),
		"PutIndex":    tx.PutIndex("t", "i", []byte("x"), []byte("x")),
		"DeleteIndex": tx.DeleteIndex("t", "i", []byte("a")),
		"DropTable":   tx.DropTable("t"),
		"DropIndex":   tx.DropIndex("t", "i"),
	}
	for name, err := range writes {
		if !errors.Is(err, storage.ErrReadOnly) {
			t.Errorf("%s in a read-only transaction: %v, want ErrReadOnly", name, err)
		}
	}
	// The transaction is still usable for reads.
	if got, err := tx.Get("t", []byte("id-a")); err != nil || string(got) != "body-a" {
		t.Fatalf("Get after refused writes: %q, %v", got, err)
	}
	must(t, tx.Commit())
	if _, ok := get(t, b, "t", []byte("id-a")); !ok {
		t.Fatal("the document is gone")
	}
}

func checkAllDone(t *testing.T, tx storage.Tx, what string) {
	t.Helper()
	errs := map[string]error{
		"Get":         func() error { _, err := tx.Get("t", []byte("x")); return err }(),
		"Put":         tx.Put("t", []byte("x"), []byte("x")),
		"Delete":      tx.Delete("t", []byte("x")),
		"PutIndex":    tx.PutIndex("t", "i", []byte("x"), []byte("x")),
		"DeleteIndex": tx.DeleteIndex("t", "i", []byte("x")),
		"Scan":        func() error { _, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "i"}); return err }(),
		"Tables":      func() error { _, err := tx.Tables(); return err }(),
		"DropTable":   tx.DropTable("t"),
		"DropIndex":   tx.DropIndex("t", "i"),
		"Commit":      tx.Commit(),
	}
	for name, err := range errs {
		if !errors.Is(err, storage.ErrTxDone) {
			t.Errorf("%s after %s: %v, want ErrTxDone", name, what, err)
		}
	}
	if err := tx.Rollback(); err != nil {
		t.Errorf("Rollback after %s: %v, want nil", what, err)
	}
}

func testTxDone(t *testing.T, b storage.Backend) {
	for _, writable := range []bool{true, false} {
		tx := begin(t, b, writable)
		must(t, tx.Commit())
		checkAllDone(t, tx, fmt.Sprintf("Commit (writable=%v)", writable))
		tx = begin(t, b, writable)
		must(t, tx.Rollback())
		checkAllDone(t, tx, fmt.Sprintf("Rollback (writable=%v)", writable))
	}
	// Nothing was written by the refused calls.
	if got := tables(t, b); len(got) != 0 {
		t.Fatalf("tables: %v", got)
	}
}

func testCanceledContext(t *testing.T, b storage.Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, writable := range []bool{true, false} {
		tx, err := b.Begin(ctx, writable)
		if err == nil {
			_ = tx.Rollback()
			t.Errorf("Begin(writable=%v) with a canceled context: no error", writable)
		}
	}
	// A context that ends after Begin fails the transaction's next
	// statement, whatever it is, and a write transaction commits nothing.
	fill(t, b, "t", "i", "a")
	ops := []struct {
		name string
		fn   func(tx storage.Tx) error
	}{
		{"Get", func(tx storage.Tx) error { _, err := tx.Get("t", []byte("id-a")); return err }},
		{"Scan", func(tx storage.Tx) error {
			_, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "i", Limit: 1})
			return err
		}},
		{"Put+Commit", func(tx storage.Tx) error {
			if err := tx.Put("t", []byte("id-z"), []byte("body-z")); err != nil {
				return err
			}
			return tx.Commit()
		}},
		{"PutIndex+Commit", func(tx storage.Tx) error {
			if err := tx.PutIndex("t", "i", []byte("z"), []byte("id-z")); err != nil {
				return err
			}
			return tx.Commit()
		}},
		{"Delete+Commit", func(tx storage.Tx) error {
			if err := tx.Delete("t", []byte("id-a")); err != nil {
				return err
			}
			return tx.Commit()
		}},
	}
	for _, op := range ops {
		for _, writable := range []bool{true, false} {
			if !writable && strings.Contains(op.name, "Commit") {
				continue
			}
			ctx, cancel := context.WithCancel(context.Background())
			tx, err := b.Begin(ctx, writable)
			must(t, err)
			cancel()
			err = op.fn(tx)
			_ = tx.Rollback()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s (writable=%v) after the context ended: %v, want context.Canceled", op.name, writable, err)
			}
		}
	}
	if _, ok := get(t, b, "t", []byte("id-z")); ok {
		t.Errorf("a transaction whose context ended committed a document")
	}
	if _, ok := get(t, b, "t", []byte("id-a")); !ok {
		t.Errorf("a transaction whose context ended deleted a document")
	}
	if got := keysOf(scan(t, b, storage.ScanRequest{Table: "t", Index: "i"})); !slices.Equal(got, hexes("a")) {
		t.Errorf("index after canceled transactions: %v, want [a]", got)
	}
}

func testReadYourWrites(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "a", "c")
	tx := begin(t, b, true)
	must(t, tx.Put("t", []byte("id-b"), []byte("body-b")))
	must(t, tx.PutIndex("t", "i", []byte("b"), []byte("id-b")))
	must(t, tx.Put("t", []byte("id-a"), []byte("new-a")))
	must(t, tx.DeleteIndex("t", "i", []byte("c")))
	if got, err := tx.Get("t", []byte("id-b")); err != nil || string(got) != "body-b" {
		t.Fatalf("Get own insert: %q, %v", got, err)
	}
	es, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "i"})
	must(t, err)
	if got := keysOf(es); !slices.Equal(got, hexes("a", "b")) {
		t.Fatalf("Scan own writes: %v, want [a b]", got)
	}
	if string(es[0].Body) != "new-a" || string(es[1].Body) != "body-b" {
		t.Fatalf("Scan joined with own writes: %q %q", es[0].Body, es[1].Body)
	}
	must(t, tx.Delete("t", []byte("id-b")))
	if _, err := tx.Get("t", []byte("id-b")); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get own delete: %v, want ErrNotFound", err)
	}
	must(t, tx.Put("t2", []byte("x"), []byte("x")))
	names, err := tx.Tables()
	must(t, err)
	if !slices.Equal(names, []string{"t", "t2"}) {
		t.Fatalf("Tables with own writes: %v", names)
	}
	must(t, tx.Commit())
	if got, _ := get(t, b, "t", []byte("id-a")); string(got) != "new-a" {
		t.Fatalf("after commit: %q", got)
	}
}
