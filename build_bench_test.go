package strata_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
)

// BenchmarkWriteLatencyDuringIndexBuild: the latency of small write
// transactions (100 single-document patches a second of the table being
// indexed) while an online index build of a 100,000-document table runs
// (10,000 with -short), against the same writes on the idle database in
// the same run. One op is three rounds of: the writes alone for 2 s, then
// the writes for as long as a push that adds an index (Wait) runs; the
// samples of each measurement are pooled over the rounds. The figure is
// p99-build/idle (target ≤ 3):
//
//	go test -run '^$' -bench WriteLatencyDuringIndexBuild -benchtime 1x .
func BenchmarkWriteLatencyDuringIndexBuild(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			f := buildBenchFixture(b, backend)
			var idle, during []time.Duration
			var build time.Duration
			builds := 0
			f.batches = 0
			for b.Loop() {
				idle, during, build, builds, f.batches = nil, nil, 0, 0, 0
				for range 3 {
					ds, _, err := writeWorkload(f, nil)
					if err != nil {
						b.Fatal(err)
					}
					idle = append(idle, ds...)
					ds, took, err := writeWorkload(f, f.build)
					if err != nil {
						b.Fatal(err)
					}
					during = append(during, ds...)
					build += took
					builds++
				}
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			ip50, ip99 := percentiles(idle)
			bp50, bp99 := percentiles(during)
			b.ReportMetric(ms(ip50), "idle-p50-ms")
			b.ReportMetric(ms(ip99), "idle-p99-ms")
			b.ReportMetric(ms(bp50), "build-p50-ms")
			b.ReportMetric(ms(bp99), "build-p99-ms")
			b.ReportMetric(bp99.Seconds()/ip99.Seconds(), "p99-build/idle")
			b.ReportMetric(build.Seconds()/float64(builds), "build-s")
			b.ReportMetric(float64(len(f.ids)*builds)/float64(max(f.batches, 1)), "docs/batch")
		})
	}
}

type buildBench struct {
	db            *strata.DB
	ids           []strata.ID
	plain, withIx *strata.Schema
	batches       int // batches of the builds measured (progress reports)
}

var (
	buildBenchMu       sync.Mutex
	buildBenchFixtures = map[string]*buildBench{}
)

func buildBenchRows() int {
	if testing.Short() {
		return 10_000
	}
	return benchRows
}

// buildBenchFixture returns the fixture of backend, made on first use: a
// users table (benchDoc) without index.
func buildBenchFixture(b *testing.B, backend string) *buildBench {
	b.Helper()
	var url string
	switch backend {
	case "sqlite":
		url = "sqlite:" + filepath.Join(b.TempDir(), "build.db")
	case "postgres":
		base := pgtest.PackageURL(b) // skips when no server is available
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS buildbench CASCADE; CREATE SCHEMA buildbench"); err != nil {
			b.Fatal(err)
		}
		url = pgtest.WithParam(base, "search_path", "buildbench")
	}
	buildBenchMu.Lock()
	defer buildBenchMu.Unlock()
	if f := buildBenchFixtures[backend]; f != nil {
		return f
	}
	db, err := strata.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	f := &buildBench{db: db}
	f.plain, _ = strata.NewSchema(strata.Table("users", pushFields()))
	f.withIx, _ = strata.NewSchema(strata.Table("users", pushFields()).Index("by_email", "email"))
	if _, err := db.Push(ctx, f.plain, strata.PushOptions{}); err != nil {
		b.Fatal(err)
	}
	n := buildBenchRows()
	for lo := 0; lo < n; lo += 1000 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < min(lo+1000, n); i++ {
				id, err := tx.Insert("users", benchDoc(i))
				if err != nil {
					return err
				}
				f.ids = append(f.ids, id)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	buildBenchFixtures[backend] = f
	return f
}

// build drops the index (if built before) and builds it again, returning
// once it is ready.
func (f *buildBench) build(ctx context.Context) error {
	if _, err := f.db.Push(ctx, f.plain, strata.PushOptions{}); err != nil {
		return err
	}
	res, err := f.db.Push(ctx, f.withIx, strata.PushOptions{Wait: true, Progress: func(strata.Progress) { f.batches++ }})
	if err != nil {
		return err
	}
	if len(res.Builds) != 1 || res.Builds[0].Processed != int64(len(f.ids)) {
		return fmt.Errorf("builds %+v", res.Builds)
	}
	return nil
}

// writeWorkload patches one random document 100 times a second, one
// transaction at a time, for 2 s, or, if background is set, for as long
// as it runs; it returns the write latencies and how long background ran.
func writeWorkload(f *buildBench, background func(context.Context) error) ([]time.Duration, time.Duration, error) {
	done := make(chan error, 1)
	t0 := time.Now()
	if background == nil {
		time.AfterFunc(2*time.Second, func() { done <- nil })
	} else {
		go func() { done <- background(ctx) }()
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var lat []time.Duration
	for i := 0; ; i++ {
		select {
		case err := <-done:
			return lat, time.Since(t0), err
		case <-tick.C:
		}
		id := f.ids[rng.IntN(len(f.ids))]
		w0 := time.Now()
		err := f.db.Mutation(ctx, func(tx *strata.Tx) error {
			return tx.Patch(id, strata.Patch{"score": float64(i)})
		})
		if err != nil {
			return lat, time.Since(t0), fmt.Errorf("write: %w (background: %v)", err, <-done)
		}
		lat = append(lat, time.Since(w0))
	}
}

// percentiles returns the p50 and p99 of ds (sorting it).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
}
