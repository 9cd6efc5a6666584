package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"

	"github.com/strata-db/strata/storage"
)

var _ storage.Enumerator = (*tx)(nil)

// Indexes lists the indexes of table holding at least one entry, sorted
// bytewise. It seeks from name to name instead of reading every entry.
func (t *tx) Indexes(table string) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	var out []string
	var name string
	err := t.c.c.QueryRowContext(t.ctx, `SELECT idx FROM strata_index WHERE tbl = ? ORDER BY idx LIMIT 1`, table).Scan(&name)
	for err == nil {
		out = append(out, name)
		err = t.c.c.QueryRowContext(t.ctx, `SELECT idx FROM strata_index WHERE tbl = ? AND idx > ? ORDER BY idx LIMIT 1`, table, name).Scan(&name)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, t.fail("list indexes", err)
	}
	return out, nil
}

// ScanDocuments returns the records of table with ids in r, in id order,
// at most limit (0: no limit).
func (t *tx) ScanDocuments(table string, r storage.Range, limit int) ([]storage.Entry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, fmt.Errorf("sqlite: scan documents of %s: negative limit %d", table, limit)
	}
	if err := t.flushPuts("scan documents"); err != nil {
		return nil, err
	}
	start := nz(r.Start)
	if r.End != nil && bytes.Compare(start, r.End) >= 0 {
		return nil, nil
	}
	lim := int64(limit)
	if lim == 0 {
		lim = -1
	}
	var rows *sql.Rows
	var err error
	if r.End == nil {
		rows, err = t.c.query(t.ctx, stmtScanDocs, table, start, lim)
	} else {
		rows, err = t.c.c.QueryContext(t.ctx, `SELECT id, body FROM strata_documents WHERE tbl = ? AND id >= ? AND id < ? ORDER BY id LIMIT ?`, table, start, r.End, lim)
	}
	if err != nil {
		return nil, t.fail("scan documents", err)
	}
	defer rows.Close()
	var out []storage.Entry
	if limit > 0 {
		out = make([]storage.Entry, 0, min(limit, 256))
	}
	// The rows' bytes are copied into shared slabs of up to 16 records:
	// one allocation per slab rather than two per record. A large record
	// gets an allocation of its own.
	var slab []byte
	var id, body sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id, &body); err != nil {
			return nil, t.fail("scan documents", err)
		}
		if n := len(id) + len(body); slab == nil || cap(slab)-len(slab) < n {
			records := 16
			if limit > 0 {
				records = min(records, limit-len(out))
			}
			if n > 4<<10 {
				records = 1
			}
			slab = make([]byte, 0, max(records*n, 1))
		}
		slab = append(slab, id...)
		eid := slab[len(slab)-len(id) : len(slab) : len(slab)]
		slab = append(slab, body...)
		ebody := slab[len(slab)-len(body) : len(slab) : len(slab)]
		out = append(out, storage.Entry{ID: eid, Body: ebody})
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail("scan documents", err)
	}
	return out, nil
}
