package strata_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
)

// The PostgreSQL benchmarks mirror bench_test.go: strata on PostgreSQL
// beside raw pgx doing the same work in the same run, on a 100,000-row
// table of ~200-byte records with one secondary index (plain columns for
// raw, loaded with COPY). Raw transactions are SERIALIZABLE like strata's;
// the batched patch's raw side is one pgx.Batch of 100 pipelined UPDATEs.
// Run with: go test -run '^$' -bench 'PG' .

type pgBenchFixture struct {
	db   *strata.DB
	raw  *pgxpool.Pool
	ids  []strata.ID
	rids []string
}

var (
	pgFixtureOnce sync.Once
	pgFixture     *pgBenchFixture
	pgFixtureErr  error
)

func loadPGFixture(b *testing.B) *pgBenchFixture {
	b.Helper()
	base := pgtest.PackageURL(b)
	pgFixtureOnce.Do(func() { pgFixture, pgFixtureErr = buildPGFixture(base) })
	if pgFixtureErr != nil {
		b.Fatal(pgFixtureErr)
	}
	return pgFixture
}

const pgRawDDL = `
CREATE TABLE IF NOT EXISTS %[1]s (id text PRIMARY KEY, creation double precision NOT NULL, name text, email text,
  age bigint, bio text, score double precision, active boolean);
CREATE INDEX IF NOT EXISTS %[1]s_email ON %[1]s (email, creation);
CREATE INDEX IF NOT EXISTS %[1]s_creation ON %[1]s (creation);`

func buildPGFixture(base string) (*pgBenchFixture, error) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench"); err != nil {
		return nil, err
	}
	url := pgtest.WithParam(base, "search_path", "bench")
	f := &pgBenchFixture{}
	if f.db, err = strata.Open(ctx, url); err != nil {
		return nil, err
	}
	s, err := benchSchema()
	if err != nil {
		return nil, err
	}
	if err := f.db.SetSchema(ctx, s); err != nil {
		return nil, err
	}
	if f.raw, err = pgxpool.New(ctx, url); err != nil {
		return nil, err
	}
	for _, t := range []string{"users_raw", "ins_raw"} {
		if _, err := f.raw.Exec(ctx, fmt.Sprintf(pgRawDDL, t)); err != nil {
			return nil, err
		}
	}
	for lo := 0; lo < benchRows; lo += 1000 {
		err := f.db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < lo+1000; i++ {
				id, err := tx.Insert("users", benchDoc(i))
				if err != nil {
					return err
				}
				f.ids = append(f.ids, id)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	rows := make([][]any, benchRows)
	for i := range benchRows {
		d := benchDoc(i)
		id := fmt.Sprintf("r%07d", i)
		f.rids = append(f.rids, id)
		rows[i] = []any{id, float64(i), d["name"], d["email"], d["age"], d["bio"], d["score"], d["active"]}
	}
	if _, err := f.raw.CopyFrom(ctx, pgx.Identifier{"users_raw"}, []string{"id", "creation", "name", "email", "age", "bio", "score", "active"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, err
	}
	for _, t := range []string{"users_raw", "strata_documents", "strata_index"} {
		if _, err := f.raw.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return nil, err
		}
	}
	return f, nil
}

var pgSerializable = pgx.TxOptions{IsoLevel: pgx.Serializable}
var pgSerializableRO = pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly}

func BenchmarkPGInsert(b *testing.B) {
	f := loadPGFixture(b)
	b.Run("strata", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			err := f.db.Mutation(ctx, func(tx *strata.Tx) error {
				_, err := tx.Insert("ins", benchDoc(i))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		base := rand.Int64()
		for i := 0; b.Loop(); i++ {
			d := benchDoc(i)
			err := pgx.BeginTxFunc(ctx, f.raw, pgSerializable, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO ins_raw (id, creation, name, email, age, bio, score, active) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
					fmt.Sprintf("i%d-%d", base, i), float64(i), d["name"], d["email"], d["age"], d["bio"], d["score"], d["active"])
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func scanPGRaw(row pgx.Row) (rawRow, error) {
	var r rawRow
	err := row.Scan(&r.id, &r.creation, &r.name, &r.email, &r.age, &r.bio, &r.score, &r.active)
	return r, err
}

func BenchmarkPGGet(b *testing.B) {
	f := loadPGFixture(b)
	b.Run("strata", func(b *testing.B) { benchGet(b, ctx, f.db, f.ids) })
	q := "SELECT " + rawCols + " FROM users_raw WHERE id = $1"
	b.Run("raw", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 1))
		for b.Loop() {
			err := pgx.BeginTxFunc(ctx, f.raw, pgSerializableRO, func(tx pgx.Tx) error {
				_, err := scanPGRaw(tx.QueryRow(ctx, q, f.rids[r.IntN(len(f.rids))]))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw_autocommit", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 1))
		for b.Loop() {
			if _, err := scanPGRaw(f.raw.QueryRow(ctx, q, f.rids[r.IntN(len(f.rids))])); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPGIndexRangeTake10(b *testing.B) {
	f := loadPGFixture(b)
	b.Run("strata", func(b *testing.B) {
		r := rand.New(rand.NewPCG(2, 2))
		for b.Loop() {
			from := fmt.Sprintf("user%06d", r.IntN(benchRows-20))
			err := f.db.Query(ctx, func(tx *strata.Tx) error {
				docs, err := tx.Table("users").WithIndex("by_email", strata.Gte("email", from)).Take(10)
				if len(docs) != 10 && err == nil {
					err = fmt.Errorf("got %d", len(docs))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		r := rand.New(rand.NewPCG(2, 2))
		q := "SELECT " + rawCols + " FROM users_raw WHERE email >= $1 ORDER BY email, creation LIMIT 10"
		for b.Loop() {
			from := fmt.Sprintf("user%06d", r.IntN(benchRows-20))
			err := pgx.BeginTxFunc(ctx, f.raw, pgSerializableRO, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, q, from)
				if err != nil {
					return err
				}
				n := 0
				for rows.Next() {
					if _, err := scanPGRaw(rows); err != nil {
						return err
					}
					n++
				}
				if n != 10 {
					return fmt.Errorf("raw range returned %d rows", n)
				}
				return rows.Err()
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPGPaginate(b *testing.B) {
	f := loadPGFixture(b)
	b.Run("strata", func(b *testing.B) {
		cursor := ""
		for b.Loop() {
			err := f.db.Query(ctx, func(tx *strata.Tx) error {
				p, err := tx.Table("users").Paginate(100, cursor)
				cursor = p.ContinueCursor
				if p.IsDone {
					cursor = ""
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		q := "SELECT " + rawCols + " FROM users_raw WHERE creation > $1 ORDER BY creation LIMIT 100"
		after := -1.0
		for b.Loop() {
			err := pgx.BeginTxFunc(ctx, f.raw, pgSerializableRO, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, q, after)
				if err != nil {
					return err
				}
				n := 0
				for rows.Next() {
					r, err := scanPGRaw(rows)
					if err != nil {
						return err
					}
					after = r.creation
					n++
				}
				if n < 100 {
					after = -1
				}
				return rows.Err()
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPGPatchBatch100 sets one field of 100 documents per
// transaction; one op is one transaction. Raw is one pgx.Batch of 100
// pipelined UPDATEs, committed as one transaction.
func BenchmarkPGPatchBatch100(b *testing.B) {
	f := loadPGFixture(b)
	b.Run("strata", func(b *testing.B) {
		next := 0
		for i := 0; b.Loop(); i++ {
			err := f.db.Mutation(ctx, func(tx *strata.Tx) error {
				for k := 0; k < 100; k++ {
					if err := tx.Patch(f.ids[(next+k)%len(f.ids)], strata.Patch{"score": float64(i)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			next += 100
		}
	})
	// The idiomatic way to update many documents by id: prefetch them in
	// one round trip, then patch (each patch finds its document cached).
	b.Run("strata_getmany", func(b *testing.B) {
		next := 0
		ids := make([]strata.ID, 100)
		for i := 0; b.Loop(); i++ {
			for k := range ids {
				ids[k] = f.ids[(next+k)%len(f.ids)]
			}
			err := f.db.Mutation(ctx, func(tx *strata.Tx) error {
				if _, err := tx.GetMany(ids); err != nil {
					return err
				}
				for _, id := range ids {
					if err := tx.Patch(id, strata.Patch{"score": float64(i)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			next += 100
		}
	})
	b.Run("raw", func(b *testing.B) {
		next := 0
		for i := 0; b.Loop(); i++ {
			err := pgx.BeginTxFunc(ctx, f.raw, pgSerializable, func(tx pgx.Tx) error {
				var batch pgx.Batch
				for k := 0; k < 100; k++ {
					batch.Queue("UPDATE users_raw SET score = $1 WHERE id = $2", float64(i), f.rids[(next+k)%len(f.rids)])
				}
				return tx.SendBatch(ctx, &batch).Close()
			})
			if err != nil {
				b.Fatal(err)
			}
			next += 100
		}
	})
}
