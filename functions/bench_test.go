package functions_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
)

// BenchmarkScheduledThroughput measures how many trivial scheduled
// mutations a worker (Concurrency 4) completes per second: b.N jobs are
// scheduled first, then the clock runs until the last one has committed.
// Each job is one write transaction that reads the job, runs the handler
// (no writes) and records success.
func BenchmarkScheduledThroughput(b *testing.B) {
	for _, be := range []backend{sqliteBackend, sqliteFull, postgresBackend} {
		b.Run(string(be), func(b *testing.B) {
			db, _ := openDB(b, be)
			app := functions.NewApp()
			var done atomic.Int64
			all := make(chan struct{})
			n := int64(b.N)
			app.InternalMutation("bench:noop", functions.Def{
				Handler: func(ctx *functions.Ctx, _ strata.Doc) (any, error) {
					ctx.Tx.OnCommit(func() {
						if done.Add(1) == n {
							close(all)
						}
					})
					return nil, nil
				},
			})
			for i := 0; i < b.N; i += 1000 {
				mutate(b, db, func(tx *strata.Tx) error {
					for j := i; j < min(i+1000, b.N); j++ {
						if _, err := app.Scheduler(tx).RunAfter(0, "bench:noop", nil); err != nil {
							return err
						}
					}
					return nil
				})
			}
			b.ResetTimer()
			start := time.Now()
			startWorker(b, app, db, functions.WorkerOptions{})
			<-all
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
		})
	}
}

// BenchmarkRunAfterDelay measures the delay from the commit of a
// transaction that calls RunAfter(0, ...) to the start of the job's
// handler in a worker of the same process (woken on commit, no busy
// polling). One job at a time; reports p50 and p99 in milliseconds.
func BenchmarkRunAfterDelay(b *testing.B) {
	for _, be := range []backend{sqliteBackend, sqliteFull, postgresBackend} {
		b.Run(string(be), func(b *testing.B) {
			db, _ := openDB(b, be)
			app := functions.NewApp()
			started := make(chan time.Time, 1)
			finished := make(chan struct{}, 1)
			app.InternalMutation("bench:start", functions.Def{
				Handler: func(ctx *functions.Ctx, _ strata.Doc) (any, error) {
					select {
					case started <- time.Now():
					default:
					}
					ctx.Tx.OnCommit(func() { finished <- struct{}{} })
					return nil, nil
				},
			})
			startWorker(b, app, db, functions.WorkerOptions{})
			delays := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				var committed time.Time
				err := db.Mutation(context.Background(), func(tx *strata.Tx) error {
					tx.OnCommit(func() { committed = time.Now() }) // runs before the scheduler's wake-up
					_, err := app.Scheduler(tx).RunAfter(0, "bench:start", nil)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				s := <-started
				<-finished
				delays = append(delays, s.Sub(committed))
			}
			b.StopTimer()
			slices.Sort(delays)
			q := func(p float64) float64 {
				return float64(delays[int(p*float64(len(delays)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
		})
	}
}
