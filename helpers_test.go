package strata_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/storage"
)

// openDB opens a fresh database in a temporary directory and, when the
// test ends, checks that every index entry matches its document and every
// document has its index entries.
func openDB(t testing.TB) *strata.DB {
	t.Helper()
	if open := openerFor(t); open != nil { // see eachBackend
		return open(t)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := strata.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := dbcheck.Check(context.Background(), db); err != nil {
			t.Errorf("consistency check: %v", err)
		}
		db.Close()
	})
	return db
}

func mutate(t testing.TB, db *strata.DB, fn func(tx *strata.Tx) error) {
	t.Helper()
	if err := db.Mutation(context.Background(), fn); err != nil {
		t.Fatalf("mutation: %v", err)
	}
}

func query(t testing.TB, db *strata.DB, fn func(tx *strata.Tx) error) {
	t.Helper()
	if err := db.Query(context.Background(), fn); err != nil {
		t.Fatalf("query: %v", err)
	}
}

func setSchema(t testing.TB, db *strata.DB, s *strata.Schema, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	if err := db.SetSchema(context.Background(), s); err != nil {
		t.Fatalf("set schema: %v", err)
	}
}

func insert(t testing.TB, db *strata.DB, table string, docs ...strata.Doc) []strata.ID {
	t.Helper()
	var ids []strata.ID
	mutate(t, db, func(tx *strata.Tx) error {
		ids = ids[:0]
		for _, d := range docs {
			id, err := tx.Insert(table, d)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}

// dump returns every record and index entry the backend holds for the
// given tables and indexes, as one byte string, to show that a refused
// operation changed nothing.
func dump(t testing.TB, db *strata.DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	ctx := context.Background()
	tx, err := strata.BackendOf(db).Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tables, err := tx.Tables()
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		indexes := []string{"by_creation_time"}
		if s := db.Schema(); s != nil && s.Tables[table] != nil {
			for _, ix := range s.Tables[table].Indexes {
				indexes = append(indexes, ix.Name)
			}
		}
		sort.Strings(indexes)
		for _, ix := range indexes {
			ents, err := tx.Scan(storage.ScanRequest{Table: table, Index: ix})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				fmt.Fprintf(&buf, "%s/%s %x %x %x\n", table, ix, e.Key, e.ID, e.Body)
			}
		}
	}
	return buf.Bytes()
}

var ctx = context.Background()
