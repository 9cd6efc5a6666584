package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/storage"
)

var _ storage.Metadata = (*tx)(nil)

// metaPrefix keeps callers' names apart from the layout's own rows of
// strata_meta (format, key0..key3).
const metaPrefix = "x:"

// Metadata implements storage.Metadata with a row of strata_meta, read
// together with the buffered writes.
func (t *tx) Metadata(name string) (int64, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return 0, false, err
	}
	var v int64
	found := false
	err := t.query("read metadata "+name, `SELECT value FROM strata_meta WHERE name = $1`, []any{metaPrefix + name}, func(rows pgx.Rows) error {
		if !rows.Next() {
			return nil
		}
		found = true
		return rows.Scan(&v)
	})
	if err != nil {
		return 0, false, err
	}
	return v, found, nil
}

// SetMetadata implements storage.Metadata; the write is buffered like
// the others.
func (t *tx) SetMetadata(name string, v int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write("write metadata "+name, `INSERT INTO strata_meta (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, metaPrefix+name, v)
}
