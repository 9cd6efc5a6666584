// Package corrupt damages strata databases on purpose, for tests of
// strata check and of the commands that must not trust a damaged index.
package corrupt

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// SQLiteIndexTree changes one byte of the SQLite file at path (a closed
// strata database whose WAL was checkpointed at close): the first letter
// of the table name in the middle one of the divider keys of index (an
// index name, such as by_creation_time) in the root page of strata_index
// becomes 'z'. The index B-tree is then out of key order:
// PRAGMA integrity_check reports "row not in PRIMARY KEY order for
// strata_index", and index seeks, which follow the dividers, skip part of
// the entries, while the document records are untouched. The root page
// must be an interior page: the database needs a few thousand index
// entries.
func SQLiteIndexTree(path, index string) error {
	db, err := open(path, "strata_index")
	if err != nil {
		return err
	}
	defer db.f.Close()
	page := make([]byte, db.pageSize)
	off, hdr := db.offset(db.root)
	if _, err := db.f.ReadAt(page, off); err != nil {
		return err
	}
	h := int(hdr - off)
	if page[h] != 0x02 {
		return fmt.Errorf("corrupt: the root page of strata_index is of type %#x, not an interior index page: add documents", page[h])
	}
	// The cell pointer array follows the 12-byte interior page header. An
	// interior index cell: the left child's page number (4 bytes), the
	// payload size (varint), then the record: its header size (varint,
	// counting itself), the serial types of the columns, then the
	// columns: tbl, idx, key, id.
	cells := int(binary.BigEndian.Uint16(page[h+3:]))
	var targets []int // the offset of tbl in each divider of index
	for i := range cells {
		c := int(binary.BigEndian.Uint16(page[h+12+2*i:])) + 4
		_, n := varint(page[c:])
		c += n
		hsize, hn := varint(page[c:])
		t1, n1 := varint(page[c+hn:])
		t2, _ := varint(page[c+hn+n1:])
		if t1 < 13 || t1%2 == 0 || t2 < 13 || t2%2 == 0 {
			continue // not two texts: not a strata_index record
		}
		tbl := c + int(hsize)
		idx := tbl + int(t1-13)/2
		if string(page[idx:idx+int(t2-13)/2]) == index {
			targets = append(targets, tbl)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("corrupt: no divider of index %q in the root page of strata_index: add documents", index)
	}
	p := targets[len(targets)/2]
	page[p] = 'z'
	_, err = db.f.WriteAt(page, off)
	return err
}

// varint reads a SQLite varint (big-endian, 7 bits a byte, the ninth byte
// whole) and returns it and its length.
func varint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < 8; i++ {
		x = x<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return x<<8 | uint64(b[8]), 9
}

// SQLiteLastDocumentsPage overwrites the page type of the last leaf page
// of strata_documents in the SQLite file at path (closed, its WAL
// checkpointed) with an invalid one: reading the documents stored there,
// those of the last table by name, fails with SQLITE_CORRUPT ("database
// disk image is malformed"), while the system tables (whose names start
// with "_") stay readable, so the database still opens. The root page
// must be an interior page: the database needs a few thousand documents.
func SQLiteLastDocumentsPage(path string) error {
	db, err := open(path, "strata_documents")
	if err != nil {
		return err
	}
	defer db.f.Close()
	// Follow the right-most child pointers (bytes 8-11 of an interior
	// page header) down to the last leaf.
	page := db.root
	for range 10 {
		var h [12]byte
		_, off := db.offset(page)
		if _, err := db.f.ReadAt(h[:], off); err != nil {
			return err
		}
		if h[0] != 0x02 {
			if page == db.root {
				return fmt.Errorf("corrupt: the root page of strata_documents is a leaf: add documents")
			}
			_, err = db.f.WriteAt([]byte{0x07}, off)
			return err
		}
		page = int64(binary.BigEndian.Uint32(h[8:]))
	}
	return fmt.Errorf("corrupt: no leaf page of strata_documents within 10 levels")
}

// file is a closed strata SQLite database opened for damage: its file,
// page size, and the root page of the B-tree it was opened for.
type file struct {
	f        *os.File
	pageSize int64
	root     int64
}

// open finds the root page of tree (a table or index of the SQLite schema)
// in the database at path, which must be closed with its WAL checkpointed,
// and opens the file for writing.
func open(path, tree string) (*file, error) {
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	var root int64
	err = sdb.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = ?`, tree).Scan(&root)
	if cerr := sdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("corrupt: find %s: %w", tree, err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("corrupt: %s-wal holds %d bytes: close the database first", path, fi.Size())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	var hdr [100]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		f.Close()
		return nil, err
	}
	pageSize := int64(binary.BigEndian.Uint16(hdr[16:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	return &file{f: f, pageSize: pageSize, root: root}, nil
}

// offset returns where page n starts in the file, and where its header
// starts (after the file header on page 1).
func (f *file) offset(n int64) (page, header int64) {
	page = (n - 1) * f.pageSize
	if n == 1 {
		return page, page + 100
	}
	return page, page
}
