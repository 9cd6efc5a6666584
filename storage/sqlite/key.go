package sqlite

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/strata-db/strata/storage"
)

var _ storage.KeyHolder = (*Backend)(nil)

// DatabaseKey returns the database's secret (storage.KeyHolder): 32
// random bytes stored in strata_meta by the format 2 upgrade.
func (b *Backend) DatabaseKey() []byte { return b.key }

// addKey is the format 1 to 2 upgrade: it stores a new random secret as
// rows key0..key3 of strata_meta (replacing any left behind).
func addKey(ctx context.Context, c *conn) error {
	var k [8 * storage.DatabaseKeyRows]byte
	if _, err := rand.Read(k[:]); err != nil {
		return fmt.Errorf("database key: %w", err)
	}
	for i := range storage.DatabaseKeyRows {
		v := int64(binary.BigEndian.Uint64(k[8*i:]))
		if _, err := c.c.ExecContext(ctx, `INSERT INTO strata_meta (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, fmt.Sprintf("key%d", i), v); err != nil {
			return err
		}
	}
	return nil
}

// loadKey reads the database's secret into b.key; a plain read, which
// waits for no writer.
func (b *Backend) loadKey(ctx context.Context) error {
	key := make([]byte, 0, 8*storage.DatabaseKeyRows)
	for i := range storage.DatabaseKeyRows {
		var v int64
		if err := b.writer.c.QueryRowContext(ctx, `SELECT value FROM strata_meta WHERE name = ?`, fmt.Sprintf("key%d", i)).Scan(&v); err != nil {
			return fmt.Errorf("read database key: %w", mapErr(err))
		}
		key = binary.BigEndian.AppendUint64(key, uint64(v))
	}
	b.key = key
	return nil
}
