// Package system is the privileged surface of package strata: what
// strata's own packages (migrate, functions) may do below the public API,
// such as writing the system tables (_migrations, _scheduled_functions)
// inside an application's transaction. Applications cannot import it, and
// the public API refuses writes to tables whose name starts with "_".
//
// Package strata registers its Core once, at init; a package fetches it
// with Open, at its own init, and gets a Surface bound to the system
// tables that package owns (see grants): a write to any other table is
// refused with ErrDenied. The type parameters are *strata.DB and
// *strata.Tx, so every call is checked by the compiler; Open checks them
// once against what strata registered.
package system

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/value"
)

// Core is what package strata gives its own packages. DB and Tx are
// *strata.DB and *strata.Tx. Writes are checked by Surface against the
// caller's grant before they reach Core; Core itself checks only that the
// table is a system table and the transaction writable. System documents
// are not validated (system tables have no schema) but must be valid
// values.
type Core[DB, Tx any] struct {
	// Insert adds doc to the system table and returns its id.
	Insert func(tx Tx, table string, doc map[string]any) (value.ID, error)
	// Patch shallow-merges patch into the system document id (value.Undef
	// removes a field).
	Patch func(tx Tx, id value.ID, patch map[string]any) error
	// Replace swaps the fields of the system document id, keeping its
	// system fields.
	Replace func(tx Tx, id value.ID, doc map[string]any) error
	// Delete removes the system document id.
	Delete func(tx Tx, id value.ID) error

	// ScanRecordsByID returns the ids and encoded records of up to limit
	// documents of table whose ids sort after after ("" for the first),
	// in id order, and whether the table holds no more.
	ScanRecordsByID func(tx Tx, table string, after value.ID, limit int) (ids []value.ID, records [][]byte, done bool, err error)
	// AdoptDecoded gives tx doc, the decoding of record, the record of id
	// returned by ScanRecordsByID, so that an update of id in tx does not
	// decode it again (ignored if id was written since). The caller must
	// not keep or modify doc.
	AdoptDecoded func(tx Tx, id value.ID, record []byte, doc map[string]any)
	// TakesTurns reports whether tx belongs to a backend whose write
	// transactions run one at a time and report who waits
	// (storage.Waiters).
	TakesTurns func(tx Tx) bool
	// NameTransaction records that the function name runs in tx, so that
	// an exceeded transaction limit names it. The outermost call of a
	// transaction names it; nested calls do not.
	NameTransaction func(tx Tx, name string)
	// UpgradeCursor returns cursor, a query cursor that strata stored
	// itself (in a system table, which applications cannot write), signed
	// for the database of tx: a cursor made before cursors carried an
	// integrity check, or signed by the database this one was copied from,
	// is signed again, so that work stored part-way resumes after an
	// upgrade or a copy. Any other cursor is returned unchanged.
	UpgradeCursor func(tx Tx, cursor string) string

	// QueryValidated runs fn in a read-only transaction of db that reads
	// the schema head and commits, so that the backend validates its reads
	// against the transactions around it (it is retried on conflict like
	// a mutation). A read that a later step relies on to be complete, such
	// as a migration's high-water mark, is taken so.
	QueryValidated func(ctx context.Context, db DB, fn func(tx Tx) error) error
	// Push pushes s and records migrations — the declarative migration
	// files whose transforms every write applies (internal/active
	// entries) — with it, replacing the active set, in the same
	// transaction.
	Push func(ctx context.Context, db DB, s *schema.Schema, migrations []string, wait bool) error
	// PushStep is Push that also appends a step to a table's shape chain
	// in the transaction that activates the schema (see ShapePush).
	PushStep func(ctx context.Context, db DB, p ShapePush) error
	// DecodeRecord decodes a record of table (from ScanRecordsByID) into
	// its logical document under the schema of tx: a record of an older
	// shape is brought to the current one. It does not change tx and may
	// run on another goroutine.
	DecodeRecord func(tx Tx, table string, record []byte) (map[string]any, error)
	// Materialize rewrites the record of document id of table under the
	// table's current shape if it is older, and reports whether it did.
	Materialize func(tx Tx, table string, id value.ID) (bool, error)
	// RaiseShapeBase records, with the active schema unchanged, that no
	// record of table is older than shape base: the steps before it are
	// dropped from the chain.
	RaiseShapeBase func(ctx context.Context, db DB, table string, base uint64) error
	// Shapes reports the shape chain of table under the schema of tx: the
	// oldest shape records may have and the current one.
	Shapes func(tx Tx, table string) (base, current uint64)
	// ActiveMigrations returns the migration files recorded with the
	// active schema.
	ActiveMigrations func(ctx context.Context, db DB) ([]string, error)
	// CreationOutOfOrder reports whether tx's backend takes creation
	// times from a clock outside transactions (storage.Clock), so that a
	// document can commit after one created later.
	CreationOutOfOrder func(tx Tx) bool
	// IndexKey returns the key of doc (a stored document, with its system
	// fields) in index ix, as strata writes it to storage.
	IndexKey func(ix schema.Index, doc map[string]any) ([]byte, error)
}

// grant is what a package may do beyond reading: the system tables it
// writes, and whether it may push a schema with migrations.
type grant struct {
	tables []string
	push   bool
}

// grants are the privileged packages and what each owns. The root
// package writes _schemas and _index_builds itself, without a Surface.
var grants = map[string]grant{
	"github.com/strata-db/strata/migrate":   {tables: []string{"_migrations", "_migrations_moved"}, push: true},
	"github.com/strata-db/strata/functions": {tables: []string{"_scheduled_functions"}},
	"github.com/strata-db/strata/server":    {tables: []string{"_admin_keys"}},
}

// ErrDenied is returned (wrapped) for a write to a system table the
// calling package does not own, and for a push by a package that may not
// push.
var ErrDenied = errors.New("not granted")

var (
	mu   sync.Mutex
	core any // a *Core[DB, Tx], set by Register
)

// Register records c as the core. Package strata calls it once, at init;
// a second call panics (a programming error, like database/sql.Register).
func Register[DB, Tx any](c *Core[DB, Tx]) {
	mu.Lock()
	defer mu.Unlock()
	if c == nil || core != nil {
		panic("system: Register called twice or with nil")
	}
	core = c
}

// Surface is the core bound to the grant of one package. Its methods have
// the meaning of the Core fields of the same name.
type Surface[DB, Tx any] struct {
	core  *Core[DB, Tx]
	pkg   string
	grant grant
}

// Open returns the core bound to the grant of the calling package (none
// for a package not in grants: it may read, but every write is refused).
// Call it once, at package init, after importing package strata. It
// panics if the core was not registered with these type parameters (a
// programming error).
func Open[DB, Tx any]() *Surface[DB, Tx] {
	mu.Lock()
	c, ok := core.(*Core[DB, Tx])
	mu.Unlock()
	if !ok {
		var db DB
		var tx Tx
		panic(fmt.Sprintf("system: Open[%T, %T]: the core registered is %T", db, tx, core))
	}
	pkg := callerPackage(2)
	return &Surface[DB, Tx]{core: c, pkg: pkg, grant: grants[pkg]}
}

// callerPackage returns the import path of the package of the function
// skip frames above callerPackage.
func callerPackage(skip int) string {
	pc, _, _, ok := runtime.Caller(skip)
	if !ok {
		return ""
	}
	f := runtime.FuncForPC(pc)
	if f == nil {
		return ""
	}
	return packageOf(f.Name())
}

// packageOf returns the import path in a function's full name
// ("example.com/a/b.init.func1" → "example.com/a/b").
func packageOf(name string) string {
	slash := strings.LastIndexByte(name, '/')
	if dot := strings.IndexByte(name[slash+1:], '.'); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}

// Package returns the import path the surface was opened by.
func (s *Surface[DB, Tx]) Package() string { return s.pkg }

func (s *Surface[DB, Tx]) may(op, table string) error {
	if slices.Contains(s.grant.tables, table) {
		return nil
	}
	return fmt.Errorf("system: %s %s: package %s: %w (it may write %s)", op, table, s.pkg, ErrDenied, s.owned())
}

func (s *Surface[DB, Tx]) owned() string {
	if len(s.grant.tables) == 0 {
		return "no table"
	}
	return strings.Join(s.grant.tables, ", ")
}

func (s *Surface[DB, Tx]) mayID(op string, id value.ID) error {
	table, err := id.Table()
	if err != nil {
		return fmt.Errorf("system: %s %q: %w", op, id, err)
	}
	return s.may(op, table)
}

// Insert adds doc to table, a system table the package owns.
func (s *Surface[DB, Tx]) Insert(tx Tx, table string, doc map[string]any) (value.ID, error) {
	if err := s.may("insert into", table); err != nil {
		return "", err
	}
	return s.core.Insert(tx, table, doc)
}

// Patch shallow-merges patch into document id of a system table the
// package owns.
func (s *Surface[DB, Tx]) Patch(tx Tx, id value.ID, patch map[string]any) error {
	if err := s.mayID("patch", id); err != nil {
		return err
	}
	return s.core.Patch(tx, id, patch)
}

// Replace swaps the fields of document id of a system table the package
// owns.
func (s *Surface[DB, Tx]) Replace(tx Tx, id value.ID, doc map[string]any) error {
	if err := s.mayID("replace", id); err != nil {
		return err
	}
	return s.core.Replace(tx, id, doc)
}

// Delete removes document id of a system table the package owns.
func (s *Surface[DB, Tx]) Delete(tx Tx, id value.ID) error {
	if err := s.mayID("delete", id); err != nil {
		return err
	}
	return s.core.Delete(tx, id)
}

// Push pushes s with the active migration set replaced by migrations; only
// a package granted pushes may.
func (s *Surface[DB, Tx]) Push(ctx context.Context, db DB, sc *schema.Schema, migrations []string, wait bool) error {
	if !s.grant.push {
		return fmt.Errorf("system: push: package %s: %w", s.pkg, ErrDenied)
	}
	return s.core.Push(ctx, db, sc, migrations, wait)
}

// ShapePush is a push that changes a table's shape (Core.PushStep).
type ShapePush struct {
	Schema     *schema.Schema
	Migrations []string // the active set to record
	Wait       bool     // wait for the index builds
	// Table and Step (an internal/active entry) name the step appended to
	// Table's shape chain; every document of Table is read through it
	// from then on.
	Table, Step string
	// Trusted skips the check of the existing documents: the caller has
	// shown that every document, with the step applied, satisfies Schema.
	// Otherwise the check validates the documents with the step applied.
	Trusted bool
	// Relabel names indexes ("table.index") whose fields change only by a
	// rename whose old and new fields are equal in every document: they
	// keep their entries.
	Relabel []string
}

// PushStep is Core.PushStep; only a package granted pushes may.
func (s *Surface[DB, Tx]) PushStep(ctx context.Context, db DB, p ShapePush) error {
	if !s.grant.push {
		return fmt.Errorf("system: push: package %s: %w", s.pkg, ErrDenied)
	}
	return s.core.PushStep(ctx, db, p)
}

// DecodeRecord is Core.DecodeRecord.
func (s *Surface[DB, Tx]) DecodeRecord(tx Tx, table string, record []byte) (map[string]any, error) {
	return s.core.DecodeRecord(tx, table, record)
}

// Materialize is Core.Materialize; writes to application tables, which
// every package may read, need no grant: the logical document does not
// change.
func (s *Surface[DB, Tx]) Materialize(tx Tx, table string, id value.ID) (bool, error) {
	return s.core.Materialize(tx, table, id)
}

// RaiseShapeBase is Core.RaiseShapeBase; only a package granted pushes
// may.
func (s *Surface[DB, Tx]) RaiseShapeBase(ctx context.Context, db DB, table string, base uint64) error {
	if !s.grant.push {
		return fmt.Errorf("system: push: package %s: %w", s.pkg, ErrDenied)
	}
	return s.core.RaiseShapeBase(ctx, db, table, base)
}

// Shapes is Core.Shapes.
func (s *Surface[DB, Tx]) Shapes(tx Tx, table string) (base, current uint64) {
	return s.core.Shapes(tx, table)
}

// ScanRecordsByID is Core.ScanRecordsByID.
func (s *Surface[DB, Tx]) ScanRecordsByID(tx Tx, table string, after value.ID, limit int) ([]value.ID, [][]byte, bool, error) {
	return s.core.ScanRecordsByID(tx, table, after, limit)
}

// AdoptDecoded is Core.AdoptDecoded.
func (s *Surface[DB, Tx]) AdoptDecoded(tx Tx, id value.ID, record []byte, doc map[string]any) {
	s.core.AdoptDecoded(tx, id, record, doc)
}

// TakesTurns is Core.TakesTurns.
func (s *Surface[DB, Tx]) TakesTurns(tx Tx) bool { return s.core.TakesTurns(tx) }

// NameTransaction is Core.NameTransaction.
func (s *Surface[DB, Tx]) NameTransaction(tx Tx, name string) { s.core.NameTransaction(tx, name) }

// UpgradeCursor is Core.UpgradeCursor.
func (s *Surface[DB, Tx]) UpgradeCursor(tx Tx, cursor string) string {
	return s.core.UpgradeCursor(tx, cursor)
}

// QueryValidated is Core.QueryValidated.
func (s *Surface[DB, Tx]) QueryValidated(ctx context.Context, db DB, fn func(tx Tx) error) error {
	return s.core.QueryValidated(ctx, db, fn)
}

// ActiveMigrations is Core.ActiveMigrations.
func (s *Surface[DB, Tx]) ActiveMigrations(ctx context.Context, db DB) ([]string, error) {
	return s.core.ActiveMigrations(ctx, db)
}

// CreationOutOfOrder is Core.CreationOutOfOrder.
func (s *Surface[DB, Tx]) CreationOutOfOrder(tx Tx) bool { return s.core.CreationOutOfOrder(tx) }

// IndexKey is Core.IndexKey.
func (s *Surface[DB, Tx]) IndexKey(ix schema.Index, doc map[string]any) ([]byte, error) {
	return s.core.IndexKey(ix, doc)
}

// unlimitedKey marks a context whose transactions are strata's own work.
type unlimitedKey struct{}

// Unlimited returns ctx marked as strata's own work (imports, exports,
// migrations, index builds, schema checks, the scheduler's bookkeeping):
// DB.Query and DB.Mutation run under it are exempt from the
// per-transaction limits (strata.Limits), which are for application
// code.
func Unlimited(ctx context.Context) context.Context {
	return context.WithValue(ctx, unlimitedKey{}, true)
}

// IsUnlimited reports whether ctx was marked by Unlimited.
func IsUnlimited(ctx context.Context) bool {
	v, _ := ctx.Value(unlimitedKey{}).(bool)
	return v
}
