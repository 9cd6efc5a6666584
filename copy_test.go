package strata_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
)

// sqliteURL returns the URL of a new SQLite file in a temporary directory.
func sqliteURL(tb testing.TB) string {
	return "sqlite:" + filepath.Join(tb.TempDir(), "copy.db")
}

// copyPairs are the source and destination backends Copy is tested
// between; each function returns the URL of a new, empty database.
var copyPairs = []struct {
	name     string
	from, to func(testing.TB) string
}{
	{"sqlite-sqlite", sqliteURL, sqliteURL},
	{"sqlite-postgres", sqliteURL, pgtest.URL},
	{"postgres-sqlite", pgtest.URL, sqliteURL},
	{"postgres-postgres", pgtest.URL, pgtest.URL},
}

// copySchema is the schema of the databases the Copy tests fill.
func copySchema(tb testing.TB) *strata.Schema {
	tb.Helper()
	s, err := strata.NewSchema(
		strata.Table("people", v.Object{"name": v.String()}).Index("by_name", "name"),
		strata.Table("vals", v.Object{"v": v.Any()}).Index("by_v", "v"),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// fillForCopy sets copySchema on the database at url and inserts
// documents of every value type, and people created an hour in the
// future (so that only an advanced clock puts later inserts after them).
// It returns the newest _creationTime of people.
func fillForCopy(tb testing.TB, url string, people int) float64 {
	tb.Helper()
	db, err := strata.Open(ctx, url, strata.WithLimits(strata.Limits{DocumentsWritten: strata.NoLimit}))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := db.SetSchema(ctx, copySchema(tb)); err != nil {
		tb.Fatal(err)
	}
	future := float64(time.Now().Add(time.Hour).UnixMilli())
	last := future
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range people {
			last = future + float64(i)
			d := strata.Doc{"name": fmt.Sprintf("p%05d", i), strata.FieldCreationTime: last}
			if _, err := tx.Import("people", d); err != nil {
				return err
			}
		}
		for _, x := range []any{nil, true, int64(math.MinInt64), math.NaN(), math.Copysign(0, -1), math.Inf(1), "a\x00b", []byte{0, 0xff}, []any{int64(1), "x"}, map[string]any{"k": 2.5}} {
			if _, err := tx.Insert("vals", strata.Doc{"v": x}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return last
}

// storeDump returns every record and index entry of the store at url, as
// one byte string, read below the document layer.
func storeDump(tb testing.TB, url string) []byte {
	tb.Helper()
	b, err := storage.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer b.Close()
	tx, err := b.Begin(ctx, false)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	enum := tx.(storage.Enumerator)
	tables, err := tx.Tables()
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	for _, table := range tables {
		docs, err := enum.ScanDocuments(table, storage.Range{}, 0)
		if err != nil {
			tb.Fatal(err)
		}
		for _, d := range docs {
			fmt.Fprintf(&buf, "%s %x %x\n", table, d.ID, d.Body)
		}
		indexes, err := enum.Indexes(table)
		if err != nil {
			tb.Fatal(err)
		}
		for _, ix := range indexes {
			ents, err := tx.Scan(storage.ScanRequest{Table: table, Index: ix, KeysOnly: true})
			if err != nil {
				tb.Fatal(err)
			}
			for _, e := range ents {
				fmt.Fprintf(&buf, "%s/%s %x %x\n", table, ix, e.Key, e.ID)
			}
		}
	}
	return buf.Bytes()
}

// checkCopied checks that the database at url is consistent, answers
// index queries, and puts a document inserted now after the copied ones
// (whose newest _creationTime is last).
func checkCopied(tb testing.TB, url string, last float64) {
	tb.Helper()
	db, err := strata.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := dbcheck.Check(ctx, db); err != nil {
		tb.Error(err)
	}
	query(tb, db, func(tx *strata.Tx) error {
		d, err := tx.Table("people").WithIndex("by_name", strata.Eq("name", "p00001")).Unique()
		if err == nil && d == nil {
			tb.Error("by_name finds nothing after the copy")
		}
		return err
	})
	id := insert(tb, db, "people", strata.Doc{"name": "new"})[0]
	query(tb, db, func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		if err == nil && !(d.CreationTime() > last) {
			tb.Errorf("a document inserted after the copy has _creationTime %v, not after the copied %v", d.CreationTime(), last)
		}
		return err
	})
}

// TestCopy copies a database holding every value type and system tables
// between every pair of backends: the destination holds the same records
// and index entries byte for byte, is consistent, puts new documents after
// the copied ones, and Copy reports what it copied, table by table.
func TestCopy(t *testing.T) {
	t.Parallel()
	for _, p := range copyPairs {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			src, dst := p.from(t), p.to(t)
			last := fillForCopy(t, src, 3)
			var progress []strata.CopyProgress
			res, err := strata.Copy(ctx, src, dst, strata.CopyOptions{Progress: func(p strata.CopyProgress) { progress = append(progress, p) }})
			if err != nil || res.CloseErr != nil {
				t.Fatalf("copy: %v (close: %v)", err, res.CloseErr)
			}
			want := storeDump(t, src)
			if got := storeDump(t, dst); !bytes.Equal(got, want) {
				t.Fatalf("the destination differs from the source:\n got %s\nwant %s", got, want)
			}
			var names []string
			var done []strata.CopiedTable
			for _, p := range progress {
				if p.TableDone {
					done = append(done, p.Table)
				}
			}
			for i, ct := range res.Tables {
				names = append(names, ct.Table)
				if i >= len(done) || fmt.Sprint(done[i]) != fmt.Sprint(ct) {
					t.Errorf("table %s: result %v, progress reported %v", ct.Table, ct, done)
				}
				if ct.Indexes["by_creation_time"] != ct.Documents {
					t.Errorf("table %s: %d documents, %d by_creation_time entries", ct.Table, ct.Documents, ct.Indexes["by_creation_time"])
				}
			}
			if got := strings.Join(names, " "); !strings.Contains(got, "_schemas") || !strings.Contains(got, "people vals") {
				t.Errorf("copied tables %q, want the system tables, people and vals", got)
			}
			if n := len(progress); n == 0 || progress[n-1].TablesDone != len(res.Tables) || progress[n-1].Tables != len(res.Tables) {
				t.Errorf("last progress %+v, want every one of %d tables done", progress[len(progress)-1], len(res.Tables))
			}
			checkCopied(t, dst, last)
		})
	}
}

// TestCopyRefusals: Copy refuses a non-empty destination without Force
// and a destination that is the source even with Force, with typed errors,
// changing neither database; with Force it replaces the destination's
// tables, and documents inserted afterwards still come after the copied
// ones even though the replaced table had its own clock.
func TestCopyRefusals(t *testing.T) {
	t.Parallel()
	for _, p := range copyPairs {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			src, dst := p.from(t), p.to(t)
			last := fillForCopy(t, src, 2)
			db, err := strata.Open(ctx, dst)
			if err != nil {
				t.Fatal(err)
			}
			s, err := strata.NewSchema(
				strata.Table("people", v.Object{"name": v.String()}),
				strata.Table("other", v.Object{"x": v.Int64()}),
			)
			setSchema(t, db, s, err)
			insert(t, db, "people", strata.Doc{"name": "already here"})
			insert(t, db, "other", strata.Doc{"x": int64(1)})
			db.Close()
			srcBefore, dstBefore := storeDump(t, src), storeDump(t, dst)

			_, err = strata.Copy(ctx, src, dst, strata.CopyOptions{})
			if !errors.Is(err, strata.ErrDestinationNotEmpty) || !strings.Contains(err.Error(), "other") {
				t.Errorf("copy into a non-empty destination: %v, want ErrDestinationNotEmpty naming its tables", err)
			}
			for _, force := range []bool{false, true} {
				for _, url := range []string{src, dst} {
					_, err := strata.Copy(ctx, url, url, strata.CopyOptions{Force: force})
					if !errors.Is(err, strata.ErrSameDatabase) {
						t.Errorf("copy %s onto itself (force %v): %v, want ErrSameDatabase", url, force, err)
					}
				}
			}
			if !bytes.Equal(storeDump(t, src), srcBefore) || !bytes.Equal(storeDump(t, dst), dstBefore) {
				t.Fatal("a refused copy changed a database")
			}

			if _, err := strata.Copy(ctx, src, dst, strata.CopyOptions{Force: true}); err != nil {
				t.Fatalf("copy with Force: %v", err)
			}
			if !bytes.Equal(storeDump(t, dst), srcBefore) {
				t.Fatal("after a copy with Force, the destination differs from the source")
			}
			checkCopied(t, dst, last)
		})
	}
}

// TestCopyOverLimits copies a table of more documents than one
// transaction of the application may write (Limits): Copy is not bound by
// them.
func TestCopyOverLimits(t *testing.T) {
	t.Parallel()
	src, dst := sqliteURL(t), sqliteURL(t)
	n := strata.DefaultDocumentsWritten + 1
	fillForCopy(t, src, n)
	res, err := strata.Copy(ctx, src, dst, strata.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range res.Tables {
		if ct.Table == "people" && ct.Documents != n {
			t.Errorf("copied %d people, want %d", ct.Documents, n)
		}
	}
	if !bytes.Equal(storeDump(t, src), storeDump(t, dst)) {
		t.Error("the destination differs from the source")
	}
}
