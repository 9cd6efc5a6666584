package strata_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// The push benchmarks compare the schema push's two long phases with the
// raw engine doing the same work in the same run, over a table of
// 100,000 ~200-byte documents (benchDoc):
//
//   - BenchmarkPushCheck: the existing-data check (Push with DryRun of a
//     schema that makes a field required, so every document is read,
//     decoded and validated, in batches of read transactions) vs reading
//     every record through the storage backend and decoding it with
//     value.DecodeDoc;
//   - BenchmarkIndexBuild: an online index build (Push with Wait adding
//     an index: batches of write transactions that read documents and
//     write entries and the build's cursor) vs writing the same,
//     precomputed, index entries with storage PutIndex in transactions of
//     the same size.
//
// The ratios raw/strata are the figures.

var (
	pushFixOnce sync.Once
	pushFixDB   *strata.DB
	pushFixErr  error
)

func pushFields() v.Object {
	return v.Object{
		"name": v.String(), "email": v.String(), "age": v.Int64(), "bio": v.String(),
		"score": v.Number(), "active": v.Optional(v.Boolean()),
	}
}

func pushFixture(tb testing.TB) *strata.DB {
	tb.Helper()
	pushFixOnce.Do(func() {
		db, err := strata.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "push.db"))
		if err != nil {
			pushFixErr = err
			return
		}
		s, _ := strata.NewSchema(strata.Table("users", pushFields()))
		if _, err := db.Push(ctx, s, strata.PushOptions{}); err != nil {
			pushFixErr = err
			return
		}
		for lo := 0; lo < benchRows && err == nil; lo += 1000 {
			err = db.Mutation(ctx, func(tx *strata.Tx) error {
				for i := lo; i < lo+1000; i++ {
					if _, err := tx.Insert("users", benchDoc(i)); err != nil {
						return err
					}
				}
				return nil
			})
		}
		pushFixDB, pushFixErr = db, err
	})
	if pushFixErr != nil {
		tb.Fatal(pushFixErr)
	}
	return pushFixDB
}

func BenchmarkPushCheck(b *testing.B) {
	db := pushFixture(b)
	fields := pushFields()
	fields["active"] = v.Boolean() // optional -> required: every document is checked
	required, err := strata.NewSchema(strata.Table("users", fields))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("strata", func(b *testing.B) {
		for b.Loop() {
			res, err := db.Push(ctx, required, strata.PushOptions{DryRun: true})
			if err != nil {
				b.Fatal(err)
			}
			if res.Checked["users"] != benchRows {
				b.Fatalf("checked %v", res.Checked)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			n, err := rawScanDecode(strata.BackendOf(db), "users", 1000)
			if err != nil || n != benchRows {
				b.Fatalf("%d %v", n, err)
			}
		}
	})
}

// rawScanDecode reads every record of table through the backend, in one
// read transaction, page by page, and decodes each.
func rawScanDecode(be storage.Backend, table string, page int) (int, error) {
	tx, err := be.Begin(ctx, false)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var start []byte
	n := 0
	for {
		ents, err := tx.Scan(storage.ScanRequest{Table: table, Index: "by_creation_time", Range: storage.Range{Start: start}, Limit: page})
		if err != nil {
			return 0, err
		}
		for _, e := range ents {
			if _, err := value.DecodeDoc(e.Body); err != nil {
				return 0, err
			}
		}
		n += len(ents)
		if len(ents) < page {
			return n, nil
		}
		start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}

// BenchmarkPushPaired alternates each strata run with its raw
// counterpart and reports raw/strata time ratios, so that both sides of
// a ratio see the same machine (disk sync times vary a lot on shared
// machines).
func BenchmarkPushPaired(b *testing.B) {
	db := pushFixture(b)
	fields := pushFields()
	fields["active"] = v.Boolean()
	required, _ := strata.NewSchema(strata.Table("users", fields))
	plain, _ := strata.NewSchema(strata.Table("users", pushFields()))
	indexed, _ := strata.NewSchema(strata.Table("users", pushFields()).Index("by_email", "email"))
	entries := precomputedEntries(b, db)
	var checkS, checkR, buildS, buildR time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := db.Push(ctx, required, strata.PushOptions{DryRun: true}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := rawScanDecode(strata.BackendOf(db), "users", 1000); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		checkS, checkR = checkS+t1.Sub(t0), checkR+t2.Sub(t1)
		if _, err := db.Push(ctx, plain, strata.PushOptions{}); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if _, err := db.Push(ctx, indexed, strata.PushOptions{Wait: true}); err != nil {
			b.Fatal(err)
		}
		t1 = time.Now()
		if err := rawPutEntries(strata.BackendOf(db), entries); err != nil {
			b.Fatal(err)
		}
		t2 = time.Now()
		buildS, buildR = buildS+t1.Sub(t0), buildR+t2.Sub(t1)
		if err := rawDropIndex(strata.BackendOf(db), "users", "raw_by_email"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(checkR)/float64(checkS), "check-raw/strata")
	b.ReportMetric(float64(buildR)/float64(buildS), "build-raw/strata")
	b.ReportMetric(checkS.Seconds()/float64(b.N), "check-s/op")
	b.ReportMetric(buildS.Seconds()/float64(b.N), "build-s/op")
}

type rawEntry struct{ key, id []byte }

func precomputedEntries(b *testing.B, db *strata.DB) []rawEntry {
	var entries []rawEntry
	// One read of the whole table: strata's own work, beyond the
	// per-transaction limits of application code.
	err := db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			k, err := strata.IndexKey(schema.Index{Name: "by_email", Fields: []string{"email"}}, d)
			entries = append(entries, rawEntry{k, []byte(d.ID())})
			return err
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return entries
}

// rawPutEntries writes entries to the index raw_by_email in transactions
// of 500, as the build's batches.
func rawPutEntries(be storage.Backend, entries []rawEntry) error {
	for lo := 0; lo < len(entries); lo += 500 {
		tx, err := be.Begin(ctx, true)
		if err != nil {
			return err
		}
		for _, e := range entries[lo:min(lo+500, len(entries))] {
			if err := tx.PutIndex("users", "raw_by_email", e.key, e.id); err != nil {
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

func BenchmarkIndexBuild(b *testing.B) {
	db := pushFixture(b)
	plain, _ := strata.NewSchema(strata.Table("users", pushFields()))
	indexed, _ := strata.NewSchema(strata.Table("users", pushFields()).Index("by_email", "email"))
	b.Run("strata", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := db.Push(ctx, plain, strata.PushOptions{}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res, err := db.Push(ctx, indexed, strata.PushOptions{Wait: true})
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Builds) != 1 || res.Builds[0].Processed != benchRows {
				b.Fatalf("builds %+v", res.Builds)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		entries := precomputedEntries(b, db) // the same entries, computed up front
		for b.Loop() {
			b.StopTimer()
			if err := rawDropIndex(strata.BackendOf(db), "users", "raw_by_email"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := rawPutEntries(strata.BackendOf(db), entries); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := rawDropIndex(strata.BackendOf(db), "users", "raw_by_email"); err != nil {
			b.Fatal(err)
		}
	})
}

func rawDropIndex(be storage.Backend, table, index string) error {
	tx, err := be.Begin(ctx, true)
	if err != nil {
		return err
	}
	if err := tx.DropIndex(table, index); err != nil {
		tx.Rollback()
		return fmt.Errorf("drop: %w", err)
	}
	return tx.Commit()
}
