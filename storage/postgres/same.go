package postgres

import (
	"context"
	"fmt"

	"github.com/strata-db/strata/storage"
)

var _ storage.SameStorer = (*Backend)(nil)

// identity names the store a backend holds, independently of how its URL
// reached the server.
type identity struct {
	system    string // pg_control_system().system_identifier, "" if not readable
	started   string // pg_postmaster_start_time(), to the microsecond
	database  uint32 // oid of current_database()
	documents uint32 // oid of the strata_documents table search_path finds
}

// identity reads b's store identity on one pooled connection.
func (b *Backend) identity(ctx context.Context) (identity, error) {
	var id identity
	err := b.pool.QueryRow(ctx, `SELECT pg_postmaster_start_time()::text,
		(SELECT oid FROM pg_database WHERE datname = current_database()),
		to_regclass('strata_documents')::oid`).Scan(&id.started, &id.database, &id.documents)
	if err != nil {
		return id, fmt.Errorf("postgres: %s: identify the database: %w", b.where, err)
	}
	// Reading the server's system identifier needs a privilege that an
	// application role may lack; the start time then stands in for it.
	var sys int64
	if err := b.pool.QueryRow(ctx, `SELECT system_identifier FROM pg_control_system()`).Scan(&sys); err == nil {
		id.system = fmt.Sprint(sys)
	}
	return id, nil
}

// SameStore reports whether other is a PostgreSQL backend on the same
// strata tables as b: the same server (its system identifier when both
// connections may read it, and its start time), the same database and
// the same strata_documents table (the same schema of search_path). Two
// URLs that reach the server by different host names or addresses, or
// with different parameters, are the same store; two databases, or two
// schemas of one database, are not.
func (b *Backend) SameStore(ctx context.Context, other storage.Backend) (bool, error) {
	o, ok := other.(*Backend)
	if !ok {
		return false, nil
	}
	x, err := b.identity(ctx)
	if err != nil {
		return false, err
	}
	y, err := o.identity(ctx)
	if err != nil {
		return false, err
	}
	if x.system != "" && y.system != "" && x.system != y.system {
		return false, nil
	}
	return x.started == y.started && x.database == y.database && x.documents == y.documents, nil
}
