package storage

import "context"

type bulkReadKey struct{}

// WithBulkRead returns a context that marks the transactions begun with it
// as bulk readers: system work (a migration's batches and counts) that
// reads many rows of a table in one transaction. A backend whose
// serializable transactions lock every row they read (PostgreSQL, whose
// table of such predicate locks is bounded and shared by the whole
// server) then locks each relation it scans once instead, so a bulk
// transaction holds a handful of locks whatever it reads. The price is
// coarser conflict detection: such a transaction conflicts with every
// concurrent writer of the relation, as PostgreSQL's own promotion of row
// locks to a relation lock would make it after a few dozen pages. Other
// backends ignore the mark.
func WithBulkRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkReadKey{}, true)
}

// IsBulkRead reports whether ctx was marked by WithBulkRead.
func IsBulkRead(ctx context.Context) bool {
	b, _ := ctx.Value(bulkReadKey{}).(bool)
	return b
}
