package strata_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/v"
)

// The benchmarks compare strata with raw SQLite doing the same work in
// the same run: a 100,000-row table of ~200-byte records with one
// secondary index, written directly with database/sql (columns instead of
// a document, WAL, one writer, synchronous=FULL as strata's default, the
// same batch sizes). The ratios between the pairs are the figures; absolute numbers
// on a shared machine are noise.

const benchRows = 100_000

type benchFixture struct {
	db   *strata.DB
	raw  *sql.DB // writer (one connection, BEGIN IMMEDIATE)
	rawR *sql.DB // readers
	ids  []strata.ID
	rids []string
}

var (
	fixtureOnce sync.Once
	fixture     *benchFixture
	fixtureErr  error
)

var benchBio = strings.Repeat("schema evolution without downtime ", 3)

func benchDoc(i int) strata.Doc {
	return strata.Doc{
		"name":   fmt.Sprintf("User %06d", i),
		"email":  fmt.Sprintf("user%06d@example.com", (i*7919)%benchRows),
		"age":    int64(20 + i%50),
		"bio":    benchBio,
		"score":  float64(i) / 3,
		"active": i%2 == 0,
	}
}

func benchSchema() (*strata.Schema, error) {
	return strata.NewSchema(strata.Table("users", v.Object{
		"name":   v.String(),
		"email":  v.String(),
		"age":    v.Int64(),
		"bio":    v.String(),
		"score":  v.Number(),
		"active": v.Boolean(),
	}).Index("by_email", "email"), strata.Table("ins", v.Object{
		"name":   v.String(),
		"email":  v.String(),
		"age":    v.Int64(),
		"bio":    v.String(),
		"score":  v.Number(),
		"active": v.Boolean(),
	}).Index("by_email", "email"))
}

const rawDDL = `
CREATE TABLE IF NOT EXISTS %[1]s (id TEXT PRIMARY KEY, creation REAL NOT NULL, name TEXT, email TEXT,
  age INTEGER, bio TEXT, score REAL, active INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS %[1]s_email ON %[1]s(email, creation);
CREATE INDEX IF NOT EXISTS %[1]s_creation ON %[1]s(creation);`

func openRaw(path string, writer bool) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=mmap_size(268435456)"
	if writer {
		dsn += "&_txlock=immediate"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if writer {
		db.SetMaxOpenConns(1)
	}
	return db, nil
}

func loadFixture(tb testing.TB) *benchFixture {
	tb.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = buildFixture() })
	if fixtureErr != nil {
		tb.Fatal(fixtureErr)
	}
	return fixture
}

func buildFixture() (*benchFixture, error) {
	dir, err := pgtest.SharedDir("strata-bench-")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	f := &benchFixture{}
	if f.db, err = strata.Open(ctx, "sqlite:"+filepath.Join(dir, "strata.db")); err != nil {
		return nil, err
	}
	s, err := benchSchema()
	if err != nil {
		return nil, err
	}
	if err := f.db.SetSchema(ctx, s); err != nil {
		return nil, err
	}
	rawPath := filepath.Join(dir, "raw.db")
	if f.raw, err = openRaw(rawPath, true); err != nil {
		return nil, err
	}
	if f.rawR, err = openRaw(rawPath, false); err != nil {
		return nil, err
	}
	for _, t := range []string{"users", "ins"} {
		if _, err := f.raw.Exec(fmt.Sprintf(rawDDL, t)); err != nil {
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
		tx, err := f.raw.Begin()
		if err != nil {
			return nil, err
		}
		for i := lo; i < lo+1000; i++ {
			id := fmt.Sprintf("r%07d", i)
			if err := rawInsert(tx, "users", id, float64(i), benchDoc(i)); err != nil {
				return nil, err
			}
			f.rids = append(f.rids, id)
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func rawInsert(tx *sql.Tx, table, id string, creation float64, d strata.Doc) error {
	_, err := tx.Exec("INSERT INTO "+table+" (id, creation, name, email, age, bio, score, active) VALUES (?,?,?,?,?,?,?,?)",
		id, creation, d["name"], d["email"], d["age"], d["bio"], d["score"], d["active"])
	return err
}

type rawRow struct {
	id, name, email, bio string
	creation, score      float64
	age                  int64
	active               bool
}

const rawCols = "id, creation, name, email, age, bio, score, active"

func scanRaw(rows interface{ Scan(...any) error }) (rawRow, error) {
	var r rawRow
	err := rows.Scan(&r.id, &r.creation, &r.name, &r.email, &r.age, &r.bio, &r.score, &r.active)
	return r, err
}

func BenchmarkInsert(b *testing.B) {
	f := loadFixture(b)
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
			tx, err := f.raw.Begin()
			if err != nil {
				b.Fatal(err)
			}
			if err := rawInsert(tx, "ins", fmt.Sprintf("i%d-%d", base, i), float64(i), benchDoc(i)); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	f := loadFixture(b)
	b.Run("strata", func(b *testing.B) { benchGet(b, ctx, f.db, f.ids) })
	// A server's calls run under a context that can end (a request's,
	// with a deadline): the statements must not pay for watching it.
	b.Run("strata-cancellable", func(b *testing.B) {
		cctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		benchGet(b, cctx, f.db, f.ids)
	})
	b.Run("raw", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 1))
		stmt, err := f.rawR.Prepare("SELECT " + rawCols + " FROM users WHERE id = ?")
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		for b.Loop() {
			tx, err := f.rawR.Begin()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := scanRaw(tx.Stmt(stmt).QueryRow(f.rids[r.IntN(len(f.rids))])); err != nil {
				b.Fatal(err)
			}
			tx.Rollback()
		}
	})
}

// benchGet reads random documents by id, one read-only transaction each.
func benchGet(b *testing.B, ctx context.Context, db *strata.DB, ids []strata.ID) {
	r := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		id := ids[r.IntN(len(ids))]
		err := db.Query(ctx, func(tx *strata.Tx) error {
			d, err := tx.Get(id)
			if d == nil && err == nil {
				err = fmt.Errorf("missing %s", id)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIndexRangeTake10(b *testing.B) {
	f := loadFixture(b)
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
		stmt, err := f.rawR.Prepare("SELECT " + rawCols + " FROM users WHERE email >= ? ORDER BY email, creation LIMIT 10")
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		for b.Loop() {
			from := fmt.Sprintf("user%06d", r.IntN(benchRows-20))
			tx, err := f.rawR.Begin()
			if err != nil {
				b.Fatal(err)
			}
			if err := scanRawRows(tx.Stmt(stmt).Query(from)); err != nil {
				b.Fatal(err)
			}
			tx.Rollback()
		}
	})
}

func scanRawRows(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if _, err := scanRaw(rows); err != nil {
			return err
		}
		n++
	}
	if n != 10 {
		return fmt.Errorf("raw range returned %d rows", n)
	}
	return rows.Err()
}

// BenchmarkPaginate reads the whole table in pages of 100; one op is one
// page.
func BenchmarkPaginate(b *testing.B) {
	f := loadFixture(b)
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
		stmt, err := f.rawR.Prepare("SELECT " + rawCols + " FROM users WHERE creation > ? ORDER BY creation LIMIT 100")
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		after := -1.0
		for b.Loop() {
			tx, err := f.rawR.Begin()
			if err != nil {
				b.Fatal(err)
			}
			rows, err := tx.Stmt(stmt).Query(after)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				r, err := scanRaw(rows)
				if err != nil {
					b.Fatal(err)
				}
				after = r.creation
				n++
			}
			rows.Close()
			if n < 100 {
				after = -1
			}
			tx.Rollback()
		}
	})
}

// BenchmarkPatchBatch100 sets one field of 100 documents per transaction;
// one op is one transaction.
func BenchmarkPatchBatch100(b *testing.B) {
	f := loadFixture(b)
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
	b.Run("raw", func(b *testing.B) {
		stmt, err := f.raw.Prepare("UPDATE users SET score = ? WHERE id = ?")
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		next := 0
		for i := 0; b.Loop(); i++ {
			tx, err := f.raw.Begin()
			if err != nil {
				b.Fatal(err)
			}
			s := tx.Stmt(stmt)
			for k := 0; k < 100; k++ {
				if _, err := s.Exec(float64(i), f.rids[(next+k)%len(f.rids)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			next += 100
		}
	})
}
