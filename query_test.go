package strata_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// postsDB holds n posts with a status, an optional numeric publishedAt and
// an int64 rank, under indexes on (status, publishedAt) and rank.
func postsDB(t testing.TB, n int) (*strata.DB, []strata.Doc) {
	db := openDB(t)
	s, err := strata.NewSchema(strata.Table("posts", v.Object{
		"status":      v.Union(v.Literal("draft"), v.Literal("published")),
		"publishedAt": v.Optional(v.Number()),
		"rank":        v.Int64(),
	}).Index("by_status_and_published", "status", "publishedAt").Index("by_rank", "rank"),
		// Declared, and left empty or written by tests: with a schema,
		// only declared tables can be written, and reading an undeclared
		// empty one is an error (ErrUnknownTable).
		strata.Table("empty", v.Object{}),
		strata.Table("other", v.Object{"x": v.Optional(v.Number())}))
	setSchema(t, db, s, err)
	r := rand.New(rand.NewPCG(7, 7))
	var docs []strata.Doc
	for i := 0; i < n; i++ {
		d := strata.Doc{"status": "draft", "rank": int64(r.IntN(20) - 10)}
		if r.IntN(2) == 0 {
			d["status"] = "published"
			if r.IntN(4) != 0 {
				d["publishedAt"] = float64(r.IntN(50))
			}
		}
		docs = append(docs, d)
	}
	insert(t, db, "posts", docs...)
	var all []strata.Doc
	query(t, db, func(tx *strata.Tx) error {
		var err error
		all, err = tx.Table("posts").Collect()
		return err
	})
	return db, all
}

// sortedBy orders docs as an index over fields would: by the fields'
// values (undefined first), then _creationTime.
func sortedBy(docs []strata.Doc, fields ...string) []strata.Doc {
	out := append([]strata.Doc(nil), docs...)
	sort.SliceStable(out, func(i, j int) bool {
		for _, f := range fields {
			a, ok := out[i].Lookup(f)
			if !ok {
				a = value.Undef
			}
			b, ok := out[j].Lookup(f)
			if !ok {
				b = value.Undef
			}
			if c := value.Compare(a, b); c != 0 {
				return c < 0
			}
		}
		return out[i].CreationTime() < out[j].CreationTime()
	})
	return out
}

func ids(docs []strata.Doc) []strata.ID {
	out := make([]strata.ID, len(docs))
	for i, d := range docs {
		out[i] = d.ID()
	}
	return out
}

func reversed(docs []strata.Doc) []strata.Doc {
	out := make([]strata.Doc, len(docs))
	for i, d := range docs {
		out[len(docs)-1-i] = d
	}
	return out
}

func keep(docs []strata.Doc, pred func(strata.Doc) bool) []strata.Doc {
	var out []strata.Doc
	for _, d := range docs {
		if pred(d) {
			out = append(out, d)
		}
	}
	return out
}

func TestIndexRanges(t *testing.T) {
	t.Parallel()
	db, all := postsDB(t, 400)
	pub := func(d strata.Doc) bool { return d.StringOr("status", "") == "published" }
	at := func(d strata.Doc) (float64, bool) { return d.Float("publishedAt") }
	rank := func(d strata.Doc) int64 { r, _ := d.Int("rank"); return r }
	byPub := sortedBy(all, "status", "publishedAt")
	byRank := sortedBy(all, "rank")
	cases := []struct {
		name  string
		index string
		rng   []strata.RangeExpr
		want  []strata.Doc
	}{
		{"whole index", "by_status_and_published", nil, byPub},
		{"eq prefix", "by_status_and_published", []strata.RangeExpr{strata.Eq("status", "published")}, keep(byPub, pub)},
		{"eq both", "by_status_and_published", []strata.RangeExpr{strata.Eq("status", "published"), strata.Eq("publishedAt", 7.0)},
			keep(byPub, func(d strata.Doc) bool { f, ok := at(d); return pub(d) && ok && f == 7 })},
		{"eq missing field", "by_status_and_published", []strata.RangeExpr{strata.Eq("status", "published"), strata.Eq("publishedAt", value.Undef)},
			keep(byPub, func(d strata.Doc) bool { _, ok := at(d); return pub(d) && !ok })},
		{"gt", "by_status_and_published", []strata.RangeExpr{strata.Eq("status", "published"), strata.Gt("publishedAt", 10.0)},
			keep(byPub, func(d strata.Doc) bool { f, ok := at(d); return pub(d) && ok && f > 10 })},
		{"gte lt", "by_status_and_published", []strata.RangeExpr{strata.Eq("status", "published"), strata.Gte("publishedAt", 10.0), strata.Lt("publishedAt", 20.0)},
			keep(byPub, func(d strata.Doc) bool { f, ok := at(d); return pub(d) && ok && f >= 10 && f < 20 })},
		{"lte", "by_status_and_published", []strata.RangeExpr{strata.Eq("status", "published"), strata.Lte("publishedAt", 10.0)},
			keep(byPub, func(d strata.Doc) bool { f, _ := at(d); return pub(d) && f <= 10 })}, // missing (undefined) sorts first
		{"int64 bounds", "by_rank", []strata.RangeExpr{strata.Gt("rank", int64(-3)), strata.Lte("rank", int64(4))},
			keep(byRank, func(d strata.Doc) bool { return rank(d) > -3 && rank(d) <= 4 })},
		{"empty range", "by_rank", []strata.RangeExpr{strata.Gt("rank", int64(5)), strata.Lt("rank", int64(5))}, nil},
		{"float bound on int64 field", "by_rank", []strata.RangeExpr{strata.Lt("rank", 0.0)}, byRank}, // every int64 < every float64
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, order := range []strata.Order{strata.Asc, strata.Desc} {
				want := c.want
				if order == strata.Desc {
					want = reversed(want)
				}
				query(t, db, func(tx *strata.Tx) error {
					got, err := tx.Table("posts").WithIndex(c.index, c.rng...).Order(order).Collect()
					if err != nil {
						return err
					}
					if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
						t.Errorf("order %v: got %d docs, want %d", order, len(got), len(want))
					}
					if len(want) > 3 {
						got3, err := tx.Table("posts").WithIndex(c.index, c.rng...).Order(order).Take(3)
						if err != nil {
							return err
						}
						if fmt.Sprint(ids(got3)) != fmt.Sprint(ids(want[:3])) {
							t.Errorf("take 3 order %v differs", order)
						}
					}
					return nil
				})
			}
		})
	}
}

func TestFullScanAndFilters(t *testing.T) {
	t.Parallel()
	db, all := postsDB(t, 200)
	rank := func(d strata.Doc) int64 { r, _ := d.Int("rank"); return r }
	cases := []struct {
		name string
		f    strata.Expr
		pred func(strata.Doc) bool
	}{
		{"eq", strata.Field("status").Eq("draft"), func(d strata.Doc) bool { return d.StringOr("status", "") == "draft" }},
		{"neq", strata.Field("status").Neq("draft"), func(d strata.Doc) bool { return d.StringOr("status", "") != "draft" }},
		{"lt", strata.Field("rank").Lt(int64(0)), func(d strata.Doc) bool { return rank(d) < 0 }},
		{"lte", strata.Field("rank").Lte(int64(0)), func(d strata.Doc) bool { return rank(d) <= 0 }},
		{"gt", strata.Field("rank").Gt(int64(0)), func(d strata.Doc) bool { return rank(d) > 0 }},
		{"gte", strata.Field("rank").Gte(int64(0)), func(d strata.Doc) bool { return rank(d) >= 0 }},
		{"and", strata.And(strata.Field("rank").Gte(int64(0)), strata.Field("status").Eq("published")),
			func(d strata.Doc) bool { return rank(d) >= 0 && d.StringOr("status", "") == "published" }},
		{"or", strata.Or(strata.Field("rank").Eq(int64(3)), strata.Field("rank").Eq(int64(-3))),
			func(d strata.Doc) bool { return rank(d) == 3 || rank(d) == -3 }},
		{"not", strata.Not(strata.Field("status").Eq("draft")), func(d strata.Doc) bool { return d.StringOr("status", "") != "draft" }},
		{"missing field is undefined", strata.Field("publishedAt").Eq(value.Undef), func(d strata.Doc) bool { return !d.Has("publishedAt") }},
		{"int64 never equals float64", strata.Field("rank").Eq(0.0), func(d strata.Doc) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query(t, db, func(tx *strata.Tx) error {
				got, err := tx.Table("posts").Filter(c.f).Collect()
				if err != nil {
					return err
				}
				if want := keep(all, c.pred); fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
					t.Errorf("got %d docs, want %d", len(got), len(want))
				}
				return nil
			})
		})
	}
}

func TestFirstUniqueTake(t *testing.T) {
	t.Parallel()
	db, all := postsDB(t, 50)
	query(t, db, func(tx *strata.Tx) error {
		first, err := tx.Table("posts").First()
		if err != nil || first.ID() != all[0].ID() {
			t.Errorf("first: %v %v", first.ID(), err)
		}
		last, err := tx.Table("posts").Order(strata.Desc).First()
		if err != nil || last.ID() != all[len(all)-1].ID() {
			t.Errorf("first desc: %v %v", last.ID(), err)
		}
		none, err := tx.Table("posts").Filter(strata.Field("rank").Eq(int64(99))).First()
		if none != nil || err != nil {
			t.Errorf("first of nothing: %v %v", none, err)
		}
		u, err := tx.Table("posts").WithIndex("by_id", strata.Eq("_id", all[3].ID())).Unique()
		if err != nil || u.ID() != all[3].ID() {
			t.Errorf("unique by_id: %v %v", u.ID(), err)
		}
		_, err = tx.Table("posts").Unique()
		if err == nil || !strings.Contains(err.Error(), "more than one") {
			t.Errorf("unique over many: %v", err)
		}
		got, err := tx.Table("posts").Take(7)
		if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(ids(all[:7])) {
			t.Errorf("take 7: %v", err)
		}
		got, err = tx.Table("posts").Take(0)
		if err != nil || len(got) != 0 {
			t.Errorf("take 0: %v %v", got, err)
		}
		got, err = tx.Table("empty").Collect()
		if err != nil || len(got) != 0 {
			t.Errorf("empty table: %v %v", got, err)
		}
		got, err = tx.Table("nothing_here").Collect()
		if !errors.Is(err, strata.ErrUnknownTable) || !strings.Contains(fmt.Sprint(err), "declares empty, other, posts") {
			t.Errorf("undeclared empty table: %v %v, want ErrUnknownTable naming the declared tables", got, err)
		}
		return nil
	})
}

func TestCreationTimeRange(t *testing.T) {
	t.Parallel()
	db, all := postsDB(t, 30)
	mid := all[10].CreationTime()
	query(t, db, func(tx *strata.Tx) error {
		got, err := tx.Table("posts").WithIndex("by_creation_time", strata.Gt("_creationTime", mid)).Collect()
		if err != nil {
			return err
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(ids(all[11:])) {
			t.Errorf("by_creation_time > doc 10: got %d docs", len(got))
		}
		return nil
	})
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	db, _ := postsDB(t, 5)
	cases := []struct {
		name string
		run  func(tx *strata.Tx) error
		want string
	}{
		{"unknown index", func(tx *strata.Tx) error { _, err := tx.Table("posts").WithIndex("by_nothing").Collect(); return err }, `has no index "by_nothing"`},
		{"range skips a field", func(tx *strata.Tx) error {
			_, err := tx.Table("posts").WithIndex("by_status_and_published", strata.Eq("publishedAt", 1.0)).Collect()
			return err
		}, `expected a condition on field "status"`},
		{"two lower bounds", func(tx *strata.Tx) error {
			_, err := tx.Table("posts").WithIndex("by_rank", strata.Gt("rank", int64(1)), strata.Gte("rank", int64(2))).Collect()
			return err
		}, "a second lower bound"},
		{"eq after bound", func(tx *strata.Tx) error {
			_, err := tx.Table("posts").WithIndex("by_status_and_published", strata.Gt("status", "a"), strata.Eq("publishedAt", 1.0)).Collect()
			return err
		}, "equalities must come before bounds"},
		{"bound on wrong field", func(tx *strata.Tx) error {
			_, err := tx.Table("posts").WithIndex("by_status_and_published", strata.Gt("publishedAt", 1.0)).Collect()
			return err
		}, `bounds must be on field "status"`},
		{"unsupported Go type", func(tx *strata.Tx) error {
			_, err := tx.Table("posts").WithIndex("by_rank", strata.Eq("rank", complex(1, 2))).Collect()
			return err
		}, "complex128"},
		{"bad filter value", func(tx *strata.Tx) error {
			_, err := tx.Table("posts").Filter(strata.Field("rank").Eq(func() {})).Collect()
			return err
		}, "filter"},
		{"empty filter path", func(tx *strata.Tx) error {
			_, err := tx.Table("posts").Filter(strata.Field("").Eq(1.0)).Collect()
			return err
		}, "empty field path"},
		{"nil operand", func(tx *strata.Tx) error { _, err := tx.Table("posts").Filter(strata.And(nil)).Collect(); return err }, "nil"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := db.Query(ctx, c.run)
			var qe *strata.QueryError
			if !errors.As(err, &qe) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want a *QueryError containing %q", err, c.want)
			}
		})
	}
}

// TestCount: Count agrees with Collect for whole tables, index ranges,
// filters, by_id and empty tables, across the scan's batch boundary.
func TestCount(t *testing.T) {
	t.Parallel()
	db, all := postsDB(t, 5000)
	cases := []struct {
		name  string
		build func(tx *strata.Tx) *strata.Query
	}{
		{"table", func(tx *strata.Tx) *strata.Query { return tx.Table("posts") }},
		{"index range", func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").WithIndex("by_status_and_published", strata.Eq("status", "published"), strata.Gte("publishedAt", 10.0))
		}},
		{"filter", func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").Filter(strata.Field("rank").Gt(int64(3)))
		}},
		{"by_id", func(tx *strata.Tx) *strata.Query {
			return tx.Table("posts").WithIndex("by_id", strata.Eq("_id", all[17].ID()))
		}},
		{"empty table", func(tx *strata.Tx) *strata.Query { return tx.Table("empty") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query(t, db, func(tx *strata.Tx) error {
				want, err := c.build(tx).Collect()
				if err != nil {
					return err
				}
				got, err := c.build(tx).Count()
				if err != nil {
					return err
				}
				if got != int64(len(want)) {
					t.Errorf("Count = %d, Collect found %d", got, len(want))
				}
				return nil
			})
		})
	}
	query(t, db, func(tx *strata.Tx) error {
		if n, err := tx.Table("posts").Count(); err != nil || n != 5000 {
			t.Errorf("Count of the table = %d %v, want 5000", n, err)
		}
		if _, err := tx.Table("posts").WithIndex("nope").Count(); err == nil {
			t.Error("Count on an unknown index: no error")
		}
		return nil
	})
}
