package strata_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

// seedUsers fills db with n users, indexed by name and by age.
func seedUsers(t testing.TB, db *strata.DB, n int) []strata.ID {
	t.Helper()
	s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "age": v.Int64()}).Index("by_name", "name").Index("by_age", "age"))
	setSchema(t, db, s, err)
	ids := make([]strata.ID, 0, n)
	for start := 0; start < n; start += 1000 {
		mutate(t, db, func(tx *strata.Tx) error {
			ids = ids[:start]
			for i := start; i < min(n, start+1000); i++ {
				id, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("user%06d", i), "age": int64(i % 90)})
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
	}
	return ids
}

// corruptIndexTree changes the table name in the middle divider key of the
// root page of strata_index in the SQLite file at path (closed), so that
// the B-tree is no longer in key order: PRAGMA integrity_check reports
// "row not in PRIMARY KEY order for strata_index" and index seeks go
// astray.
func corruptIndexTree(t testing.TB, path string) {
	t.Helper()
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var root int64
	err = sdb.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = 'strata_index'`).Scan(&root)
	sdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		if fi, _ := os.Stat(path + "-wal"); fi.Size() > 0 {
			t.Fatalf("WAL not checkpointed: %d bytes", fi.Size())
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var hdr [100]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		t.Fatal(err)
	}
	pageSize := int64(binary.BigEndian.Uint16(hdr[16:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	page := make([]byte, pageSize)
	off := (root - 1) * pageSize
	if _, err := f.ReadAt(page, off); err != nil {
		t.Fatal(err)
	}
	h := 0
	if root == 1 {
		h = 100
	}
	if page[h] != 0x02 {
		t.Fatalf("root page of strata_index is of type %#x, not an interior index page: seed more documents", page[h])
	}
	cells := int(binary.BigEndian.Uint16(page[h+3:]))
	cell := int(binary.BigEndian.Uint16(page[h+12+2*(cells/2):]))
	// An interior index cell: a 4-byte child page number, the payload
	// size (varint), then the record: its header size (varint), the
	// serial types, then tbl, the first column.
	p := cell + 4
	_, n := binary.Uvarint(nil) // placeholder to keep imports honest
	_ = n
	p += varintLen(page[p:])
	hsize, _ := sqliteVarint(page[p:])
	p += int(hsize)
	t.Logf("corrupting cell %d of %d on page %d: %q", cells/2, cells, root, page[p:p+8])
	page[p] = 'z'
	if _, err := f.WriteAt(page, off); err != nil {
		t.Fatal(err)
	}
}

// sqliteVarint reads a SQLite varint (big-endian, 7 bits a byte, up to 9
// bytes) and returns it and its length.
func sqliteVarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < 8; i++ {
		x = x<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return x<<8 | uint64(b[8]), 9
}

func varintLen(b []byte) int { _, n := sqliteVarint(b); return n }

func TestCheckCorruptSQLiteFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := strata.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	seedUsers(t, db, 5000)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	corruptIndexTree(t, path)
	db, err = strata.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(strata.Doc) error { n++; return nil })
	})
	t.Logf("index scan: %d, err %v", n, err)
	rep, err := db.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("engine %s problems %d omitted %d", rep.Engine, len(rep.Problems), rep.Omitted)
	for i, p := range rep.Problems {
		if i < 10 {
			t.Log(p)
		}
	}
	if _, err := db.RepairIndexes(ctx, strata.CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err = db.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after repair: problems %d omitted %d", len(rep.Problems), rep.Omitted)
	for i, p := range rep.Problems {
		if i < 10 {
			t.Log(p)
		}
	}
}
