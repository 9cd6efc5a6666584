package strata_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/strata-db/strata"
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
			n, err := rawScanDecode(db.Backend(), "users", 1000)
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
		// The same entries, computed up front.
		type entry struct{ key, id []byte }
		var entries []entry
		err := db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				k, err := strata.IndexKey(schema.Index{Name: "by_email", Fields: []string{"email"}}, d)
				entries = append(entries, entry{k, []byte(d.ID())})
				return err
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		be := db.Backend()
		for b.Loop() {
			b.StopTimer()
			if err := rawDropIndex(be, "users", "raw_by_email"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for lo := 0; lo < len(entries); lo += 500 {
				tx, err := be.Begin(ctx, true)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range entries[lo:min(lo+500, len(entries))] {
					if err := tx.PutIndex("users", "raw_by_email", e.key, e.id); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StopTimer()
		if err := rawDropIndex(be, "users", "raw_by_email"); err != nil {
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
