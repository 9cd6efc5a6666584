package sqlite

import (
	"errors"
	"fmt"

	"github.com/strata-db/strata/storage"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

var _ storage.IntegrityChecker = (*tx)(nil)

// CheckIntegrity runs PRAGMA integrity_check on the transaction's
// connection: the structure of every page and B-tree of the file, the
// order of every row in its primary key, and the free list. It reads the
// whole file, so it costs about as much as reading every document and
// index entry once.
func (t *tx) CheckIntegrity(max int) (what, note string, problems []string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return "", "", nil, err
	}
	if err := t.flushPuts("integrity check"); err != nil {
		return "", "", nil, err
	}
	if max <= 0 {
		max = 1 << 30
	}
	q := fmt.Sprintf("PRAGMA integrity_check(%d)", max)
	rows, err := t.c.c.QueryContext(t.ctx, q)
	if isCorrupt(err) {
		return "PRAGMA integrity_check", "", []string{err.Error()}, nil
	}
	if err != nil {
		return "", "", nil, t.fail("integrity check", err)
	}
	defer rows.Close()
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return "", "", nil, t.fail("integrity check", err)
		}
		if msg != "ok" {
			problems = append(problems, msg)
		}
	}
	if err := rows.Err(); isCorrupt(err) {
		problems = append(problems, err.Error())
	} else if err != nil {
		return "", "", nil, t.fail("integrity check", err)
	}
	return "PRAGMA integrity_check", "", problems, nil
}

// isCorrupt reports whether err is SQLite's report of a damaged file
// (SQLITE_CORRUPT, SQLITE_NOTADB): a finding of the check, not a failure
// to run it.
func isCorrupt(err error) bool {
	var se *sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3lib.SQLITE_CORRUPT, sqlite3lib.SQLITE_NOTADB:
		return true
	}
	return false
}
