package sqlite

import (
	"database/sql"
	"errors"

	"github.com/strata-db/strata/storage"
)

var _ storage.Metadata = (*tx)(nil)

// metaPrefix keeps callers' names apart from the layout's own rows of
// strata_meta (format).
const metaPrefix = "x:"

// Metadata implements storage.Metadata with a row of strata_meta.
func (t *tx) Metadata(name string) (int64, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return 0, false, err
	}
	var v int64
	err := t.c.c.QueryRowContext(t.ctx, `SELECT value FROM strata_meta WHERE name = ?`, metaPrefix+name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, t.fail("read metadata "+name, err)
	}
	return v, true, nil
}

// SetMetadata implements storage.Metadata.
func (t *tx) SetMetadata(name string, v int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(true); err != nil {
		return err
	}
	_, err := t.c.c.ExecContext(t.ctx, `INSERT INTO strata_meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, metaPrefix+name, v)
	if err != nil {
		return t.fail("write metadata "+name, err)
	}
	return nil
}
