package sqlite

import (
	"bytes"
	"fmt"

	"github.com/strata-db/strata/storage"
)

var _ storage.Counter = (*tx)(nil)

// CountIndex implements storage.Counter with one COUNT(*) over the range
// of the index's primary-key order.
func (t *tx) CountIndex(table, index string, r storage.Range) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return 0, err
	}
	if err := t.flushPuts("count"); err != nil {
		return 0, err
	}
	start := nz(r.Start)
	var n int64
	var err error
	if r.End == nil {
		err = t.c.c.QueryRowContext(t.ctx, `SELECT count(*) FROM strata_index WHERE tbl = ? AND idx = ? AND key >= ?`,
			table, index, start).Scan(&n)
	} else {
		if bytes.Compare(start, r.End) >= 0 {
			return 0, nil
		}
		err = t.c.c.QueryRowContext(t.ctx, `SELECT count(*) FROM strata_index WHERE tbl = ? AND idx = ? AND key >= ? AND key < ?`,
			table, index, start, r.End).Scan(&n)
	}
	if err != nil {
		return 0, t.fail(fmt.Sprintf("count %s.%s", table, index), err)
	}
	return n, nil
}
