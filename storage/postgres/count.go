package postgres

import (
	"bytes"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/storage"
)

var _ storage.Counter = (*tx)(nil)

// CountIndex implements storage.Counter with one COUNT(*) over the range
// of the index's primary key, sent with the buffered writes.
func (t *tx) CountIndex(table, index string, r storage.Range) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return 0, err
	}
	start := nz(r.Start)
	q := `SELECT count(*) FROM strata_index WHERE tbl = $1 AND idx = $2 AND key >= $3`
	args := []any{table, index, start}
	if r.End != nil {
		if bytes.Compare(start, r.End) >= 0 {
			return 0, nil
		}
		q += ` AND key < $4`
		args = append(args, r.End)
	}
	var n int64
	err := t.query(fmt.Sprintf("count %s.%s", table, index), q, args, func(rows pgx.Rows) error {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return fmt.Errorf("count returned no row")
		}
		return rows.Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
