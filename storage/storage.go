// Package storage defines the contract between strata and the engines that
// hold its bytes, in the spirit of database/sql/driver: a backend stores
// opaque document records and ordered index entries, and knows nothing of
// schemas, validators or migrations.
//
// Backends register themselves by URL scheme with Register, as database/sql
// drivers do, and are opened with Open:
//
//	import _ "github.com/strata-db/strata/storage/sqlite"
//	b, err := storage.Open(ctx, "sqlite:app.db")
//
// Every transaction is serializable. Keys compare as unsigned bytes
// (memcmp), on every backend.
package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrNotFound is returned by Tx.Get when no record has the requested id.
var ErrNotFound = errors.New("storage: not found")

// ErrConflict is wrapped by errors that mean "the transaction lost a
// serialization race and may succeed if retried from the start" (a
// PostgreSQL serialization failure or deadlock, SQLITE_BUSY on a snapshot
// upgrade). The layer above retries transaction functions on it.
var ErrConflict = errors.New("storage: transaction conflict, retry")

// ErrReadOnly is returned by write methods of a read-only transaction.
var ErrReadOnly = errors.New("storage: write in a read-only transaction")

// ErrTxDone is returned by any method of a transaction that has already
// committed or rolled back.
var ErrTxDone = errors.New("storage: transaction already committed or rolled back")

// ErrClosed is wrapped by errors from Begin after the backend was closed,
// and by errors from a transaction that Close aborted (such errors also
// wrap ErrTxDone).
var ErrClosed = errors.New("storage: backend closed")

// ErrAssumption is wrapped, together with ErrConflict, by the error of a
// transaction whose assumed read (Assumer) did not hold.
var ErrAssumption = errors.New("storage: an assumed read did not hold")

// A Driver opens backends for one URL scheme.
type Driver interface {
	// Open opens (creating if needed) the store named by url, whose scheme
	// is the one the driver registered under.
	Open(ctx context.Context, url string) (Backend, error)
}

// Backend is an open store. It is safe for concurrent use.
type Backend interface {
	// Begin starts a transaction. A read-only transaction sees one
	// consistent snapshot, taken after Begin was called and no later than
	// its first read (a backend may take it with the first statement, so
	// commits made between Begin and the first read may or may not be
	// seen; every later read sees the same snapshot as the first); a
	// writable one is serializable with every other transaction on the
	// store, in every process.
	Begin(ctx context.Context, writable bool) (Tx, error)
	// Close releases the backend's resources. Transactions still open
	// when Close is called fail.
	Close() error
}

// Range is a half-open key range [Start, End). A nil Start is unbounded
// below; a nil End is unbounded above.
type Range struct {
	Start, End []byte
}

// ScanRequest describes an index scan.
type ScanRequest struct {
	Table string
	Index string // an index name; entries were written with PutIndex
	Range Range
	// Reverse scans from the end of the range towards its start.
	Reverse bool
	// Limit caps the number of entries returned; 0 means no limit.
	Limit int
	// KeysOnly leaves Entry.Body nil, saving the document read.
	KeysOnly bool
}

// Entry is one index entry returned by a scan, joined with the document
// record it points to.
type Entry struct {
	Key  []byte // the index key
	ID   []byte // the document id the entry points to
	Body []byte // the document record, nil if KeysOnly or the record is missing
}

// Tx is a transaction. It is not safe for concurrent use. Byte slices
// passed in may be retained by the transaction until it ends and must not
// be modified by the caller; byte slices returned belong to the caller.
type Tx interface {
	// Get returns the record of the document id in table, or ErrNotFound.
	Get(table string, id []byte) ([]byte, error)
	// Put inserts or replaces the record of document id in table.
	Put(table string, id, body []byte) error
	// Delete removes the record of document id; deleting a missing record
	// is not an error.
	Delete(table string, id []byte) error
	// PutIndex inserts or replaces the entry key -> id of index in table.
	PutIndex(table, index string, key, id []byte) error
	// DeleteIndex removes the entry key of index in table; removing a
	// missing entry is not an error.
	DeleteIndex(table, index string, key []byte) error
	// Scan returns the entries of an index within a range, in key order
	// (or reverse key order), each joined with its document's record.
	Scan(req ScanRequest) ([]Entry, error)
	// Tables lists the tables that hold at least one document, sorted.
	Tables() ([]string, error)
	// DropTable removes every record and index entry of table.
	DropTable(table string) error
	// DropIndex removes every entry of one index of table.
	DropIndex(table, index string) error
	// Commit makes the transaction's writes durable and visible, or
	// returns an error (wrapping ErrConflict if a retry may succeed) and
	// leaves nothing behind.
	Commit() error
	// Rollback discards the transaction. Rollback after Commit or
	// Rollback is a no-op returning nil, so it can always be deferred.
	Rollback() error
}

// Clock is an optional interface of a Tx: a per-table source of document
// creation times shared by every transaction on the store and kept
// outside transaction isolation, so that concurrent inserts into one table
// do not conflict by all reading the table's newest creation time. The
// PostgreSQL backend implements it; the root package falls back to
// reading the newest creation time in the transaction when a Tx does not
// (SQLite, whose writers run one at a time, has nothing to gain).
type Clock interface {
	// ReserveCreationTimes reserves n (at least 1) consecutive float64
	// values for new documents of table: first and the n-1 values above
	// it, each math.Nextafter of the one before. first is at least
	// atLeast (a positive finite number) and greater than every value
	// reserved for table before through the same Backend, even by a
	// transaction that later rolled back; no value is ever reserved twice
	// for a table, by any Backend of any process; reservations are never
	// undone. Across Backends values need not follow the order in which
	// they were reserved: a Backend may hand out values from a window it
	// reserved a few milliseconds earlier (see the backend's
	// documentation for how far its values may run ahead of atLeast). When no
	// value was ever reserved for table and seed is false, it reserves
	// nothing and returns ok false: the caller finds the table's newest
	// creation time T and calls again with atLeast above T and seed true.
	// It runs in its own short transaction, not in the receiver's, and
	// never fails with storage.ErrConflict.
	ReserveCreationTimes(table string, atLeast float64, n int, seed bool) (first float64, ok bool, err error)
}

// Assumer is an optional interface of a Tx for a read whose answer the
// caller already knows from a cache (the head of strata's schemas): rather
// than wait for the read before going on, the caller assumes its answer
// and the backend checks it in the same snapshot with the transaction's
// next round trip. A write transaction then pays no round trip for it.
type Assumer interface {
	// AssumeFirstKey records that the first entry of req's range, in
	// req's order, has key want (nil: the range is empty); req.Limit and
	// req.KeysOnly are ignored. The backend reads it in the transaction's
	// snapshot, as Scan would and taking the same locks, together with the
	// next statement that reads, or before Commit if none does. If the key
	// differs, that statement (or Commit) fails with an error wrapping
	// ErrConflict and ErrAssumption, and the transaction commits nothing.
	AssumeFirstKey(req ScanRequest, want []byte) error
}

// Inserter is an optional interface of a write Tx for writes of records
// and index entries that the caller knows do not exist in the
// transaction's view: those of a document whose id it has just made
// (strata's ids are random) or has checked for. A backend may then write
// them with a cheaper statement than Put's insert-or-replace
// (PostgreSQL: a plain INSERT, where an upsert first probes the unique
// index and then writes a confirmation record for the row it inserted).
// The root package uses it when the Tx implements it, Put and PutIndex
// otherwise.
//
// Each method may write as Put (PutIndex) would. A backend that writes
// otherwise fails the transaction when the record or entry does exist:
// the call or a later one (Commit at the latest) returns an error and
// nothing is committed. Either way a wrong call never commits without its
// write.
type Inserter interface {
	// Insert stores the record of document id in table, which does not
	// exist in the transaction's view.
	Insert(table string, id, body []byte) error
	// InsertIndex adds the entry key -> id of index in table, whose key
	// does not exist in the transaction's view.
	InsertIndex(table, index string, key, id []byte) error
}

// Enumerator is an optional interface of a Tx that lists what the store
// holds below the document layer, for tools that copy a store record for
// record (strata copy). Both built-in backends implement it.
type Enumerator interface {
	// Indexes lists the names of the indexes of table that hold at least
	// one entry, sorted bytewise.
	Indexes(table string) ([]string, error)
	// ScanDocuments returns the records of table whose ids are in the
	// range r, in id order, at most limit of them (0: no limit). Each
	// Entry has ID and Body set and Key nil.
	ScanDocuments(table string, r Range, limit int) ([]Entry, error)
}

// SameStorer is an optional interface of a Backend that tells whether
// another open backend holds the very same store, however the two were
// named (a SQLite file by another path or link; a PostgreSQL database
// through another host name or address). Tools that write one store from
// another (strata copy) use it to refuse copying a store onto itself. Both
// built-in backends implement it.
type SameStorer interface {
	// SameStore reports whether other holds the same records as the
	// receiver: the same file, or the same tables of the same database of
	// the same server. A backend of another kind is never the same store.
	SameStore(ctx context.Context, other Backend) (bool, error)
}

// RelaxedBeginner is an optional interface of a Backend that can commit a
// write transaction without waiting for stable storage (SQLite, with
// synchronous=NORMAL for that transaction). The migration engine runs its
// batches so: a batch is redone from its cursor if it is lost.
type RelaxedBeginner interface {
	// BeginRelaxed starts a write transaction like Begin(ctx, true) whose
	// commit is atomic and isolated and survives a crash of the process,
	// but may be undone by a crash of the operating system or a power
	// loss, together with later relaxed commits, until a transaction
	// started with Begin commits: that commit makes every earlier one
	// durable too. Nothing is ever partly undone.
	BeginRelaxed(ctx context.Context) (Tx, error)
}

// Waiters is an optional interface of a write Tx of a backend whose write
// transactions run one at a time (SQLite). A long transaction, such as a
// migration batch, uses it to end early when others are queued behind it.
type Waiters interface {
	// WritersWaiting reports how many write transactions of this process
	// are waiting for the write lock this transaction holds.
	WritersWaiting() int
}

// BatchGetter is an optional interface of a Tx that reads many documents
// of one table in one round trip. The root package uses it for
// Tx.GetMany; a backend without it is read one Get at a time.
type BatchGetter interface {
	// GetMany returns the records of the documents ids of table, in the
	// order of ids, nil for a missing one. It sees the transaction's own
	// writes, like Get.
	GetMany(table string, ids [][]byte) ([][]byte, error)
}

// Counter is an optional interface of a Tx that counts the entries of an
// index range without returning them. The root package uses it for
// Query.Count; a backend without it is counted by scanning keys.
type Counter interface {
	// CountIndex returns how many entries index of table holds in r. It
	// sees the transaction's own writes, like Scan, and counts the entries
	// Scan would return, dangling ones included.
	CountIndex(table, index string, r Range) (int64, error)
}

// IntegrityChecker is an optional interface of a Tx that runs the storage
// engine's own consistency check of its files or structures, below
// strata's records and index entries (SQLite: PRAGMA integrity_check).
// strata.DB.Check uses it.
type IntegrityChecker interface {
	// CheckIntegrity runs the engine's check within the transaction's
	// snapshot. It returns what it ran (for example "PRAGMA
	// integrity_check") and each problem the engine reported, at most max
	// of them (0: no cap); no problems means the engine found nothing
	// wrong. When the engine offers nothing that can run here, what is ""
	// and note says why (for example a missing extension).
	CheckIntegrity(max int) (what, note string, problems []string, err error)
}

// IndexClearer is an optional interface of a write Tx that removes every
// index entry of every table at once, without relying on the order of the
// engine's structures, so that a rebuild from the documents also repairs
// a damaged index tree. strata.DB.RepairIndexes uses it; without it each
// index is dropped with DropIndex.
type IndexClearer interface {
	// ClearIndexes removes every entry of every index of every table.
	ClearIndexes() error
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes a driver available under a URL scheme ("sqlite",
// "postgres"). It panics if called twice for the same scheme or with a nil
// driver, like database/sql.Register: both are programming errors.
func Register(scheme string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d == nil {
		panic("storage: Register driver is nil")
	}
	if _, dup := drivers[scheme]; dup {
		panic("storage: Register called twice for scheme " + scheme)
	}
	drivers[scheme] = d
}

// Drivers returns the registered URL schemes, sorted.
func Drivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// driverPackages names the package that registers each of strata's own
// backends, so that a program that forgot the import is told which.
var driverPackages = map[string]string{
	"sqlite":   "github.com/strata-db/strata/storage/sqlite",
	"postgres": "github.com/strata-db/strata/storage/postgres",
}

// Open opens the store named by url with the driver registered for its
// scheme: "sqlite:PATH", "postgres://..." (also "postgresql://...").
func Open(ctx context.Context, url string) (Backend, error) {
	if IsKeyValueConnString(url) {
		return nil, fmt.Errorf("storage: open %q: a PostgreSQL key=value connection string is not accepted: write it as a URL, postgres://user:password@host:port/dbname?sslmode=disable", Redact(url))
	}
	scheme, _, ok := strings.Cut(url, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("storage: open %q: no scheme (want sqlite:PATH or postgres://...)", Redact(url))
	}
	if scheme == "postgresql" {
		scheme = "postgres"
	}
	driversMu.RLock()
	d, found := drivers[scheme]
	driversMu.RUnlock()
	if !found {
		if pkg, ok := driverPackages[scheme]; ok {
			return nil, fmt.Errorf("storage: open %q: the %s backend is not linked into this program: add import _ %q", Redact(url), scheme, pkg)
		}
		registered := strings.Join(Drivers(), ", ")
		if registered == "" {
			registered = "none"
		}
		return nil, fmt.Errorf("storage: open %q: unknown scheme %q (registered: %s)", Redact(url), scheme, registered)
	}
	return d.Open(ctx, url)
}

// KeyHolder is an optional interface of a Backend that keeps a secret:
// random bytes created with the database (or added by the format upgrade
// that introduced them), the same for every process and every Open of
// that database, and different for every database, copies included. The
// root package keys the integrity check of pagination cursors with it.
// Both built-in backends implement it.
type KeyHolder interface {
	// DatabaseKey returns the database's secret, at least 32 bytes. The
	// caller must not modify it.
	DatabaseKey() []byte
}

// DatabaseKeyRows is how many int64 values (8 bytes each, big-endian)
// make up the secret of a built-in backend, which stores them as rows
// "key0", "key1", ... of its strata_meta table.
const DatabaseKeyRows = 4
