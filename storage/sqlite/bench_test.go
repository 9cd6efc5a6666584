package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/storage/sqlite"
)

// Benchmarks compare each strata operation with the same operation
// written directly against database/sql on equivalent plain tables in the
// same file (".../raw"). Absolute numbers are noise on shared machines;
// the ratio strata/raw is the figure.

const benchDocs = 10_000

func benchKey(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }

var benchBody = make([]byte, 100)

type benchEnv struct {
	b    *sqlite.Backend
	raw  *sql.DB // writes: one connection, BEGIN IMMEDIATE
	rawR *sql.DB // reads
	path string
}

// rawDSN mirrors what an application using database/sql directly would
// configure: WAL, busy_timeout, the same synchronous setting, BEGIN IMMEDIATE.
func rawDSN(path string) string {
	return path + "?_txlock=immediate&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + benchSync() + ")"
}

// benchSync is the synchronous setting both sides use: FULL (the
// backend's default) unless STRATA_BENCH_SYNC says otherwise.
func benchSync() string {
	if s := os.Getenv("STRATA_BENCH_SYNC"); s != "" {
		return strings.ToUpper(s)
	}
	return "FULL"
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	env := &benchEnv{b: openAt(b, "sqlite:"+path+"?synchronous="+strings.ToLower(benchSync())), path: path}
	var err error
	if env.raw, err = sql.Open("sqlite", rawDSN(path)); err != nil {
		b.Fatal(err)
	}
	env.raw.SetMaxOpenConns(1)
	if env.rawR, err = sql.Open("sqlite", rawDSN(path)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { env.raw.Close(); env.rawR.Close() })
	for _, q := range []string{
		`CREATE TABLE raw_documents (id BLOB PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID`,
		`CREATE TABLE raw_index (key BLOB PRIMARY KEY, id BLOB NOT NULL) WITHOUT ROWID`,
	} {
		if _, err := env.raw.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	tx, err := env.b.Begin(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchDocs {
		k := benchKey(i)
		if err := tx.Put("docs", k, benchBody); err != nil {
			b.Fatal(err)
		}
		if err := tx.PutIndex("docs", "by_key", k, k); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	rtx, err := env.raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchDocs {
		k := benchKey(i)
		if _, err := rtx.Exec(`INSERT INTO raw_documents VALUES (?, ?)`, k, benchBody); err != nil {
			b.Fatal(err)
		}
		if _, err := rtx.Exec(`INSERT INTO raw_index VALUES (?, ?)`, k, k); err != nil {
			b.Fatal(err)
		}
	}
	if err := rtx.Commit(); err != nil {
		b.Fatal(err)
	}
	return env
}

func prepare(b *testing.B, db *sql.DB, q string) *sql.Stmt {
	b.Helper()
	s, err := db.Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkGet(b *testing.B) {
	env := newBenchEnv(b)
	ctx := context.Background()
	b.Run("strata", func(b *testing.B) {
		for b.Loop() {
			tx, err := env.b.Begin(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Get("docs", benchKey(rand.IntN(benchDocs))); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	get := prepare(b, env.rawR, `SELECT body FROM raw_documents WHERE id = ?`)
	b.Run("raw", func(b *testing.B) { // a read transaction, as strata's
		for b.Loop() {
			tx, err := env.rawR.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			var body []byte
			if err := tx.Stmt(get).QueryRow(benchKey(rand.IntN(benchDocs))).Scan(&body); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw_autocommit", func(b *testing.B) { // one statement, no transaction
		for b.Loop() {
			var body []byte
			if err := get.QueryRow(benchKey(rand.IntN(benchDocs))).Scan(&body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPut(b *testing.B) {
	env := newBenchEnv(b)
	ctx := context.Background()
	b.Run("strata", func(b *testing.B) {
		for b.Loop() {
			tx, err := env.b.Begin(ctx, true)
			if err != nil {
				b.Fatal(err)
			}
			if err := tx.Put("docs", benchKey(rand.IntN(benchDocs)), benchBody); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	put := prepare(b, env.raw, `INSERT INTO raw_documents (id, body) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET body = excluded.body`)
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			tx, err := env.raw.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Stmt(put).Exec(benchKey(rand.IntN(benchDocs)), benchBody); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkScan100(b *testing.B) {
	env := newBenchEnv(b)
	ctx := context.Background()
	b.Run("strata", func(b *testing.B) {
		for b.Loop() {
			tx, err := env.b.Begin(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			es, err := tx.Scan(storage.ScanRequest{Table: "docs", Index: "by_key",
				Range: storage.Range{Start: benchKey(rand.IntN(benchDocs - 100))}, Limit: 100})
			if err != nil || len(es) != 100 {
				b.Fatal(len(es), err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	scan := prepare(b, env.rawR, `SELECT e.key, e.id, d.body FROM raw_index e
		LEFT JOIN raw_documents d ON d.id = e.id WHERE e.key >= ? ORDER BY e.key LIMIT 100`)
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			tx, err := env.rawR.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			rows, err := tx.Stmt(scan).Query(benchKey(rand.IntN(benchDocs - 100)))
			if err != nil {
				b.Fatal(err)
			}
			var es []storage.Entry
			for rows.Next() {
				var e storage.Entry
				if err := rows.Scan(&e.Key, &e.ID, &e.Body); err != nil {
					b.Fatal(err)
				}
				es = append(es, e)
			}
			if err := rows.Err(); err != nil || len(es) != 100 {
				b.Fatal(len(es), err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// writer abstracts one way of running a write transaction of n rows.
type writer func(ctx context.Context, first, n int) error

func strataWriter(be storage.Backend) writer {
	return func(ctx context.Context, first, n int) error {
		tx, err := be.Begin(ctx, true)
		if err != nil {
			return err
		}
		for i := range n {
			if err := tx.Put("load", benchKey(first+i), benchBody); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}
}

func rawWriter(db *sql.DB) writer {
	return func(ctx context.Context, first, n int) error {
		tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE via _txlock
		if err != nil {
			return err
		}
		for i := range n {
			if _, err := tx.Exec(`INSERT INTO raw_documents (id, body) VALUES (?, ?)
				ON CONFLICT (id) DO UPDATE SET body = excluded.body`, benchKey(first+i), benchBody); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}
}

// BenchmarkWriteLatencyUnderLoad measures the latency of single-row write
// transactions while another goroutine commits 100-row write transactions
// back to back. "idle" has no background writer; "loaded" runs both
// through strata (FIFO write queue); "raw_loaded" runs both through a
// database/sql pool with BEGIN IMMEDIATE and busy_timeout, where the
// small writer waits in SQLite's busy handler (and may fail with
// SQLITE_BUSY after busy_timeout). Metrics: p50, p99 and max latency in
// ms, the background transactions committed per second, and failed
// transactions.
func BenchmarkWriteLatencyUnderLoad(b *testing.B) {
	env := newBenchEnv(b)
	rawPool, err := sql.Open("sqlite", rawDSN(env.path))
	if err != nil {
		b.Fatal(err)
	}
	rawPool.SetMaxOpenConns(4)
	b.Cleanup(func() { rawPool.Close() })
	cases := []struct {
		name       string
		measured   writer
		background writer
	}{
		{"idle", strataWriter(env.b), nil},
		{"loaded", strataWriter(env.b), strataWriter(env.b)},
		{"raw_idle", rawWriter(rawPool), nil},
		{"raw_loaded", rawWriter(rawPool), rawWriter(rawPool)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var bgTx, bgFailed atomic.Int64
			if c.background != nil {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if err := c.background(ctx, 1_000_000+(i%100)*100, 100); err != nil {
							bgFailed.Add(1) // SQLITE_BUSY after busy_timeout (raw)
							continue
						}
						bgTx.Add(1)
					}
				})
				time.Sleep(50 * time.Millisecond) // let the load start
			}
			lat := make([]time.Duration, 0, b.N)
			failed := 0
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := c.measured(ctx, 2_000_000+i%1000, 1); err != nil {
					// Only the raw pool fails (SQLITE_BUSY after
					// busy_timeout): count it, with its latency.
					if !strings.Contains(err.Error(), "SQLITE_BUSY") {
						b.Fatal(err)
					}
					failed++
				}
				lat = append(lat, time.Since(t0))
			}
			elapsed := time.Since(start)
			b.StopTimer()
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			ms := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.50), "p50_ms")
			b.ReportMetric(ms(0.99), "p99_ms")
			b.ReportMetric(ms(1), "max_ms")
			b.ReportMetric(float64(bgTx.Load())/elapsed.Seconds(), "bg_tx/s")
			b.ReportMetric(float64(failed), "failed")
			b.ReportMetric(float64(bgFailed.Load()), "bg_failed")
		})
	}
}
