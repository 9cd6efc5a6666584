package strata_test

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// nans are the floats of TestIndexKeyFormatUpgrade in IEEE totalOrder.
var nans = []float64{
	math.Float64frombits(0xFFFFFFFFFFFFFFFF), // negative NaN, largest payload
	math.Float64frombits(0xFFF8000000000001),
	math.Inf(-1), -1, 0, 1, math.Inf(1),
	math.Float64frombits(value.LegacyNaNKey), // keyed alike in both formats
	math.NaN(),                               // 0x7FF8000000000001
	math.Float64frombits(0x7FFFFFFFFFFFFFFF),
}

// withLegacyNaNs returns a copy of x with every NaN replaced by the NaN
// that index key format 1 keyed every NaN as.
func withLegacyNaNs(x any) any {
	switch y := x.(type) {
	case float64:
		if y != y {
			return math.Float64frombits(value.LegacyNaNKey)
		}
	case []any:
		out := make([]any, len(y))
		for i, e := range y {
			out[i] = withLegacyNaNs(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(y))
		for k, e := range y {
			out[k] = withLegacyNaNs(e)
		}
		return out
	case strata.Doc:
		return strata.Doc(withLegacyNaNs(map[string]any(y)).(map[string]any))
	}
	return x
}

// downgradeKeys turns db's entries of the schema's indexes into index key
// format 1, as strata before the total order of floats wrote them,
// through the storage backend.
func downgradeKeys(t *testing.T, db *strata.DB, s *strata.Schema) {
	t.Helper()
	ctx := context.Background()
	st, err := strata.BackendOf(db).Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Rollback()
	var docs []strata.Doc
	query(t, db, func(tx *strata.Tx) error {
		var err error
		docs, err = tx.Table("m").Collect()
		return err
	})
	for _, ix := range s.Tables["m"].Indexes {
		for _, d := range docs {
			key, err := strata.IndexKey(ix, d)
			if err != nil {
				t.Fatal(err)
			}
			old, err := strata.IndexKey(ix, withLegacyNaNs(d).(strata.Doc))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteIndex("m", ix.Name, key); err != nil {
				t.Fatal(err)
			}
			if err := st.PutIndex("m", ix.Name, old, []byte(d.ID())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
}

// forgetKeyFormat makes the store at url look as strata before index key
// format 2 left it: storage format 2 and no key format recorded.
func forgetKeyFormat(t *testing.T, url string) {
	t.Helper()
	const q1 = `DELETE FROM strata_meta WHERE name = 'x:index_key_format'`
	const q2 = `UPDATE strata_meta SET value = 2 WHERE name = 'format'`
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		c, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, q := range []string{q1, q2} {
			if _, err := c.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{q1, q2} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIndexKeyFormatUpgrade writes a database whose index entries are in
// index key format 1 (every NaN keyed as 0x7FF8000000000000), checks that
// the current keys differ, and opens it: Open re-keys the entries, after
// which Check is clean, index order is IEEE totalOrder, equality ranges
// find each NaN, and writes to NaN documents leave no stale entry.
func TestIndexKeyFormatUpgrade(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			url := "sqlite:" + filepath.Join(t.TempDir(), "old.db")
			if backend == "postgres" {
				url = pgtest.URL(t)
			}
			testKeyFormatUpgrade(t, url)
		})
	}
}

func testKeyFormatUpgrade(t *testing.T, url string) {
	ctx := context.Background()
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := strata.NewSchema(strata.Table("m", v.Object{"x": v.Number(), "y": v.Array(v.Number()), "i": v.Int64()}).
		Index("by_x", "x").Index("by_y_x", "y", "x"))
	setSchema(t, db, s, err)
	for i, x := range nans {
		insert(t, db, "m", strata.Doc{"x": x, "y": []any{x, 1.0}, "i": int64(i)})
	}
	downgradeKeys(t, db, s)
	rep, err := db.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every NaN but the positive quiet one has a wrong key, and so no
	// entry, in both indexes: 4 documents, 2 indexes, 2 problems each.
	if got := len(rep.Problems); got != 16 {
		t.Fatalf("check of format 1 keys: %d problems, want 16: %v", got, rep.Problems)
	}
	db.Close()
	forgetKeyFormat(t, url)

	// A copy of a format 1 database, onto a store that a DB opened, is
	// re-keyed when opened too: Copy carries the format along.
	copyURL := "sqlite:" + filepath.Join(t.TempDir(), "copy.db")
	if cdb, err := strata.Open(ctx, copyURL); err != nil {
		t.Fatal(err)
	} else {
		cdb.Close()
	}
	if _, err := strata.Copy(ctx, url, copyURL, strata.CopyOptions{}); err != nil {
		t.Fatalf("copy: %v", err)
	}
	cdb, err := strata.Open(ctx, copyURL)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := cdb.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check of the copy: %v %v", err, rep.Problems)
	}
	cdb.Close()

	db, err = strata.Open(ctx, url)
	if err != nil {
		t.Fatalf("open of a format 1 database: %v", err)
	}
	defer db.Close()
	if rep, err := db.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check after the upgrade: %v %v", err, rep.Problems)
	}
	query(t, db, func(tx *strata.Tx) error {
		for _, index := range []string{"by_x", "by_y_x"} {
			docs, err := tx.Table("m").WithIndex(index).Collect()
			if err != nil {
				return err
			}
			for i, d := range docs {
				if n, _ := d.Int("i"); n != int64(i) {
					t.Errorf("%s: document %d holds i=%d: not in totalOrder", index, i, n)
				}
			}
		}
		for i, x := range nans {
			docs, err := tx.Table("m").WithIndex("by_x", strata.Eq("x", x)).Collect()
			if err != nil {
				return err
			}
			if len(docs) != 1 {
				t.Errorf("x == %#x: %d documents", math.Float64bits(x), len(docs))
			} else if n, _ := docs[0].Int("i"); n != int64(i) {
				t.Errorf("x == %#x: found i=%d", math.Float64bits(x), n)
			}
		}
		return nil
	})
	// Writes to re-keyed documents replace their entries.
	mutate(t, db, func(tx *strata.Tx) error {
		docs, err := tx.Table("m").WithIndex("by_x").Collect()
		if err != nil {
			return err
		}
		if err := tx.Patch(docs[0].ID(), strata.Patch{"x": 2.5}); err != nil {
			return err
		}
		return tx.Delete(docs[len(docs)-2].ID())
	})
	if rep, err := db.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check after writes: %v %v", err, rep.Problems)
	}
	if got := keyFormat(t, db); got != 2 {
		t.Fatalf("recorded index key format %d, want 2", got)
	}
}

func keyFormat(t *testing.T, db *strata.DB) int64 {
	t.Helper()
	st, err := strata.BackendOf(db).Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Rollback()
	n, ok, err := st.(storage.Metadata).Metadata("index_key_format")
	if err != nil || !ok {
		t.Fatalf("index key format: %v %v", ok, err)
	}
	return n
}

// TestIndexKeyFormatRecorded: a new database records the current index
// key format, and a format newer than this build's is refused by Open.
func TestIndexKeyFormatRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "new.db")
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if got := keyFormat(t, db); got != 2 {
		t.Fatalf("new database: index key format %d, want 2", got)
	}
	st, err := strata.BackendOf(db).Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.(storage.Metadata).SetMetadata("index_key_format", 3); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = strata.Open(ctx, url)
	if err == nil {
		db.Close()
		t.Fatal("open of index key format 3: no error")
	}
	if !strings.Contains(err.Error(), "index key format 3") {
		t.Fatalf("open of index key format 3: %v", err)
	}
}
