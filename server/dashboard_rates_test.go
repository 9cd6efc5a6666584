package server

import (
	"math"
	"testing"
	"time"

	"github.com/strata-db/strata/migrate"
)

// TestMigrationRate feeds a stream's rate estimate a sequence of
// statuses: it averages over the recent batches, falls back to the run's
// average before it has two, and is 0 when the migration is not running.
func TestMigrationRate(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	st := func(state migrate.State, updated float64, processed, total int64) migrate.Status {
		return migrate.Status{Name: "m", State: state, StartedAt: t0, UpdatedAt: at(updated), Processed: processed, Total: total}
	}
	for _, c := range []struct {
		name     string
		seq      []migrate.Status
		rate     float64 // of the last status
		eta      float64
		fraction float64
	}{
		{"first sample: the run's average", []migrate.Status{st(migrate.Running, 2, 100, 1000)}, 50, 18, 0.1},
		{"two batches: their rate", []migrate.Status{st(migrate.Running, 2, 100, 1000), st(migrate.Running, 3, 400, 1000)}, 300, 2, 0.4},
		{"same batch seen twice", []migrate.Status{st(migrate.Running, 2, 100, 1000), st(migrate.Running, 2, 100, 1000)}, 50, 18, 0.1},
		{"old samples leave the window", []migrate.Status{st(migrate.Running, 1, 500, 2000), st(migrate.Running, 2, 600, 2000), st(migrate.Running, 9, 700, 2000), st(migrate.Running, 10, 1700, 2000)}, 1000, 0.3, 0.85},
		{"paused: no rate", []migrate.Status{st(migrate.Running, 2, 100, 1000), st(migrate.Paused, 3, 400, 1000)}, 0, 0, 0.4},
		{"ready: done", []migrate.Status{st(migrate.Running, 2, 100, 1000), st(migrate.Ready, 3, 1200, 1000)}, 0, 0, 1},
		{"processed past the total", []migrate.Status{st(migrate.Running, 2, 1500, 1000)}, 750, 0, 1},
		{"no total yet", []migrate.Status{st(migrate.Running, 2, 0, 0)}, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := &rates{seen: map[string][]sample{}}
			var p migrationProgress
			for _, s := range c.seq {
				p = progressOf(s, rs.rate(s))
			}
			near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
			if !near(p.Rate, c.rate) || !near(p.ETASeconds, c.eta) || !near(p.Fraction, c.fraction) {
				t.Fatalf("rate %v, ETA %v s, fraction %v; want %v, %v, %v", p.Rate, p.ETASeconds, p.Fraction, c.rate, c.eta, c.fraction)
			}
		})
	}
}
