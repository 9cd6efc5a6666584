package postgres

import (
	"context"
	"math"
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
)

// reserve reserves n creation times of table in a transaction of b,
// seeding the clock if the table has none yet.
func reserve(tb testing.TB, b *Backend, table string, atLeast float64, n int) float64 {
	tb.Helper()
	st, err := b.Begin(context.Background(), true)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Rollback()
	c := st.(*tx)
	first, ok, err := c.ReserveCreationTimes(table, atLeast, n, false)
	if err == nil && !ok {
		first, ok, err = c.ReserveCreationTimes(table, atLeast, n, true)
	}
	if err != nil || !ok {
		tb.Fatalf("reserve %d at least %v: %v, %v", n, atLeast, ok, err)
	}
	return first
}

// TestClockWindows: a Backend serves creation times from a window it
// reserved once, not with a statement per request; every time is at
// least what was asked, strictly above the one before, and two Backends
// on one database never hand out the same time.
func TestClockWindows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	a, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	const at = 1.8e12 // a fixed wall clock, so that no window runs out by time
	seen := map[float64]string{}
	var lastA, lastB float64
	for i := range 1000 {
		n := 1 + i%3
		for _, s := range []struct {
			name string
			b    *Backend
			last *float64
		}{{"a", a, &lastA}, {"b", b, &lastB}} {
			first := reserve(t, s.b, "t", at, n)
			if first < at || first <= *s.last {
				t.Fatalf("backend %s, request %d: %v, want at least %v and above %v", s.name, i, first, at, *s.last)
			}
			v := first
			for range n {
				if other, dup := seen[v]; dup {
					t.Fatalf("backend %s handed out %v, which backend %s had", s.name, v, other)
				}
				seen[v] = s.name
				*s.last = v
				v = math.Nextafter(v, math.Inf(1))
			}
		}
	}
	// 1000 requests of up to 3 times fit one window of 50 ms at 1.8e12
	// (204,800 float64 steps); the first request of a table finds no clock
	// row and seeds it.
	if got := a.windows.Load(); got > 2 {
		t.Errorf("backend a reserved %d windows for 1000 requests, want at most 2", got)
	}
	// A request above the window gets a new one, at or above what it asks.
	later := at + 60_000
	if first := reserve(t, a, "t", later, 1); first < later {
		t.Errorf("request at least %v got %v", later, first)
	}
	if got := a.windows.Load(); got > 3 {
		t.Errorf("backend a reserved %d windows, want at most 3", got)
	}
}
