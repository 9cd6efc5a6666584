package sqlite

import (
	"context"
	"fmt"
	"os"

	"github.com/strata-db/strata/storage"
)

var _ storage.SameStorer = (*Backend)(nil)

// SameStore reports whether other is a SQLite backend on the same file as
// b, by os.SameFile: two paths that differ in spelling ("./x.db",
// "/dir/./x.db"), through a symbolic link or a hard link name one store.
func (b *Backend) SameStore(ctx context.Context, other storage.Backend) (bool, error) {
	o, ok := other.(*Backend)
	if !ok {
		return false, nil
	}
	fa, err := os.Stat(b.cfg.path)
	if err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	fb, err := os.Stat(o.cfg.path)
	if err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	return os.SameFile(fa, fb), nil
}
