package migbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// The schema-change benchmark (`strata bench schema`): the wall time of
// start+complete of each declarative operation on tables of several
// sizes, the cost of reading records of an older shape against
// materialized ones, the compactor's rate against the rewriting path's
// for the same change, and write latency while it compacts.

// SchemaOps are the migrations the benchmark runs on each table, in
// order: each is one operation kind the issue names.
var SchemaOps = []struct{ Kind, File string }{
	{"add_field", `{"name":"%s_add","operations":[{"add_field":{"table":"%s","field":"tier","type":"string","default":"free"}}]}`},
	{"rename_field", `{"name":"%s_rename","operations":[{"rename_field":{"table":"%s","from":"name","to":"fullName"}}]}`},
	{"change_type", `{"name":"%s_type","operations":[{"change_type":{"table":"%s","from":"plan","to":"planLevel","type":"int64","map":[["free",1],["pro",2]]}}]}`},
	{"remove_field", `{"name":"%s_remove","operations":[{"remove_field":{"table":"%s","field":"bio"}}]}`},
}

// SchemaFor returns the schema of the benchmark's tables.
func SchemaFor(tables ...string) (*strata.Schema, error) {
	var ts []*schema.Table
	for _, name := range tables {
		ts = append(ts, strata.Table(name, v.Object{
			"name": v.String(), "email": v.String(), "age": v.Int64(), "bio": v.String(),
			"score": v.Number(), "active": v.Boolean(),
			"plan": v.Union(v.Literal("free"), v.Literal("pro")),
		}).Index("by_age", "age"))
	}
	return strata.NewSchema(ts...)
}

func schemaDoc(i int) strata.Doc {
	d := doc(i)
	d["plan"] = "free"
	if i%3 == 0 {
		d["plan"] = "pro"
	}
	return d
}

// StepTime is the wall time of one migration's start and complete.
type StepTime struct {
	Docs     int           `json:"docs"`
	Kind     string        `json:"kind"`
	Start    time.Duration `json:"start"`
	Complete time.Duration `json:"complete"`
	Instant  bool          `json:"instant"`
}

// Total is start + complete.
func (s StepTime) Total() time.Duration { return s.Start + s.Complete }

// LoadTable inserts n documents into table (of the schema SchemaFor
// returns), 1,000 per transaction, reporting to progress.
func LoadTable(ctx context.Context, db *strata.DB, table string, n int, progress io.Writer) ([]strata.ID, error) {
	ids := make([]strata.ID, 0, n)
	t0 := time.Now()
	for lo := 0; lo < n; lo += 1000 {
		var batch []strata.ID
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			batch = batch[:0]
			for i := lo; i < min(lo+1000, n); i++ {
				id, err := tx.Insert(table, schemaDoc(i))
				if err != nil {
					return err
				}
				batch = append(batch, id)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("migbench: load %s: %w", table, err)
		}
		ids = append(ids, batch...)
		if progress != nil && lo > 0 && lo%100_000 == 0 {
			fmt.Fprintf(progress, "  %d documents (%.0f/s)\n", lo, float64(lo)/time.Since(t0).Seconds())
		}
	}
	return ids, nil
}

// RunSteps runs every migration of SchemaOps on table (start, then
// complete) and times each; with rewrite, on the rewriting path.
func RunSteps(ctx context.Context, db *strata.DB, table string, n int, rewrite bool) ([]StepTime, error) {
	m := migrate.New(db, migrate.Options{Rewrite: rewrite})
	var out []StepTime
	for _, o := range SchemaOps {
		f, err := op.ParseFile(fmt.Appendf(nil, o.File, table, table))
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		st, err := m.Start(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("migbench: %s start: %w", o.Kind, err)
		}
		t1 := time.Now()
		if _, err := m.Complete(ctx, f.Name); err != nil {
			return nil, fmt.Errorf("migbench: %s complete: %w", o.Kind, err)
		}
		out = append(out, StepTime{Docs: n, Kind: o.Kind, Start: t1.Sub(t0), Complete: time.Since(t1), Instant: st.Batches == 0})
	}
	return out, nil
}

// ReadCost is the time of the same reads of old-shape records and of
// materialized ones, and their ratio (old over materialized).
type ReadCost struct {
	Kind         string        `json:"kind"` // get, page100, range100
	Old          time.Duration `json:"old"`
	Materialized time.Duration `json:"materialized"`
	Ratio        float64       `json:"ratio"`
}

// MeasureReads times get by id, a page of 100 and an index range of 100
// on table old (records of the oldest shape, the chain's steps applied at
// read time) and on table mat (the same documents and steps, compacted),
// alternating the two in rounds so that the machine's slow spells fall
// on both.
func MeasureReads(ctx context.Context, db *strata.DB, old, mat string, oldIDs, matIDs []strata.ID, rounds int) ([]ReadCost, error) {
	type reader func(table string, ids []strata.ID, rng *rand.Rand) error
	get := func(table string, ids []strata.ID, rng *rand.Rand) error {
		return db.Query(ctx, func(tx *strata.Tx) error {
			for range 100 {
				if _, err := tx.Get(ids[rng.IntN(len(ids))]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	page := func(table string, ids []strata.ID, rng *rand.Rand) error {
		return db.Query(ctx, func(tx *strata.Tx) error {
			_, err := tx.Table(table).Paginate(100, "")
			return err
		})
	}
	rng100 := func(table string, ids []strata.ID, rng *rand.Rand) error {
		age := int64(20 + rng.IntN(50))
		return db.Query(ctx, func(tx *strata.Tx) error {
			_, err := tx.Table(table).WithIndex("by_age", strata.Eq("age", age)).Take(100)
			return err
		})
	}
	var out []ReadCost
	for _, r := range []struct {
		kind string
		fn   reader
		reps int
	}{{"get (100 by id)", get, 20}, {"page of 100", page, 20}, {"index range of 100", rng100, 20}} {
		var to, tm time.Duration
		rng := rand.New(rand.NewPCG(1, 2))
		for range rounds {
			t0 := time.Now()
			for range r.reps {
				if err := r.fn(old, oldIDs, rng); err != nil {
					return nil, err
				}
			}
			to += time.Since(t0)
			t0 = time.Now()
			for range r.reps {
				if err := r.fn(mat, matIDs, rng); err != nil {
					return nil, err
				}
			}
			tm += time.Since(t0)
		}
		out = append(out, ReadCost{Kind: r.kind, Old: to, Materialized: tm, Ratio: ratio(to, tm)})
	}
	return out, nil
}

// CompactResult compares the compactor with the rewriting path and
// measures writes during a compaction.
type CompactResult struct {
	Docs int `json:"docs"`
	// Compact is the time to materialize every record (the whole chain
	// of SchemaOps in one pass); CompactRate its documents per second.
	Compact     time.Duration `json:"compact"`
	CompactRate float64       `json:"compactRate"`
	// Backfill is the time of the rewriting path's backfill for one
	// change (start of rename_field with Rewrite); BackfillRate its
	// documents per second. RateRatio is CompactRate over BackfillRate.
	Backfill     time.Duration `json:"backfill"`
	BackfillRate float64       `json:"backfillRate"`
	RateRatio    float64       `json:"rateRatio"`
	// Idle and During are the latencies of single-document writes
	// without a compaction and while one runs; P99Ratio is During.P99
	// over Idle.P99.
	Idle     Latencies `json:"idle"`
	During   Latencies `json:"during"`
	P99Ratio float64   `json:"p99Ratio"`
}

// MeasureCompact compacts table (n documents with the chain of SchemaOps
// pending) alone, times a rewriting backfill of the same size on table rw
// (freshly loaded, no migration run) alone, then compacts table lat (n
// documents, ids, the same chain) under a write workload, after measuring
// the same workload idle.
func MeasureCompact(ctx context.Context, db *strata.DB, table, rw, lat string, ids []strata.ID, n int, opts LatencyOptions) (CompactResult, error) {
	if opts.Rate <= 0 {
		opts.Rate = 100
	}
	if opts.Idle <= 0 {
		opts.Idle = 3 * time.Second
	}
	r := CompactResult{Docs: n}
	write := func(ctx context.Context, rng *rand.Rand, i int) error {
		id := ids[rng.IntN(len(ids))]
		return db.Mutation(ctx, func(tx *strata.Tx) error {
			return tx.Patch(id, strata.Patch{"score": float64(i)})
		})
	}
	elapsed, err := CompactTable(ctx, db, table)
	if err != nil {
		return r, err
	}
	r.Compact, r.CompactRate = elapsed, float64(n)/elapsed.Seconds()

	f, err := op.ParseFile(fmt.Appendf(nil, SchemaOps[1].File, rw, rw))
	if err != nil {
		return r, err
	}
	t0 := time.Now()
	if _, err := migrate.New(db, migrate.Options{Rewrite: true}).Start(ctx, f); err != nil {
		return r, fmt.Errorf("migbench: rewriting backfill: %w", err)
	}
	r.Backfill = time.Since(t0)
	r.BackfillRate = float64(n) / r.Backfill.Seconds()
	r.RateRatio = r.CompactRate / r.BackfillRate

	idle, err := workload(ctx, opts, write, nil, nil)
	if err != nil {
		return r, err
	}
	during, err := workload(ctx, opts, write, func(ctx context.Context) error {
		_, err := CompactTable(ctx, db, lat)
		return err
	}, nil)
	if err != nil {
		return r, fmt.Errorf("migbench: compact: %w", err)
	}
	r.Idle, r.During = summarize(idle), summarize(during)
	r.P99Ratio = ratio(r.During.P99, r.Idle.P99)
	return r, nil
}

// CompactTable compacts table and returns the time it took.
func CompactTable(ctx context.Context, db *strata.DB, table string) (time.Duration, error) {
	t0 := time.Now()
	if _, err := migrate.New(db).Compact(ctx, table); err != nil {
		return 0, fmt.Errorf("migbench: compact %s: %w", table, err)
	}
	return time.Since(t0), nil
}
