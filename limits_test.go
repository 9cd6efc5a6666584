package strata_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

// openLimited opens a fresh database of backend with limits, holding n
// documents {n: i, pad: "xxxxxxxx"} in "items" (inserted by a handle
// without the limits).
func openLimited(t testing.TB, backend string, l strata.Limits, n int) *strata.DB {
	t.Helper()
	url := backendURL(t, backend)
	seed, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < n; lo += 500 {
		mutate(t, seed, func(tx *strata.Tx) error {
			for i := lo; i < min(lo+500, n); i++ {
				if _, err := tx.Insert("items", strata.Doc{"n": int64(i), "pad": "xxxxxxxx"}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	seed.Close()
	db, err := strata.Open(ctx, url, strata.WithLimits(l))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// countItems counts the documents of "items" (Count reads index entries
// only, so it is not limited).
func countItems(t testing.TB, db *strata.DB) int64 {
	t.Helper()
	var n int64
	query(t, db, func(tx *strata.Tx) error {
		var err error
		n, err = tx.Table("items").Count()
		return err
	})
	return n
}

// wantLimit checks that err is a *LimitError for limit with count, naming
// who in its message.
func wantLimit(t testing.TB, err error, who, limit string, max, count int64) {
	t.Helper()
	var le *strata.LimitError
	if !errors.As(err, &le) || !errors.Is(err, strata.ErrLimitExceeded) {
		t.Fatalf("got %v, want a *strata.LimitError", err)
	}
	if le.Limit != limit || le.Max != max || le.Count != count {
		t.Errorf("got limit %q max %d count %d, want %q %d %d", le.Limit, le.Max, le.Count, limit, max, count)
	}
	for _, s := range []string{who, limit, fmt.Sprint(max), fmt.Sprint(count)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %q", err, s)
		}
	}
}

// TestTransactionLimits: each limit lets a transaction do exactly its
// limit and fails it at one more, with a *LimitError naming the limit, the
// count and the kind of transaction, and nothing committed — also when
// the function ignores the error and returns nil.
func TestTransactionLimits(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testTransactionLimits(t, backend)
		})
	}
}

func testTransactionLimits(t *testing.T, backend string) {
	const docs = 20
	// The encoded size of one new item, from the error of a limit of 1.
	probe := openLimited(t, backend, strata.Limits{BytesWritten: 1}, 0)
	err := probe.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("items", strata.Doc{"n": int64(100), "pad": "xxxxxxxx"}) // as insertN's

		return err
	})
	var le *strata.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("probe: %v", err)
	}
	size := le.Count

	read := func(n int) func(tx *strata.Tx) error { // n documents, four ways
		return func(tx *strata.Tx) error {
			_, err := tx.Table("items").Take(n)
			return err
		}
	}
	insertN := func(n int) func(tx *strata.Tx) error {
		return func(tx *strata.Tx) error {
			for i := range n {
				if _, err := tx.Insert("items", strata.Doc{"n": int64(100 + i), "pad": "xxxxxxxx"}); err != nil {
					return err
				}
			}
			return nil
		}
	}
	cases := []struct {
		name     string
		limits   strata.Limits
		writable bool
		ok, over func(tx *strata.Tx) error
		limit    string
		max      int64
		count    int64
	}{
		{"read by Take", strata.Limits{DocumentsRead: 10}, false, read(10), read(11), "documents read", 10, 11},
		{"read by Collect with a filter", strata.Limits{DocumentsRead: 19}, false,
			func(tx *strata.Tx) error {
				_, err := tx.Table("items").Filter(strata.Field("n").Eq(int64(18))).Take(1) // reads 19
				return err
			},
			func(tx *strata.Tx) error {
				_, err := tx.Table("items").Filter(strata.Field("n").Eq(int64(-1))).Collect()
				return err
			}, "documents read", 19, 20},
		{"read by Paginate", strata.Limits{DocumentsRead: 7}, false,
			func(tx *strata.Tx) error {
				p, err := tx.Table("items").Paginate(4, "")
				if err == nil {
					_, err = tx.Table("items").Paginate(3, p.ContinueCursor)
				}
				return err
			},
			func(tx *strata.Tx) error {
				_, err := tx.Table("items").Paginate(8, "")
				return err
			}, "documents read", 7, 8},
		{"read by Get and GetMany", strata.Limits{DocumentsRead: 5}, true,
			func(tx *strata.Tx) error {
				ds, err := tx.Table("items").Take(3) // 3
				if err != nil {
					return err
				}
				if _, err := tx.Get(ds[0].ID()); err != nil { // 4
					return err
				}
				_, err = tx.GetMany([]strata.ID{ds[1].ID()}) // 5
				return err
			},
			func(tx *strata.Tx) error {
				ds, err := tx.Table("items").Take(3)
				if err != nil {
					return err
				}
				_, err = tx.GetMany([]strata.ID{ds[0].ID(), ds[1].ID(), ds[2].ID()})
				return err
			}, "documents read", 5, 6},
		{"documents written", strata.Limits{DocumentsWritten: 6}, true, insertN(6), insertN(7), "documents written", 6, 7},
		{"patches and deletes are writes", strata.Limits{DocumentsWritten: 4}, true,
			func(tx *strata.Tx) error {
				ds, err := tx.Table("items").Take(2)
				if err != nil {
					return err
				}
				if err := tx.Patch(ds[0].ID(), strata.Patch{"n": int64(-1)}); err != nil {
					return err
				}
				if err := tx.Replace(ds[0].ID(), strata.Doc{"n": int64(-2), "pad": "y"}); err != nil {
					return err
				}
				if err := tx.Delete(ds[1].ID()); err != nil {
					return err
				}
				return insertN(1)(tx)
			},
			func(tx *strata.Tx) error {
				ds, err := tx.Table("items").Take(5)
				if err != nil {
					return err
				}
				for _, d := range ds {
					if err := tx.Delete(d.ID()); err != nil {
						return err
					}
				}
				return nil
			}, "documents written", 4, 5},
		{"bytes written", strata.Limits{BytesWritten: 3 * size}, true, insertN(3), insertN(4), "bytes written", 3 * size, 4 * size},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openLimited(t, backend, c.limits, docs)
			run, kind := db.Query, "query"
			if c.writable {
				run, kind = db.Mutation, "mutation"
			}
			if err := run(ctx, c.ok); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			before := dump(t, db)
			wantLimit(t, run(ctx, c.over), kind, c.limit, c.max, c.count)
			// A function that swallows the error still fails.
			swallowed := run(ctx, func(tx *strata.Tx) error {
				if err := c.over(tx); err == nil {
					t.Error("over the limit inside the transaction: no error")
				}
				return nil
			})
			wantLimit(t, swallowed, kind, c.limit, c.max, c.count)
			if after := dump(t, db); string(after) != string(before) {
				t.Error("a transaction over its limit changed the database")
			}
		})
	}

	t.Run("default limits", func(t *testing.T) {
		db := openLimited(t, backend, strata.Limits{}, 0)
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := range strata.DefaultDocumentsWritten + 1 {
				if _, err := tx.Insert("items", strata.Doc{"n": int64(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		wantLimit(t, err, "mutation", "documents written", strata.DefaultDocumentsWritten, strata.DefaultDocumentsWritten+1)
		if n := countItems(t, db); n != 0 {
			t.Errorf("%d documents committed", n)
		}
	})

	// A schema push (checks of every document, an index build) and Count
	// are not held to the limits; queries through the new index are.
	t.Run("push and count are not limited", func(t *testing.T) {
		db := openLimited(t, backend, strata.Limits{DocumentsRead: 5, DocumentsWritten: 5, BytesWritten: 1000}, 50)
		s, err := strata.NewSchema(strata.Table("items", v.Object{"n": v.Int64(), "pad": v.String()}).Index("by_n", "n"))
		setSchema(t, db, s, err)
		if n := countItems(t, db); n != 50 {
			t.Errorf("count = %d, want 50", n)
		}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			_, err := tx.Table("items").WithIndex("by_n", strata.Gte("n", int64(0))).Take(6)
			return err
		})
		wantLimit(t, err, "query", "documents read", 5, 6)
	})
}
