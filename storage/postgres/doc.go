// Package postgres is the strata storage backend for PostgreSQL, built on
// github.com/jackc/pgx/v5 and pgxpool: the path for applications that run
// many processes against one database.
//
// Importing the package registers the "postgres" URL scheme with
// storage.Register (storage.Open maps "postgresql" to it); the root strata
// package imports it, so strata.Open(ctx, "postgres://...") and every CLI
// command's --db accept PostgreSQL URLs:
//
//	b, err := storage.Open(ctx, "postgres://app:secret@db.internal:5432/app?sslmode=require")
//
// # URL
//
// A standard postgres:// (or postgresql://) URL, as pgx parses it: host,
// port, user, password, database, sslmode and the other libpq
// parameters. Besides them:
//
//   - pool_max_conns=N: the size of the connection pool (pgxpool's
//     parameter; default max(4, number of CPUs)). Transactions beyond it
//     wait in Begin for a free connection. pool_min_conns,
//     pool_max_conn_lifetime, pool_max_conn_idle_time and
//     pool_health_check_period work too.
//   - statement_timeout=DURATION: the longest any one statement (including
//     a COMMIT that flushes buffered writes) may run, in milliseconds
//     ("5000") or as a Go duration ("5s"); 0 disables it, and without the
//     parameter the server's setting applies. A statement that runs out fails with an error saying
//     "statement timeout exceeded" and the transaction rolls back.
//   - connect_timeout=SECONDS: how long to wait for a connection (default
//     10 seconds).
//   - search_path=SCHEMA: the schema that holds strata's tables (the first
//     entry of the search path; it must exist). Any other PostgreSQL
//     setting given as a parameter (application_name, lock_timeout, ...)
//     is sent to the server when connecting.
//
// Errors from Open say what went wrong: the server is unreachable,
// authentication failed (the password is never shown), the database does
// not exist, or the database holds a newer strata format.
//
// Besides the pool, the backend keeps a second pool of at most two
// connections for the creation-time clock (see below), so a process uses
// up to pool_max_conns+2 connections.
//
// # Storage layout (format 3)
//
// The backend owns four tables, created at Open in the first schema of
// the search path (several processes may open a fresh database at once):
//
//	strata_documents (tbl text COLLATE "C", id bytea, body bytea, PRIMARY KEY (tbl, id))
//	strata_index     (tbl text COLLATE "C", idx text COLLATE "C", key bytea, id bytea, PRIMARY KEY (tbl, idx, key))
//	strata_clock     (tbl text COLLATE "C" PRIMARY KEY, bits bigint)
//	strata_meta      (name text COLLATE "C" PRIMARY KEY, value bigint)
//
// strata_meta holds the row ('format', 3) and the rows key0..key3, four
// random int64s that make up the database's secret (storage.KeyHolder;
// added by the format 2 upgrade), and a row "x:NAME" for each name set
// through storage.Metadata. Open refuses a database whose
// format is newer than the one this package writes, naming both versions,
// and upgrades an older one in one transaction. bytea compares as unsigned
// bytes and the "C" collation compares names bytewise, so index order and
// table order are exactly SQLite's.
//
// # Transactions and isolation
//
// Every transaction is SERIALIZABLE. A read-only transaction is also READ
// ONLY (not DEFERRABLE, to keep its latency low). Begin sends nothing:
// every transaction sends its BEGIN in the same pipelined batch as its
// first statement, which takes the snapshot (storage.Backend allows a
// snapshot taken by the first read rather than by Begin). A read-only
// transaction that is rolled back leaves its connection parked, still
// inside the transaction, and the connection's next transaction sends
// the ROLLBACK ahead of its own first statement; a parked connection is
// rolled back and returned to the pool after a few milliseconds if no
// transaction takes it (see park.go). So a point read costs one round
// trip, as a lone autocommit statement does.
//
// Writes (Put, Delete, PutIndex, DeleteIndex, DropTable, DropIndex, and
// storage.Inserter's Insert and InsertIndex) are buffered in the
// transaction and sent in one pipelined batch ahead of the next Scan,
// Tables or Commit (or every 1000 writes), so a transaction that only
// writes costs one round trip including BEGIN and COMMIT. Before they
// are sent, the writes of each key are reduced to its last, and keys of
// one table (or index) written alike go in one statement. Put and
// PutIndex are upserts (INSERT ... ON CONFLICT DO UPDATE); a record or
// entry the root package knows to be new (a new document's) is a plain
// INSERT, which the unique index refuses, aborting the transaction, if
// the key exists after all. Get never needs the buffer: it answers documents the
// transaction wrote from memory, and in a write transaction it also
// remembers the documents it read (by Get or Scan) so that reading one
// again, as a read-modify-write does, costs no round trip. A statement
// error (constraint, timeout, lost connection) is reported by the call
// that sent it, which may be Commit; the transaction is then rolled back
// whole.
//
// # Conflicts and retries
//
// A serialization failure (SQLSTATE 40001), a deadlock (40P01) or a full
// lock table (53200, "out of shared memory": the server's predicate locks,
// sized by max_pred_locks_per_transaction times the connections, are all
// taken by concurrent and recently committed serializable transactions)
// is returned as an error wrapping storage.ErrConflict; the root package's
// DB.Mutation and DB.Query run the transaction function again with
// jittered backoff, a bounded number of times, and then fail with an
// error saying that the transaction kept conflicting. A session the
// server ends (restart, failover, pg_terminate_backend) fails the
// transaction with an error saying so and is not retried; nothing of the
// transaction is committed. If the connection is lost after COMMIT was
// sent and before its answer arrived, Commit says that the outcome is
// unknown.
//
// # Creation times
//
// Transactions implement storage.Clock: the per-table clock in
// strata_clock hands out creation times through short autocommit UPDATEs
// on the clock pool, outside the serializable transaction, so concurrent
// inserts into one table do not conflict with each other. See
// docs/decisions.md.
//
// # Compatibility
//
// The SQL stays within what CockroachDB and YugabyteDB also accept:
// SERIALIZABLE transactions, bytea keys, INSERT ... ON CONFLICT, recursive
// CTEs, no advisory locks and no LISTEN/NOTIFY.
package postgres
