// Package sqlite is the embedded strata storage backend, built on
// modernc.org/sqlite (pure Go: it builds with CGO_ENABLED=0).
//
// Importing the package registers the "sqlite" URL scheme with
// storage.Register:
//
//	import _ "github.com/strata-db/strata/storage/sqlite"
//	b, err := storage.Open(ctx, "sqlite:app.db")
//
// # URL
//
// The URL is sqlite:PATH, optionally followed by query parameters. PATH is
// relative to the working directory or absolute ("sqlite:///abs/app.db" and
// "sqlite://rel.db" are accepted too). The file is created if missing.
// Parameters (unknown ones are an error):
//
//   - synchronous=full|normal|extra|off: durability of a commit (default
//     full, see below).
//   - busy_timeout=DURATION: how long a write transaction waits for the
//     write lock held by another process before failing with an error
//     wrapping storage.ErrConflict ("60s", or milliseconds "60000";
//     default 60s, DefaultBusyTimeout). Readers never wait for it.
//   - readers=N: maximum number of read connections (default
//     max(4, GOMAXPROCS)); read transactions beyond it wait for one.
//   - checkpoint_interval=DURATION: period of the background WAL
//     checkpoint (default 1s).
//   - checkpoint_pages=N: run the checkpoint early once this process has
//     appended N pages to the WAL (default 10000).
//   - cache_mib=N: the page cache of each connection, in MiB (default 64;
//     it grows only as it is used). `strata import` opens with 16: one
//     long write transaction gains little from more, and the memory of
//     an import then stays flat at about 60 MiB whatever the file's size.
//
// # Storage layout (format 3)
//
// The backend owns three tables in the file:
//
//	strata_documents (tbl TEXT, id BLOB, body BLOB, PRIMARY KEY (tbl, id)) WITHOUT ROWID
//	strata_index     (tbl TEXT, idx TEXT, key BLOB, id BLOB, PRIMARY KEY (tbl, idx, key)) WITHOUT ROWID
//	strata_meta      (name TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID
//
// strata_meta holds the row ('format', 3) and the rows key0..key3, four
// random int64s that make up the database's secret (storage.KeyHolder;
// added by the format 2 upgrade), and a row "x:NAME" for each name set
// through storage.Metadata. Open refuses a file whose format
// is newer than the one this package writes, naming both versions, and
// upgrades an older one in a single transaction. Open reads the format
// without taking the write lock: it takes it (waiting up to busy_timeout)
// only when it must create the tables or upgrade the format, so opening a
// current database never waits for another process's write transaction.
// Keys and ids are BLOBs, which SQLite compares with memcmp: the order
// storage requires.
//
// # Concurrency
//
// The file is in WAL mode. Every transaction is serializable:
//
//   - Write transactions run one at a time on a single write connection,
//     started with BEGIN IMMEDIATE so they hold SQLite's write lock from
//     the start and never fail on a lock upgrade. Within a process, writers
//     wait for that connection in a fair first-come first-served queue, so a
//     small transaction queued behind a stream of large ones gets the next
//     turn instead of sleeping in SQLite's busy handler. Across processes
//     (several may open the same file) writers take turns through SQLite's
//     write lock: a writer waits for it up to busy_timeout (60s by
//     default), so processes importing at the same time run one after the
//     other; one that cannot get the lock in time fails with an error
//     wrapping storage.ErrConflict.
//   - Read transactions use a separate pool of connections and see one
//     snapshot of the database, taken by their first read (so it holds
//     every commit made before Begin, and maybe some made between Begin
//     and that read, as storage.Backend allows). They never block writers or each
//     other, and never wait for a writer, in this process or another:
//     Open and a query answer while another process holds a long write
//     transaction.
//   - A transaction holding the write connection blocks every other writer
//     of the process: keep write transactions short, and never begin a
//     second write transaction in a goroutine that already holds one.
//
// # Durability
//
// With the default synchronous=full each commit is synced to disk before
// Commit returns and survives power loss. With synchronous=normal a
// committed transaction survives a crash of the process (the WAL is in the
// operating system's cache) but the last transactions before a power loss
// or kernel crash may be lost; the database is never corrupted. normal
// trades that for cheaper commits; see docs/decisions.md for the figures.
//
// Every connection memory-maps up to 256 MiB of the file (mmap_size), so
// reads of a warm database are memory reads rather than one system call
// per page; the operating system's page cache holds the data once for all
// connections.
//
// WAL checkpoints are taken off the commit path: automatic checkpoints are
// disabled and a background goroutine runs PASSIVE checkpoints every
// checkpoint_interval, and as soon as this process has appended
// checkpoint_pages pages to the WAL.
// Close stops it and runs a final checkpoint.
package sqlite
