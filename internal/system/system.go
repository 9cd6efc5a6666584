// Package system lets strata's own packages (scheduler, migrate, ...)
// write the system tables (_scheduled_functions, _migrations, ...) inside
// an application's transaction. Applications cannot import it, and the
// public API refuses writes to tables whose name starts with "_".
//
// Package strata fills in the functions at init; tx is a *strata.Tx (typed
// as any to avoid an import cycle). Documents are not validated (system
// tables have no schema) but must be valid values.
package system

import (
	"context"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/value"
)

var (
	// Insert adds doc to the system table and returns its id.
	Insert func(tx any, table string, doc map[string]any) (value.ID, error)
	// Patch shallow-merges patch into the system document id (value.Undef
	// removes a field).
	Patch func(tx any, id value.ID, patch map[string]any) error
	// Replace swaps the fields of the system document id, keeping its
	// system fields.
	Replace func(tx any, id value.ID, doc map[string]any) error
	// Delete removes the system document id.
	Delete func(tx any, id value.ID) error
)

// ScanRecordsByID returns the ids and encoded records of up to limit
// documents of table (tx is a *strata.Tx) whose ids sort after after (""
// for the first), in id order, and whether the table holds no more.
var ScanRecordsByID func(tx any, table string, after value.ID, limit int) (ids []value.ID, records [][]byte, done bool, err error)

// AdoptDecoded gives tx doc, the decoding of record, the record of id
// returned by ScanRecordsByID, so that an update of id in tx does not
// decode it again (ignored if id was written since). The caller must not
// keep or modify doc.
var AdoptDecoded func(tx any, id value.ID, record []byte, doc map[string]any)

// WritersWaiting reports whether write transactions of this process are
// queued behind tx, a write *strata.Tx, on a backend whose writers run one
// at a time (storage.Waiters); false on other backends.
var WritersWaiting func(tx any) bool

// MutationRelaxed runs fn (given a *strata.Tx) as db.Mutation does (db is
// a *strata.DB), in a write transaction whose commit need not wait for
// stable storage (storage.RelaxedBeginner): a power loss may undo it until
// a later ordinary commit. For work that is redone if lost, such as
// migration batches.
var MutationRelaxed func(ctx context.Context, db any, fn func(tx any) error) error

// QueryValidated runs fn (given a *strata.Tx) in a read-only transaction
// of db (a *strata.DB) that reads the schema head and commits, so that
// the backend validates its reads against the transactions around it
// (it is retried on conflict like a mutation). A read that a later step
// relies on to be complete, such as a migration's high-water mark, is
// taken so: a writer still working under the schema from before a switch
// either commits in time for the read to see its writes or conflicts.
var QueryValidated func(ctx context.Context, db any, fn func(tx any) error) error

// WriteBarrier returns once every write transaction that was running in
// this process (db is a *strata.DB) when it was called has ended. A write
// transform installed before the call applies to every write that
// commits after it returns.
var WriteBarrier func(ctx context.Context, db any) error

// TakesTurns reports whether tx (a *strata.Tx) belongs to a backend whose
// write transactions run one at a time and report who waits
// (storage.Waiters).
var TakesTurns func(tx any) bool

var (
	// Push pushes s (db is a *strata.DB) and records migrations — the
	// declarative migration files whose transforms every write applies —
	// with it, replacing the active set, in the same transaction.
	Push func(ctx context.Context, db any, s *schema.Schema, migrations []string, wait bool) error
	// ActiveMigrations returns the migration files recorded with the
	// active schema.
	ActiveMigrations func(ctx context.Context, db any) ([]string, error)
)

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

// NameTransaction records that the function name runs in tx (a
// *strata.Tx), so that an exceeded transaction limit names it. The
// outermost call of a transaction names it; nested calls do not.
var NameTransaction func(tx any, name string)

// UpgradeCursor returns cursor, a query cursor that strata stored itself
// (in a system table, which applications cannot write), signed for the
// database of tx (a *strata.Tx): a cursor made before cursors carried an
// integrity check, or signed by the database this one was copied from
// (strata copy keeps every position), is signed again, so that work
// stored part-way resumes after an upgrade or a copy. Any other cursor is
// returned unchanged.
var UpgradeCursor func(tx any, cursor string) string
