package strata_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
)

func paginateAll(t testing.TB, db *strata.DB, n int, build func(tx *strata.Tx) *strata.Query, between func(page int)) []strata.Doc {
	t.Helper()
	var out []strata.Doc
	cursor := ""
	for page := 0; ; page++ {
		var p strata.Page
		query(t, db, func(tx *strata.Tx) error {
			var err error
			p, err = build(tx).Paginate(n, cursor)
			return err
		})
		if len(p.Page) > n {
			t.Fatalf("page of %d > %d", len(p.Page), n)
		}
		out = append(out, p.Page...)
		if p.IsDone {
			return out
		}
		if p.ContinueCursor == "" {
			t.Fatal("no continue cursor on an unfinished page")
		}
		cursor = p.ContinueCursor
		if between != nil {
			between(page)
		}
		if page > 100000 {
			t.Fatal("pagination does not end")
		}
	}
}

func TestPaginateMatchesCollect(t *testing.T) {
	t.Parallel()
	db, all := postsDB(t, 230)
	for _, n := range []int{1, 7, 100, 230, 500} {
		for _, order := range []strata.Order{strata.Asc, strata.Desc} {
			build := func(tx *strata.Tx) *strata.Query {
				return tx.Table("posts").WithIndex("by_status_and_published", strata.Eq("status", "published")).Order(order)
			}
			var want []strata.Doc
			query(t, db, func(tx *strata.Tx) error {
				var err error
				want, err = build(tx).Collect()
				return err
			})
			got := paginateAll(t, db, n, build, nil)
			if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
				t.Errorf("n=%d order=%v: paginated %d docs, collect %d", n, order, len(got), len(want))
			}
		}
	}
	got := paginateAll(t, db, 33, func(tx *strata.Tx) *strata.Query { return tx.Table("posts") }, nil)
	if fmt.Sprint(ids(got)) != fmt.Sprint(ids(all)) {
		t.Errorf("full-table pagination differs from the table")
	}
	// An empty result is one done page.
	got = paginateAll(t, db, 10, func(tx *strata.Tx) *strata.Query { return tx.Table("empty") }, nil)
	if len(got) != 0 {
		t.Errorf("empty table paginated %d docs", len(got))
	}
}

// TestPaginateStableUnderWrites inserts and deletes documents between
// pages (including ones just before and after the cursor) and checks that
// every document present throughout is returned exactly once.
func TestPaginateStableUnderWrites(t *testing.T) {
	t.Parallel()
	for _, order := range []strata.Order{strata.Asc, strata.Desc} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			db, all := postsDB(t, 300)
			r := rand.New(rand.NewPCG(1, uint64(order)))
			// Delete only documents from a "volatile" set; the rest are
			// present throughout.
			volatile := map[strata.ID]bool{}
			var deletable []strata.ID
			for i, d := range all {
				if i%4 == 0 {
					volatile[d.ID()] = true
					deletable = append(deletable, d.ID())
				}
			}
			build := func(tx *strata.Tx) *strata.Query {
				return tx.Table("posts").WithIndex("by_rank").Order(order)
			}
			got := paginateAll(t, db, 10, build, func(page int) {
				mutate(t, db, func(tx *strata.Tx) error {
					for k := 0; k < 3 && len(deletable) > 0; k++ {
						i := r.IntN(len(deletable))
						if err := tx.Delete(deletable[i]); err != nil {
							return err
						}
						deletable = append(deletable[:i], deletable[i+1:]...)
					}
					for k := 0; k < 3; k++ {
						id, err := tx.Insert("posts", strata.Doc{"status": "draft", "rank": int64(r.IntN(20) - 10)})
						if err != nil {
							return err
						}
						volatile[id] = true
					}
					return nil
				})
			})
			seen := map[strata.ID]int{}
			for _, d := range got {
				seen[d.ID()]++
			}
			for _, d := range all {
				if volatile[d.ID()] {
					continue
				}
				if seen[d.ID()] != 1 {
					t.Errorf("document %s present throughout was returned %d times", d.ID(), seen[d.ID()])
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("document %s returned %d times", id, n)
				}
			}
		})
	}
}

func TestCursorBoundToQuery(t *testing.T) {
	t.Parallel()
	db, _ := postsDB(t, 30)
	var cursor string
	query(t, db, func(tx *strata.Tx) error {
		p, err := tx.Table("posts").WithIndex("by_rank", strata.Gt("rank", int64(-5))).Paginate(3, "")
		cursor = p.ContinueCursor
		return err
	})
	insert(t, db, "other", strata.Doc{"x": 1.0})
	others := []struct {
		name string
		q    func(tx *strata.Tx) *strata.Query
	}{
		{"other table", func(tx *strata.Tx) *strata.Query { return tx.Table("other") }},
		{"other index", func(tx *strata.Tx) *strata.Query { return tx.Table("posts").WithIndex("by_status_and_published") }},
		{"other range", func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").WithIndex("by_rank", strata.Gt("rank", int64(-4)))
		}},
		{"other order", func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").WithIndex("by_rank", strata.Gt("rank", int64(-5))).Order(strata.Desc)
		}},
		{"other filter", func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").WithIndex("by_rank", strata.Gt("rank", int64(-5))).Filter(strata.Field("status").Eq("draft"))
		}},
	}
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) {
			err := db.Query(ctx, func(tx *strata.Tx) error {
				_, err := o.q(tx).Paginate(3, cursor)
				return err
			})
			if !errors.Is(err, strata.ErrInvalidCursor) {
				t.Errorf("got %v, want ErrInvalidCursor", err)
			}
		})
	}
	// The same query accepts it.
	query(t, db, func(tx *strata.Tx) error {
		_, err := tx.Table("posts").WithIndex("by_rank", strata.Gt("rank", int64(-5))).Paginate(3, cursor)
		return err
	})
}

// TestCursorAfter: a cursor taken after any document of a page resumes
// right after that document, in both orders.
func TestCursorAfter(t *testing.T) {
	t.Parallel()
	db, _ := postsDB(t, 60)
	for _, order := range []strata.Order{strata.Asc, strata.Desc} {
		build := func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").WithIndex("by_status_and_published", strata.Eq("status", "published")).Order(order)
		}
		var all []strata.Doc
		query(t, db, func(tx *strata.Tx) error {
			var err error
			all, err = build(tx).Collect()
			return err
		})
		query(t, db, func(tx *strata.Tx) error {
			p, err := build(tx).Paginate(10, "")
			if err != nil {
				return err
			}
			if p.CursorAfter(-1) != "" || p.CursorAfter(len(p.Page)) != "" {
				t.Errorf("CursorAfter out of range returned a cursor")
			}
			if p.CursorAfter(len(p.Page)-1) != p.ContinueCursor {
				t.Errorf("CursorAfter(last) differs from ContinueCursor")
			}
			for _, i := range []int{0, 4, len(p.Page) - 1} {
				next, err := build(tx).Paginate(3, p.CursorAfter(i))
				if err != nil {
					return err
				}
				if fmt.Sprint(ids(next.Page)) != fmt.Sprint(ids(all[i+1:i+4])) {
					t.Errorf("order %v: after document %d got %v, want %v", order, i, ids(next.Page), ids(all[i+1:i+4]))
				}
			}
			return nil
		})
	}
	if (strata.Page{}).CursorAfter(0) != "" {
		t.Error("a zero Page returned a cursor")
	}
}

// backendURL returns the URL of a fresh, empty database of backend
// ("sqlite" or "postgres"), for tests that open it more than once.
func backendURL(t testing.TB, backend string) string {
	t.Helper()
	if backend == "postgres" {
		return pgtest.URL(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

// TestCursorTampering changes a real cursor every way a careless or
// hostile client could: every bit of its text, every bit of its decoded
// bytes (re-encoded), every truncation and some extensions. Each variant
// is refused with ErrInvalidCursor.
func TestCursorTampering(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, _ func(testing.TB) *strata.DB) {
		db, _ := postsDB(t, 30)
		build := func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").WithIndex("by_rank", strata.Gte("rank", int64(-10)))
		}
		var cursor string
		query(t, db, func(tx *strata.Tx) error {
			p, err := build(tx).Paginate(3, "")
			cursor = p.ContinueCursor
			return err
		})
		variants := map[string]string{}
		for i := range len(cursor) {
			for bit := range 8 {
				b := []byte(cursor)
				b[i] ^= 1 << bit
				variants[fmt.Sprintf("text byte %d bit %d", i, bit)] = string(b)
			}
		}
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(raw) {
			for bit := range 8 {
				b := bytes.Clone(raw)
				b[i] ^= 1 << bit
				variants[fmt.Sprintf("decoded byte %d bit %d", i, bit)] = base64.RawURLEncoding.EncodeToString(b)
			}
		}
		for n := 1; n < len(cursor); n++ {
			variants[fmt.Sprintf("text truncated to %d", n)] = cursor[:n]
		}
		for n := 1; n < len(raw); n++ { // "" is the first page's cursor
			variants[fmt.Sprintf("decoded truncated to %d", n)] = base64.RawURLEncoding.EncodeToString(raw[:n])
		}
		for _, ext := range []string{"A", "AA", "AAA", "AAAA", "\n", "=", "=="} {
			variants[fmt.Sprintf("text extended by %q", ext)] = cursor + ext
		}
		for _, ext := range [][]byte{{0}, {1}, {0xff, 0xff}} {
			variants[fmt.Sprintf("decoded extended by %x", ext)] = base64.RawURLEncoding.EncodeToString(append(bytes.Clone(raw), ext...))
		}
		variants["line break inside"] = cursor[:4] + "\n" + cursor[4:]
		refused := 0
		query(t, db, func(tx *strata.Tx) error {
			for name, c := range variants {
				if c == cursor {
					continue // a flip of a padding bit the encoding cannot express
				}
				_, err := build(tx).Paginate(3, c)
				if !errors.Is(err, strata.ErrInvalidCursor) {
					t.Errorf("%s (%q): got %v, want ErrInvalidCursor", name, c, err)
				}
				refused++
			}
			_, err := build(tx).Paginate(3, cursor)
			return err
		})
		if refused < 8*len(cursor) {
			t.Fatalf("only %d variants tried", refused)
		}
	})
}

// TestCursorBelongsToItsDatabase: a cursor is accepted by the database
// that made it, also after it is closed and opened again (migrations keep
// cursors across restarts), and refused by another database holding the
// same query.
func TestCursorBelongsToItsDatabase(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testCursorBelongsToItsDatabase(t, backend) })
	}
}

func testCursorBelongsToItsDatabase(t *testing.T, backend string) {
	open := func(url string) *strata.DB {
		db, err := strata.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	url := backendURL(t, backend)
	a, b := open(url), open(backendURL(t, backend))
	for _, db := range []*strata.DB{a, b} {
		insert(t, db, "items", strata.Doc{"n": 1.0}, strata.Doc{"n": 2.0}, strata.Doc{"n": 3.0})
	}
	page := func(db *strata.DB, cursor string) (strata.Page, error) {
		var p strata.Page
		err := db.Query(ctx, func(tx *strata.Tx) error {
			var err error
			p, err = tx.Table("items").Paginate(1, cursor)
			return err
		})
		return p, err
	}
	p, err := page(a, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := page(b, p.ContinueCursor); !errors.Is(err, strata.ErrInvalidCursor) {
		t.Errorf("another database: got %v, want ErrInvalidCursor", err)
	}
	a.Close()
	a = open(url)
	next, err := page(a, p.ContinueCursor)
	if err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	if len(next.Page) != 1 || next.Page[0]["n"] != 2.0 {
		t.Errorf("after reopening: page %v, want the second document", next.Page)
	}
}
