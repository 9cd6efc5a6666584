package server_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/server"
)

// TestMetricsTransactions: on PostgreSQL, two mutations forced to
// conflict (each reads the document, waits for the other to read it, then
// patches it) raise strata_transaction_conflicts_total and
// strata_transaction_retries_total by one in /metrics, and every commit
// is in the write latency histogram.
func TestMetricsTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := strata.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := server.New(server.Config{DB: db, Functions: testApp(t), AdminKey: testAdminKey})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	scrape := func() map[string]float64 {
		status, text := do(t, "GET", ts.URL+"/metrics", "", "")
		if status != 200 {
			t.Fatalf("/metrics: %d %s", status, text)
		}
		out := map[string]float64{}
		for _, name := range []string{"commits_total", "conflicts_total", "retries_total", "gave_up_total"} {
			out[name] = metricValue(t, text, `strata_transaction_`+name+`{backend="postgres"}`)
		}
		out["latency_count"] = metricValue(t, text, `strata_write_transaction_duration_seconds_count{backend="postgres"}`)
		out["latency_inf"] = metricValue(t, text, `strata_write_transaction_duration_seconds_bucket{backend="postgres",le="+Inf"}`)
		return out
	}
	before := scrape()

	var id strata.ID
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		var err error
		id, err = tx.Insert("counters", strata.Doc{"n": int64(0)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var both, wg sync.WaitGroup
	both.Add(2)
	var first [2]atomic.Bool
	errs := make([]error, 2)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = db.Mutation(ctx, func(tx *strata.Tx) error {
				d, err := tx.Get(id)
				if err != nil {
					return err
				}
				if first[g].CompareAndSwap(false, true) {
					both.Done()
					both.Wait()
				}
				n, _ := d.Int("n")
				return tx.Patch(id, strata.Patch{"n": n + 1})
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	after := scrape()
	for name, want := range map[string]float64{"commits_total": 3, "conflicts_total": 1, "retries_total": 1, "gave_up_total": 0, "latency_count": 3, "latency_inf": 3} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s rose by %v, want %v", name, got, want)
		}
	}
}

// metricValue returns the value of the sample line that starts with
// series in Prometheus's text format.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("/metrics lacks %s", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
