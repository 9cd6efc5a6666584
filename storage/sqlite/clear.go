package sqlite

import "github.com/strata-db/strata/storage"

var _ storage.IndexClearer = (*tx)(nil)

// ClearIndexes removes every index entry of every table with one
// unqualified DELETE, which SQLite carries out by freeing every page of
// the strata_index B-tree without walking its keys: it works whatever
// order a damaged tree is in, and the entries written after it build a
// new, well-formed tree.
func (t *tx) ClearIndexes() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(true); err != nil {
		return err
	}
	if err := t.flushPuts("clear indexes"); err != nil {
		return err
	}
	if _, err := t.c.c.ExecContext(t.ctx, `DELETE FROM strata_index`); err != nil {
		return t.fail("clear indexes", err)
	}
	return nil
}
