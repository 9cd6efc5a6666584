package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/server"
	"github.com/strata-db/strata/v"
)

// BenchmarkDashboardLargeTable measures the admin requests the dashboard's
// pages make on a table of $STRATA_DASHBOARD_BENCH_DOCS documents
// (default 1,000,000; SQLite): the tables list, the first page, a page
// deep in the table through its cursor, an index range, the health
// summary. Each sub-benchmark's "baseline" twin reads the same data in
// process with the strata API (the strongest hand-written way), so the
// ratio of the two is the cost of the HTTP API.
//
//	go test ./server -run '^$' -bench DashboardLargeTable -benchtime 20x
func BenchmarkDashboardLargeTable(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("STRATA_DASHBOARD_BENCH_DOCS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "big.db")+"?synchronous=off")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "age": v.Number()}).Index("by_age", "age"))
	if err != nil {
		b.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 10000 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := start; i < min(n, start+10000); i++ {
				if _, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("user%07d", i), "age": float64(i % 100)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	srv, err := server.New(server.Config{DB: db, AdminKey: testAdminKey})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	// A cursor half-way through the table, in _id order.
	var deep string
	for i := 0; i < n/2/1000; i++ {
		err = db.Query(ctx, func(tx *strata.Tx) error {
			p, err := tx.Table("users").Paginate(1000, deep)
			deep = p.ContinueCursor
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	get := func(b *testing.B, path string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Convex "+testAdminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out map[string]any
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
	}
	page := func(cursor string, index string, rng ...strata.RangeExpr) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				err := db.Query(ctx, func(tx *strata.Tx) error {
					q := tx.Table("users")
					if index != "" {
						q = q.WithIndex(index, rng...)
					}
					_, err := q.Paginate(50, cursor)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	serve := func(path string) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				get(b, path)
			}
		}
	}
	b.Run("tables", serve("/api/admin/tables"))
	b.Run("tables-baseline", func(b *testing.B) {
		for b.Loop() {
			err := db.Query(ctx, func(tx *strata.Tx) error {
				_, err := tx.Table("users").Count()
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first-page", serve("/api/admin/tables/users/documents?limit=50"))
	b.Run("first-page-baseline", page("", ""))
	b.Run("deep-page", serve("/api/admin/tables/users/documents?limit=50&cursor="+url.QueryEscape(deep)))
	b.Run("deep-page-baseline", page(deep, ""))
	rng := `[["gte","age",42],["lt","age",43]]`
	b.Run("index-range", serve("/api/admin/tables/users/documents?limit=50&index=by_age&range="+url.QueryEscape(rng)))
	b.Run("index-range-baseline", page("", "by_age", strata.Gte("age", 42.0), strata.Lt("age", 43.0)))
	b.Run("health", serve("/api/admin/dashboard/health"))
}
