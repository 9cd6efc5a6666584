package loadbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/internal/pgtest"
)

// BenchmarkOp runs one workload's transactions on one side, one at a
// time (clients=1) or from 64 goroutines (clients=64), and reports the CPU each transaction cost this process
// (client-µs/op) and the PostgreSQL backends of the test's database
// (server-µs/op, read from /proc when the server runs on this machine),
// and the WAL the server wrote meanwhile (WAL-B/op: the whole server's,
// so other work on it counts too).
// ns/op is wall time. With -cpuprofile it shows one side's client cost:
//
//	go test -run '^$' -bench 'Op/read' -cpuprofile cpu.out ./internal/loadbench
func BenchmarkOp(b *testing.B) {
	ctx := context.Background()
	f, err := Open(ctx, pgtest.URL(b), 2_000, 4)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, w := range []struct{ name, workload string }{
		{"read", PointRead}, {"update", UniformUpdate}, {"transfer", Transfer},
	} {
		for _, clients := range []int{1, 64} {
			for _, side := range []string{"strata", "raw"} {
				b.Run(fmt.Sprintf("%s/clients=%d/%s", w.name, clients, side), func(b *testing.B) {
					run, err := f.strataOp(w.workload)
					if side == "raw" {
						run, err = f.rawOp(w.workload)
					}
					if err != nil {
						b.Fatal(err)
					}
					r := rand.New(rand.NewPCG(1, 2))
					// Warm the pools (every connection, so that the server's
					// backends are all counted) and the statement caches.
					var wg sync.WaitGroup
					for g := range clients {
						wg.Go(func() {
							r := rand.New(rand.NewPCG(uint64(g), 1))
							for range max(100/clients, 4) {
								if _, err := run(ctx, r); err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					wg.Wait()
					pids := f.backends(b)
					wal0 := f.walLSN(b)
					server0, client0 := serverCPU(pids), clientCPU()
					b.ReportAllocs()
					b.ResetTimer()
					if clients == 1 {
						for b.Loop() {
							if _, err := run(ctx, r); err != nil {
								b.Fatal(err)
							}
						}
					} else {
						b.SetParallelism(clients / runtime.GOMAXPROCS(0))
						var seed atomic.Uint64
						b.RunParallel(func(pb *testing.PB) {
							r := rand.New(rand.NewPCG(seed.Add(1), 2))
							for pb.Next() {
								if _, err := run(ctx, r); err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					b.StopTimer()
					n := float64(b.N)
					b.ReportMetric(float64((clientCPU()-client0).Microseconds())/n, "client-µs/op")
					if pids != nil && server0 >= 0 {
						b.ReportMetric(float64((serverCPU(pids)-server0).Microseconds())/n, "server-µs/op")
					}
					if wal0 >= 0 {
						if wal := f.walLSN(b); wal >= 0 {
							b.ReportMetric(float64(wal-wal0)/n, "WAL-B/op")
						}
					}
				})
			}
		}
	}
}

// backends returns the process ids of the server backends connected to
// the fixture's database, or nil (logged) if it cannot ask the server:
// the server metric is then left out, the benchmark goes on.
func (f *Fixture) backends(tb testing.TB) []int {
	tb.Helper()
	ctx := context.Background()
	var pids []int
	err := func() error {
		c, err := pgx.Connect(ctx, f.url)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		rows, err := c.Query(ctx,
			`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
		if err != nil {
			return err
		}
		pids, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (int, error) {
			var pid int32
			err := r.Scan(&pid)
			return int(pid), err
		})
		return err
	}()
	if err != nil {
		tb.Logf("no server CPU: listing the backends: %v", err)
		return nil
	}
	return pids
}

// walLSN returns the server's current WAL position in bytes, or -1
// (logged) if it cannot ask.
func (f *Fixture) walLSN(tb testing.TB) int64 {
	tb.Helper()
	var lsn int64
	if err := f.Raw.QueryRow(context.Background(), `SELECT pg_current_wal_lsn() - '0/0'`).Scan(&lsn); err != nil {
		tb.Logf("no WAL metric: %v", err)
		return -1
	}
	return lsn
}

// serverCPU returns the user and system CPU time of processes pids, or
// -1 if /proc does not show one of them (a remote server).
func serverCPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return -1
		}
		// Fields after the command (which may hold spaces) in ")": utime
		// and stime are the 12th and 13th.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		for _, x := range fields[11:13] {
			v, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return -1
			}
			ticks += v
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// clientCPU returns this process's user and system CPU time.
func clientCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
