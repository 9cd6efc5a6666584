// Package migbench measures strata's migration engine against the raw
// engine underneath it, in the same run: the benchmarks of package
// migrate and `strata bench migrate` share it.
//
// A Fixture holds the same N documents twice: as strata documents in the
// table "docs", and as rows of a plain table "raw_docs" (id primary key,
// creation, name, email, age, bio, score, active, field) written directly
// with database/sql (SQLite: WAL, synchronous=FULL, mmap, like strata's
// defaults) or pgx (PostgreSQL). A backfill sets "field" of every
// document to a value derived from it (age*2 + run): strata with a
// tracked migration (per-document function, TransformWrites on, batches of
// 100), raw with keyset batched UPDATEs of 100 rows, each batch its own
// transaction. The latency comparison runs a steady single-document write
// workload (patch one random document per transaction) with no backfill
// and during one, for both.
package migbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the raw SQLite side

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

// BatchSize is the batch size of both backfills in Backfill.
const BatchSize = 100

// Fixture is a strata database and a raw table holding the same documents.
type Fixture struct {
	Backend string // "sqlite" or "postgres"
	N       int    // documents

	db   *strata.DB
	ids  []strata.ID
	rids []string
	raw  rawEngine
	run  atomic.Int64 // backfill runs so far: each sets a new value
}

// rawEngine is the raw side of a fixture.
type rawEngine interface {
	// backfillBatch sets field = age*2 + run on the (at most) limit rows
	// after id after, in one transaction, and returns the last id. relaxed
	// commits it without waiting for stable storage, as strata commits
	// its migration batches (SQLite synchronous=NORMAL, PostgreSQL
	// synchronous_commit off).
	backfillBatch(ctx context.Context, after string, limit int, run int64, relaxed bool) (last string, n int, err error)
	// patchOne sets score on one row, in one transaction.
	patchOne(ctx context.Context, id string, score float64) error
	close() error
}

var bio = strings.Repeat("schema evolution without downtime ", 3)

func doc(i int) strata.Doc {
	return strata.Doc{
		"name":   fmt.Sprintf("User %06d", i),
		"email":  fmt.Sprintf("user%06d@example.com", i),
		"age":    int64(20 + i%50),
		"bio":    bio,
		"score":  float64(i) / 3,
		"active": i%2 == 0,
	}
}

// OpenSQLite creates a fixture of n documents in dir: strata at
// dir/strata.db with its defaults, raw at dir/raw.db.
func OpenSQLite(ctx context.Context, dir string, n int) (*Fixture, error) {
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "strata.db"))
	if err != nil {
		return nil, fmt.Errorf("migbench: open strata: %w", err)
	}
	raw, err := openSQLiteRaw(filepath.Join(dir, "raw.db"))
	if err != nil {
		db.Close()
		return nil, err
	}
	return load(ctx, "sqlite", db, raw, n)
}

// OpenPostgres creates a fixture of n documents in the (empty) database
// or schema that url names: strata's tables and the raw table side by
// side.
func OpenPostgres(ctx context.Context, url string, n int) (*Fixture, error) {
	db, err := strata.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("migbench: open strata: %w", err)
	}
	raw, err := openPGRaw(ctx, url)
	if err != nil {
		db.Close()
		return nil, err
	}
	return load(ctx, "postgres", db, raw, n)
}

func load(ctx context.Context, backend string, db *strata.DB, raw rawEngine, n int) (*Fixture, error) {
	f := &Fixture{Backend: backend, N: n, db: db, raw: raw}
	for lo := 0; lo < n; lo += 1000 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			f.ids = f.ids[:lo]
			for i := lo; i < min(lo+1000, n); i++ {
				id, err := tx.Insert("docs", doc(i))
				if err != nil {
					return err
				}
				f.ids = append(f.ids, id)
			}
			return nil
		})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("migbench: load strata: %w", err)
		}
	}
	for i := range n {
		f.rids = append(f.rids, fmt.Sprintf("r%08d", i))
	}
	var err error
	switch r := raw.(type) {
	case *sqliteRaw:
		err = r.load(f.rids)
	case *pgRaw:
		err = r.load(ctx, f.rids)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("migbench: load raw: %w", err)
	}
	return f, nil
}

// Close closes both sides.
func (f *Fixture) Close() error {
	return errors.Join(f.raw.close(), f.db.Close())
}

// nextRun returns a new run number: every backfill changes every document.
func (f *Fixture) nextRun() int64 { return f.run.Add(1) }

// migration returns the backfill of run as a tracked migration.
func (f *Fixture) migration(run int64, fixedBatches bool) migrate.Migration {
	mig := migrate.Migration{
		Name:            fmt.Sprintf("backfill_field_%d", run),
		Table:           "docs",
		TransformWrites: true,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			age, _ := d.Int("age")
			want := age*2 + run
			if got, ok := d.Int("field"); ok && got == want {
				return nil, nil
			}
			return strata.Patch{"field": want}, nil
		},
	}
	if fixedBatches {
		mig.BatchSize, mig.TargetBatchDuration = BatchSize, -1
	}
	return mig
}

// StrataBackfill runs one backfill with the migration engine and returns
// its duration. fixedBatches runs batches of BatchSize (as the raw side);
// otherwise the engine's defaults (adaptive batches) apply.
func (f *Fixture) StrataBackfill(ctx context.Context, fixedBatches bool) (time.Duration, error) {
	return f.strataBackfill(ctx, fixedBatches, nil)
}

// strataBackfill is StrataBackfill calling onBatch after every batch.
func (f *Fixture) strataBackfill(ctx context.Context, fixedBatches bool, onBatch func()) (time.Duration, error) {
	run := f.nextRun()
	var opts migrate.Options
	if onBatch != nil {
		opts.OnProgress = func(migrate.Progress) { onBatch() }
	}
	m := migrate.New(f.db, opts)
	mig := f.migration(run, fixedBatches)
	if err := m.Define(mig); err != nil {
		return 0, err
	}
	t0 := time.Now()
	st, err := m.Run(ctx, mig.Name)
	d := time.Since(t0)
	if err != nil {
		return d, fmt.Errorf("migbench: strata backfill: %w", err)
	}
	// Documents the writers patched before the scan reached them were
	// transformed on write: the scan visits them without changing them.
	if st.State != migrate.Completed || st.Processed != int64(f.N) {
		return d, fmt.Errorf("migbench: strata backfill: state %s, visited %d of %d", st.State, st.Processed, f.N)
	}
	return d, nil
}

// RawBackfill runs one backfill with keyset batched UPDATEs of BatchSize
// rows and returns its duration. relaxed commits the batches without
// waiting for stable storage.
func (f *Fixture) RawBackfill(ctx context.Context, relaxed bool) (time.Duration, error) {
	run := f.nextRun()
	t0 := time.Now()
	after, total := "", 0
	for {
		last, n, err := f.raw.backfillBatch(ctx, after, BatchSize, run, relaxed)
		if err != nil {
			return time.Since(t0), fmt.Errorf("migbench: raw backfill: %w", err)
		}
		total += n
		if n < BatchSize {
			break
		}
		after = last
	}
	d := time.Since(t0)
	if total != f.N {
		return d, fmt.Errorf("migbench: raw backfill updated %d rows, want %d", total, f.N)
	}
	return d, nil
}

// BackfillResult compares one strata backfill with one raw backfill.
type BackfillResult struct {
	Backend string        `json:"backend"`
	Docs    int           `json:"docs"`
	Strata  time.Duration `json:"strataNs"`
	Raw     time.Duration `json:"rawNs"`
	// Ratio is Raw/Strata: strata's throughput as a fraction of raw's.
	Ratio float64 `json:"ratio"`
	// RawRelaxed is the raw backfill with its batches committed as
	// strata commits its migration batches, without waiting for stable
	// storage; RatioRelaxed is RawRelaxed/Strata.
	RawRelaxed   time.Duration `json:"rawRelaxedNs"`
	RatioRelaxed float64       `json:"ratioRelaxed"`
}

// Backfill runs a strata backfill and a raw backfill, batches of BatchSize
// on both sides.
func (f *Fixture) Backfill(ctx context.Context) (BackfillResult, error) {
	r := BackfillResult{Backend: f.Backend, Docs: f.N}
	var err error
	if r.Strata, err = f.StrataBackfill(ctx, true); err != nil {
		return r, err
	}
	if r.Raw, err = f.RawBackfill(ctx, false); err != nil {
		return r, err
	}
	if r.RawRelaxed, err = f.RawBackfill(ctx, true); err != nil {
		return r, err
	}
	r.Ratio = ratio(r.Raw, r.Strata)
	r.RatioRelaxed = ratio(r.RawRelaxed, r.Strata)
	return r, nil
}

// Latencies summarizes the transaction latencies of a write workload.
type Latencies struct {
	Writes int           `json:"writes"`
	P50    time.Duration `json:"p50Ns"`
	P99    time.Duration `json:"p99Ns"`
}

func summarize(ds []time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{}
	}
	slices.Sort(ds)
	return Latencies{Writes: len(ds), P50: ds[len(ds)/2], P99: ds[min(len(ds)-1, len(ds)*99/100)]}
}

// LatencyOptions configure Latency.
type LatencyOptions struct {
	// Rate is the write workload's rate, transactions per second (default
	// 100).
	Rate float64
	// Idle is how long the workload runs without a backfill in each
	// round (default 3s).
	Idle time.Duration
	// Rounds is how many times each measurement runs (default 3). The
	// samples of all rounds are pooled: a p99 over a few hundred writes is
	// one of its three slowest and moves with every hiccup of a shared
	// machine.
	Rounds int
	// AfterClaim starts measuring strata's writes during the backfill
	// only once its first batch committed, leaving out the migration's
	// start (the claim transaction, which counts the table).
	AfterClaim bool
}

// LatencyResult compares write latencies without and during a backfill.
type LatencyResult struct {
	Backend        string    `json:"backend"`
	Docs           int       `json:"docs"`
	Rate           float64   `json:"rate"`
	Rounds         int       `json:"rounds"`
	AfterClaim     bool      `json:"afterClaim"`
	StrataIdle     Latencies `json:"strataIdle"`
	StrataBackfill Latencies `json:"strataBackfill"`
	RawIdle        Latencies `json:"rawIdle"`
	RawBackfill    Latencies `json:"rawBackfill"`
	// StrataP99Ratio and RawP99Ratio are the p99 during the backfill over
	// the idle p99.
	StrataP99Ratio float64 `json:"strataP99Ratio"`
	RawP99Ratio    float64 `json:"rawP99Ratio"`
}

// Latency runs the single-document write workload on each side, first
// alone, then during a backfill: strata's migration with its default
// (adaptive) batches, and a naive raw backfill (the keyset batches back to
// back). It does so opts.Rounds times, the four measurements of a round
// one after the other (so that a slow spell of the machine falls on
// neighbouring measurements rather than on one side), and pools each
// measurement's samples. Latency is measured from a transaction's start to
// its commit, retries included.
func (f *Fixture) Latency(ctx context.Context, opts LatencyOptions) (LatencyResult, error) {
	if opts.Rate <= 0 {
		opts.Rate = 100
	}
	if opts.Idle <= 0 {
		opts.Idle = 3 * time.Second
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 3
	}
	r := LatencyResult{Backend: f.Backend, Docs: f.N, Rate: opts.Rate, Rounds: opts.Rounds, AfterClaim: opts.AfterClaim}
	strataWrite := func(ctx context.Context, rng *rand.Rand, i int) error {
		id := f.ids[rng.IntN(len(f.ids))]
		return f.db.Mutation(ctx, func(tx *strata.Tx) error {
			return tx.Patch(id, strata.Patch{"score": float64(i)})
		})
	}
	rawWrite := func(ctx context.Context, rng *rand.Rand, i int) error {
		return f.raw.patchOne(ctx, f.rids[rng.IntN(len(f.rids))], float64(i))
	}
	var strataIdle, strataBF, rawIdle, rawBF []time.Duration
	for range opts.Rounds {
		ds, err := workload(ctx, opts, strataWrite, nil, nil)
		if err != nil {
			return r, fmt.Errorf("migbench: strata idle writes: %w", err)
		}
		strataIdle = append(strataIdle, ds...)
		var ready chan struct{}
		var onBatch func()
		if opts.AfterClaim {
			ready = make(chan struct{})
			var once sync.Once
			onBatch = func() { once.Do(func() { close(ready) }) }
		}
		ds, err = workload(ctx, opts, strataWrite, func(ctx context.Context) error {
			_, err := f.strataBackfill(ctx, false, onBatch)
			return err
		}, ready)
		if err != nil {
			return r, fmt.Errorf("migbench: strata writes during the backfill: %w", err)
		}
		strataBF = append(strataBF, ds...)
		if ds, err = workload(ctx, opts, rawWrite, nil, nil); err != nil {
			return r, fmt.Errorf("migbench: raw idle writes: %w", err)
		}
		rawIdle = append(rawIdle, ds...)
		ds, err = workload(ctx, opts, rawWrite, func(ctx context.Context) error {
			_, err := f.RawBackfill(ctx, false)
			return err
		}, nil)
		if err != nil {
			return r, fmt.Errorf("migbench: raw writes during the backfill: %w", err)
		}
		rawBF = append(rawBF, ds...)
	}
	r.StrataIdle, r.StrataBackfill = summarize(strataIdle), summarize(strataBF)
	r.RawIdle, r.RawBackfill = summarize(rawIdle), summarize(rawBF)
	r.StrataP99Ratio = ratio(r.StrataBackfill.P99, r.StrataIdle.P99)
	r.RawP99Ratio = ratio(r.RawBackfill.P99, r.RawIdle.P99)
	return r, nil
}

// ratio is a/b, or 0 when either is unknown (no writes measured).
func ratio(a, b time.Duration) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a.Seconds() / b.Seconds()
}

// workload runs write at opts.Rate, one transaction at a time, for
// opts.Idle, or, when background is set, for as long as background runs,
// and returns the latencies. If ready is not nil, writes start once it is
// closed (or background ended).
func workload(ctx context.Context, opts LatencyOptions, write func(context.Context, *rand.Rand, int) error, background func(context.Context) error, ready <-chan struct{}) ([]time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bgDone := make(chan error, 1)
	if background == nil {
		time.AfterFunc(opts.Idle, func() { bgDone <- nil })
	} else {
		go func() { bgDone <- background(ctx) }()
	}
	if ready != nil {
		select {
		case <-ready:
		case err := <-bgDone:
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	interval := time.Duration(float64(time.Second) / opts.Rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lat []time.Duration
	for i := 0; ; i++ {
		select {
		case err := <-bgDone:
			return lat, err
		case <-tick.C:
		}
		t0 := time.Now()
		if err := write(ctx, rng, i); err != nil {
			cancel()
			return lat, errors.Join(err, <-bgDone)
		}
		lat = append(lat, time.Since(t0))
	}
}

// sqliteRaw is the raw SQLite side: a writer for the backfill and one for
// the single-document writes, each a connection of its own (two clients
// of one database file), with the pragmas strata's SQLite backend uses.
type sqliteRaw struct {
	bf, w     *sql.DB
	bfRelaxed *sql.DB // as bf, with synchronous=NORMAL
}

func openSQLiteRaw(path string) (*sqliteRaw, error) {
	open := func(sync string) (*sql.DB, error) {
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=busy_timeout(10000)&_pragma=mmap_size(268435456)&_pragma=cache_size(-65536)&_txlock=immediate"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("migbench: open raw sqlite: %w", err)
		}
		db.SetMaxOpenConns(1)
		return db, nil
	}
	bf, err := open("FULL")
	if err != nil {
		return nil, err
	}
	w, err := open("FULL")
	if err != nil {
		bf.Close()
		return nil, err
	}
	bfRelaxed, err := open("NORMAL")
	if err != nil {
		bf.Close()
		w.Close()
		return nil, err
	}
	r := &sqliteRaw{bf: bf, w: w, bfRelaxed: bfRelaxed}
	_, err = bf.Exec(`CREATE TABLE IF NOT EXISTS raw_docs (id TEXT PRIMARY KEY, creation REAL NOT NULL, name TEXT,
  email TEXT, age INTEGER, bio TEXT, score REAL, active INTEGER, field INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS raw_docs_creation ON raw_docs(creation);`)
	if err != nil {
		r.close()
		return nil, fmt.Errorf("migbench: create raw table: %w", err)
	}
	return r, nil
}

func (r *sqliteRaw) load(ids []string) error {
	for lo := 0; lo < len(ids); lo += 1000 {
		tx, err := r.bf.Begin()
		if err != nil {
			return err
		}
		for i := lo; i < min(lo+1000, len(ids)); i++ {
			d := doc(i)
			if _, err := tx.Exec("INSERT INTO raw_docs (id, creation, name, email, age, bio, score, active) VALUES (?,?,?,?,?,?,?,?)",
				ids[i], float64(i), d["name"], d["email"], d["age"], d["bio"], d["score"], d["active"]); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func (r *sqliteRaw) backfillBatch(ctx context.Context, after string, limit int, run int64, relaxed bool) (string, int, error) {
	db := r.bf
	if relaxed {
		db = r.bfRelaxed
	}
	rows, err := db.QueryContext(ctx, `UPDATE raw_docs SET field = age*2 + ?
WHERE id IN (SELECT id FROM raw_docs WHERE id > ? ORDER BY id LIMIT ?) RETURNING id`, run, after, limit)
	if err != nil {
		return "", 0, err
	}
	return lastID(rows)
}

func lastID(rows *sql.Rows) (string, int, error) {
	defer rows.Close()
	last, n := "", 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", 0, err
		}
		n++
		last = max(last, id)
	}
	return last, n, rows.Err()
}

func (r *sqliteRaw) patchOne(ctx context.Context, id string, score float64) error {
	_, err := r.w.ExecContext(ctx, "UPDATE raw_docs SET score = ? WHERE id = ?", score, id)
	return err
}

func (r *sqliteRaw) close() error {
	return errors.Join(r.bf.Close(), r.w.Close(), r.bfRelaxed.Close())
}

// pgRaw is the raw PostgreSQL side: a pool, SERIALIZABLE transactions as
// strata's.
type pgRaw struct{ pool *pgxpool.Pool }

func openPGRaw(ctx context.Context, url string) (*pgRaw, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("migbench: open raw postgres: %w", err)
	}
	_, err = pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS raw_docs (id text PRIMARY KEY, creation double precision NOT NULL,
  name text, email text, age bigint, bio text, score double precision, active boolean, field bigint);
CREATE INDEX IF NOT EXISTS raw_docs_creation ON raw_docs (creation);`)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("migbench: create raw table: %w", err)
	}
	return &pgRaw{pool: pool}, nil
}

func (r *pgRaw) load(ctx context.Context, ids []string) error {
	rows := make([][]any, len(ids))
	for i := range ids {
		d := doc(i)
		rows[i] = []any{ids[i], float64(i), d["name"], d["email"], d["age"], d["bio"], d["score"], d["active"]}
	}
	_, err := r.pool.CopyFrom(ctx, pgx.Identifier{"raw_docs"}, []string{"id", "creation", "name", "email", "age", "bio", "score", "active"}, pgx.CopyFromRows(rows))
	if err != nil {
		return err
	}
	_, err = r.pool.Exec(ctx, "VACUUM ANALYZE raw_docs")
	return err
}

var serializable = pgx.TxOptions{IsoLevel: pgx.Serializable}

// inTx runs fn in a SERIALIZABLE transaction, retrying serialization
// failures and deadlocks as strata does.
func (r *pgRaw) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, r.pool, serializable, fn)
		var pe *pgconn.PgError
		if attempt < 100 && errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
			continue
		}
		return err
	}
}

func (r *pgRaw) backfillBatch(ctx context.Context, after string, limit int, run int64, relaxed bool) (last string, n int, err error) {
	err = r.inTx(ctx, func(tx pgx.Tx) error {
		if relaxed {
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `UPDATE raw_docs SET field = age*2 + $1
WHERE id IN (SELECT id FROM raw_docs WHERE id > $2 ORDER BY id LIMIT $3) RETURNING id`, run, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		last, n = "", 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			n++
			last = max(last, id)
		}
		return rows.Err()
	})
	return last, n, err
}

func (r *pgRaw) patchOne(ctx context.Context, id string, score float64) error {
	return r.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE raw_docs SET score = $1 WHERE id = $2", score, id)
		return err
	})
}

func (r *pgRaw) close() error { r.pool.Close(); return nil }
