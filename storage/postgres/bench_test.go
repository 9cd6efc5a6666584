package postgres_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/storage/postgres"
)

// Benchmarks compare each backend operation with raw pgx doing the same
// work on an equivalent plain table in the same database, in the same run
// (".../raw"): the same SERIALIZABLE transactions (read-only ones READ
// ONLY), the same statements a careful pgx user would write. Absolute
// numbers are noise on shared machines; the ratio backend/raw is the
// figure.

const benchDocs = 10_000

func benchKey(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }

var benchBody = make([]byte, 200)

type benchEnv struct {
	b   *postgres.Backend
	raw *pgxpool.Pool
}

var (
	benchOnce sync.Once
	benchE    *benchEnv
	benchErr  error
)

func loadBench(b *testing.B) *benchEnv {
	b.Helper()
	base := pgtest.PackageURL(b)
	benchOnce.Do(func() { benchE, benchErr = buildBench(base) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchE
}

func buildBench(base string) (*benchEnv, error) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench"); err != nil {
		return nil, err
	}
	url := pgtest.WithParam(base, "search_path", "bench")
	e := &benchEnv{}
	if e.b, err = postgres.Open(ctx, url); err != nil {
		return nil, err
	}
	if e.raw, err = pgxpool.New(ctx, url); err != nil {
		return nil, err
	}
	if _, err := e.raw.Exec(ctx, "CREATE TABLE raw_docs (id bytea PRIMARY KEY, body bytea NOT NULL)"); err != nil {
		return nil, err
	}
	rows := make([][]any, 0, benchDocs)
	tx, err := e.b.Begin(ctx, true)
	if err != nil {
		return nil, err
	}
	for i := range benchDocs {
		k := benchKey(i)
		if err := tx.Put("t", k, benchBody); err != nil {
			return nil, err
		}
		if err := tx.PutIndex("t", "i", k, k); err != nil {
			return nil, err
		}
		rows = append(rows, []any{k, benchBody})
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if _, err := e.raw.CopyFrom(ctx, pgx.Identifier{"raw_docs"}, []string{"id", "body"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, err
	}
	for _, t := range []string{"raw_docs", "strata_documents", "strata_index"} {
		if _, err := e.raw.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return nil, err
		}
	}
	return e, nil
}

var (
	serializable   = pgx.TxOptions{IsoLevel: pgx.Serializable}
	serializableRO = pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly}
)

func BenchmarkGet(b *testing.B) {
	e := loadBench(b)
	ctx := context.Background()
	b.Run("backend", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 1))
		for b.Loop() {
			tx, err := e.b.Begin(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Get("t", benchKey(r.IntN(benchDocs))); err != nil {
				b.Fatal(err)
			}
			tx.Rollback()
		}
	})
	b.Run("raw", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 1))
		for b.Loop() {
			err := pgx.BeginTxFunc(ctx, e.raw, serializableRO, func(tx pgx.Tx) error {
				var body []byte
				return tx.QueryRow(ctx, "SELECT body FROM raw_docs WHERE id = $1", benchKey(r.IntN(benchDocs))).Scan(&body)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPut(b *testing.B) {
	e := loadBench(b)
	ctx := context.Background()
	b.Run("backend", func(b *testing.B) {
		r := rand.New(rand.NewPCG(2, 2))
		for b.Loop() {
			err := commitTx(ctx, e.b, func(tx storage.Tx) error {
				return tx.Put("t", benchKey(r.IntN(benchDocs)), benchBody)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		r := rand.New(rand.NewPCG(2, 2))
		for b.Loop() {
			err := pgx.BeginTxFunc(ctx, e.raw, serializable, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO raw_docs (id, body) VALUES ($1, $2)
					ON CONFLICT (id) DO UPDATE SET body = excluded.body`, benchKey(r.IntN(benchDocs)), benchBody)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkScan100(b *testing.B) {
	e := loadBench(b)
	ctx := context.Background()
	b.Run("backend", func(b *testing.B) {
		r := rand.New(rand.NewPCG(3, 3))
		for b.Loop() {
			tx, err := e.b.Begin(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			es, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "i", Range: storage.Range{Start: benchKey(r.IntN(benchDocs - 100))}, Limit: 100})
			if err != nil || len(es) != 100 {
				b.Fatal(len(es), err)
			}
			tx.Rollback()
		}
	})
	b.Run("raw", func(b *testing.B) {
		r := rand.New(rand.NewPCG(3, 3))
		for b.Loop() {
			err := pgx.BeginTxFunc(ctx, e.raw, serializableRO, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, "SELECT id, body FROM raw_docs WHERE id >= $1 ORDER BY id LIMIT 100", benchKey(r.IntN(benchDocs-100)))
				if err != nil {
					return err
				}
				n := 0
				for rows.Next() {
					var id, body []byte
					if err := rows.Scan(&id, &body); err != nil {
						return err
					}
					n++
				}
				if n != 100 {
					b.Fatalf("raw scan: %d rows", n)
				}
				return rows.Err()
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func commitTx(ctx context.Context, b storage.Backend, fn func(tx storage.Tx) error) error {
	tx, err := b.Begin(ctx, true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
