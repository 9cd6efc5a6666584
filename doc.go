// Package strata is a document database for Go services whose schema can
// change while the service keeps running.
//
// Documents live in tables, are checked by validators (package v) and read
// through indexes, inside serializable transactions. A backend is linked
// in by importing its package, as database/sql drivers are:
//
//	import _ "github.com/strata-db/strata/storage/sqlite" // or storage/postgres
//
//	db, err := strata.Open(ctx, "sqlite:app.db")
//	s, err := strata.NewSchema(
//		strata.Table("users", v.Object{
//			"name":      v.String(),
//			"email":     v.String(),
//			"avatarUrl": v.Optional(v.String()),
//		}).Index("by_email", "email"),
//	)
//	err = db.SetSchema(ctx, s)
//
//	err = db.Mutation(ctx, func(tx *strata.Tx) error {
//		_, err := tx.Insert("users", strata.Doc{"name": "Ada", "email": "ada@example.com"})
//		return err
//	})
//
//	err = db.Query(ctx, func(tx *strata.Tx) error {
//		u, err := tx.Table("users").WithIndex("by_email", strata.Eq("email", "ada@example.com")).Unique()
//		if err != nil {
//			return err
//		}
//		avatar := u.StringOr("avatarUrl", "") // the field may be missing
//		_ = avatar
//		return nil
//	})
//
// # Transactions
//
// Query runs a read-only function over one consistent snapshot. Mutation
// runs a read-write function in a serializable transaction that commits
// when the function returns nil and rolls back when it returns an error or
// panics; on a serialization conflict the function runs again, so it must
// be deterministic over what it reads.
//
// Application transactions are held to Limits (by default, as Convex: 32,000
// documents read, 16,000 documents written, 16 MiB written; set with
// WithLimits at Open): one that goes past a limit fails with a *LimitError
// naming the limit, the count and the function, and commits nothing.
// strata's own work (schema pushes, index builds, migrations, the command
// line's import and export) is exempt.
//
// # Documents
//
// Every document has _id (an opaque, url-safe ID that names its table) and
// _creationTime (milliseconds since the Unix epoch, strictly increasing
// within a table). Insert, Patch (shallow merge; Unset removes a field),
// Replace (keeps the system fields) and Delete validate the whole document
// against the active schema; a refused write changes nothing and its
// *WriteError names the table, document and field path.
//
// # Queries
//
// Tx.Table starts a query in _creationTime order; WithIndex reads through
// an index restricted by Eq on a prefix of its fields and at most one lower
// and one upper bound on the next; Order, Filter (Field(...).Eq, And, Or,
// Not, ...); then Take, First, Unique, Collect, Each or Paginate. Cursors
// from Paginate are opaque, bound to their query and to their database
// (an HMAC keyed by a secret created with the database: a changed cursor,
// or one from another database, is ErrInvalidCursor), and stable under
// concurrent writes.
package strata
