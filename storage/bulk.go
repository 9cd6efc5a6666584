package storage

import "context"

type bulkReadKey struct{}

// WithBulkRead returns a context that marks the transactions begun with it
// as bulk readers: system work (a migration's batches and counts) that
// reads many rows of a table in one transaction. A backend whose
// serializable transactions lock every row they read in a bounded table
// shared by the whole server (PostgreSQL's predicate locks) may then lock
// each relation it reads once instead; PostgreSQL does so while the server
// is short of lock memory (it recently failed a statement with SQLSTATE
// 53200), so such a transaction holds a handful of locks whatever it
// reads. The price is coarser conflict detection: the transaction then
// conflicts with every concurrent writer of the relation, as PostgreSQL's
// own promotion of row locks to a relation lock would make it after a few
// dozen pages. Other backends ignore the mark.
func WithBulkRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkReadKey{}, true)
}

// IsBulkRead reports whether ctx was marked by WithBulkRead.
func IsBulkRead(ctx context.Context) bool {
	b, _ := ctx.Value(bulkReadKey{}).(bool)
	return b
}
