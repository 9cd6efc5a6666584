package migrate_test

import (
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/migbench"
	"github.com/strata-db/strata/internal/pgtest"
)

// The benchmarks compare the migration engine with the raw engine
// underneath it in the same run (internal/migbench): a backfill of one
// field over a 100,000-document table (10,000 with -short), and the
// latency of a steady single-document write workload during a backfill
// versus with none. The ratios are the figures:
//
//	go test -run '^$' -bench . -benchtime 1x ./migrate
//
// BenchmarkBackfill reports raw/strata, strata's throughput as a fraction
// of raw's (targets: ≥ 0.6 on SQLite, ≥ 0.5 on PostgreSQL);
// BenchmarkWriteLatencyDuringBackfill reports the write p99 during the
// backfill over the idle p99, for strata (target ≤ 3) and for a naive raw
// backfill.

func benchDocs() int {
	if testing.Short() {
		return 10_000
	}
	return 100_000
}

var (
	benchMu       sync.Mutex
	benchFixtures = map[string]*migbench.Fixture{}
)

// benchFixture returns the fixture of backend, built on first use and
// shared by the benchmarks (every backfill sets a new value, so each run
// changes every document).
func benchFixture(b *testing.B, backend string) *migbench.Fixture {
	b.Helper()
	var url string
	if backend == "postgres" {
		url = pgtest.PackageURL(b) // skips when no server is available
	}
	benchMu.Lock()
	defer benchMu.Unlock()
	if f := benchFixtures[backend]; f != nil {
		return f
	}
	var f *migbench.Fixture
	var err error
	switch backend {
	case "sqlite":
		dir, derr := pgtest.SharedDir("migbench")
		if derr != nil {
			b.Fatal(derr)
		}
		f, err = migbench.OpenSQLite(ctx, dir, benchDocs())
	case "postgres":
		f, err = migbench.OpenPostgres(ctx, url, benchDocs())
	}
	if err != nil {
		b.Fatalf("fixture: %v", err)
	}
	benchFixtures[backend] = f
	return f
}

func eachBenchBackend(b *testing.B, fn func(b *testing.B, f *migbench.Fixture)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) { fn(b, benchFixture(b, backend)) })
	}
}

// BenchmarkBackfill: one op is a strata backfill and a raw keyset-batched
// backfill of the same field, batches of 100 on both sides; raw runs
// twice, committing with the engine's default durability (raw/strata,
// the figure the targets are for) and without waiting for stable storage
// as strata commits its batches (raw-relaxed/strata).
func BenchmarkBackfill(b *testing.B) {
	eachBenchBackend(b, func(b *testing.B, f *migbench.Fixture) {
		var strata, raw, relaxed time.Duration
		for b.Loop() {
			r, err := f.Backfill(ctx)
			if err != nil {
				b.Fatal(err)
			}
			strata += r.Strata
			raw += r.Raw
			relaxed += r.RawRelaxed
		}
		n := float64(b.N)
		b.ReportMetric(strata.Seconds()/n, "strata-s/op")
		b.ReportMetric(raw.Seconds()/n, "raw-s/op")
		b.ReportMetric(float64(f.N)*n/strata.Seconds(), "strata-docs/s")
		b.ReportMetric(float64(f.N)*n/raw.Seconds(), "raw-docs/s")
		b.ReportMetric(raw.Seconds()/strata.Seconds(), "raw/strata")
		b.ReportMetric(relaxed.Seconds()/strata.Seconds(), "raw-relaxed/strata")
	})
}

// BenchmarkWriteLatencyDuringBackfill: one op is three rounds of the write
// workload (100 single-document patches a second) alone and during a
// backfill, for strata and for raw, each measurement's samples pooled over
// the rounds; the figures are the last op's. The writes run from the migration's start
// (from-start), or from its first committed batch (after-claim: the
// migration's start, which counts the table, is left out).
func BenchmarkWriteLatencyDuringBackfill(b *testing.B) {
	eachBenchBackend(b, func(b *testing.B, f *migbench.Fixture) {
		for _, afterClaim := range []bool{false, true} {
			name := "from-start"
			if afterClaim {
				name = "after-claim"
			}
			b.Run(name, func(b *testing.B) { benchLatency(b, f, afterClaim) })
		}
	})
}

func benchLatency(b *testing.B, f *migbench.Fixture, afterClaim bool) {
	var last migbench.LatencyResult
	for b.Loop() {
		r, err := f.Latency(ctx, migbench.LatencyOptions{AfterClaim: afterClaim})
		if err != nil {
			b.Fatal(err)
		}
		last = r
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(last.StrataIdle.P50), "strata-idle-p50-ms")
	b.ReportMetric(ms(last.StrataIdle.P99), "strata-idle-p99-ms")
	b.ReportMetric(ms(last.StrataBackfill.P50), "strata-bf-p50-ms")
	b.ReportMetric(ms(last.StrataBackfill.P99), "strata-bf-p99-ms")
	b.ReportMetric(last.StrataP99Ratio, "strata-p99-bf/idle")
	b.ReportMetric(ms(last.RawIdle.P50), "raw-idle-p50-ms")
	b.ReportMetric(ms(last.RawIdle.P99), "raw-idle-p99-ms")
	b.ReportMetric(ms(last.RawBackfill.P50), "raw-bf-p50-ms")
	b.ReportMetric(ms(last.RawBackfill.P99), "raw-bf-p99-ms")
	b.ReportMetric(last.RawP99Ratio, "raw-p99-bf/idle")
}
