package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/strata-db/strata"
)

// Migration describes one data migration over a table. Exactly one of
// MigrateOne and MigrateBatch must be set.
type Migration struct {
	// Name identifies the migration; it is unique per database.
	Name string
	// Table is the table whose documents the migration visits.
	Table string
	// Index and Range optionally restrict the visit to a range of an index
	// (see strata.Query.WithIndex). By default every document is visited,
	// in _creationTime order. A migration that rewrites the indexed field
	// still visits each document once: one it moved ahead of its cursor is
	// skipped where it moved to (remembered in MovedTable).
	Index string
	Range []strata.RangeExpr

	// MigrateOne returns the patch to apply to one document, or nil to
	// leave it unchanged. It must be deterministic over the document: a
	// batch that conflicts is retried from the start.
	MigrateOne func(doc strata.Doc) (strata.Patch, error)
	// MigrateBatch migrates one page of documents itself, inside the batch's
	// transaction, and returns how many it changed.
	MigrateBatch func(tx *strata.Tx, docs []strata.Doc) (changed int, err error)

	// BatchSize is the first batch's size (default 100); later batches
	// adapt to TargetBatchDuration.
	BatchSize int
	// TargetBatchDuration is the duration batches aim for (default
	// 10ms). Zero keeps the default; a negative value turns adaptation off.
	TargetBatchDuration time.Duration
	// MaxBatchSize caps adaptive batch sizes (default 1000).
	MaxBatchSize int
	// RateLimit caps documents visited per second (0: no limit).
	RateLimit float64

	// TransformWrites installs MigrateOne as a write transform on the
	// table in this process while Run runs, so documents the application
	// writes during the backfill arrive migrated, and stops the scan at
	// the high-water mark taken when the migration first started (later
	// documents were transformed on write), so the run ends under any
	// insert rate. MigrateOne must then be idempotent (return nil for a
	// document it already migrated), and every process that writes the
	// table must run the migration's definition; declarative migrations
	// (package schema/op) need neither.
	TransformWrites bool

	// Set by the declarative engine: scan to the high-water mark, and the
	// state a finished scan leaves (default Completed).
	stopAtHighWater bool
	// Set by Compact: rewrite each visited record in the current shape
	// (MigrateOne is not called), and the tracking kind.
	materialize bool
	lowPriority bool // pause after a batch writers interrupted
	kind        string
	runState    State // the state while running (default Running)
	doneState   State
}

func (mig *Migration) trackedKind() string {
	if mig.kind != "" {
		return mig.kind
	}
	return "custom"
}

func (mig *Migration) running() State {
	if mig.runState != "" {
		return mig.runState
	}
	return Running
}

func (mig *Migration) check() error {
	if mig.Name == "" {
		return errors.New("migration has no name")
	}
	if mig.Table == "" {
		return fmt.Errorf("migration %q has no table", mig.Name)
	}
	if (mig.MigrateOne == nil) == (mig.MigrateBatch == nil) {
		return fmt.Errorf("migration %q: set exactly one of MigrateOne and MigrateBatch", mig.Name)
	}
	if mig.TransformWrites && (mig.MigrateOne == nil || mig.Index != "") {
		return fmt.Errorf("migration %q: TransformWrites needs MigrateOne and no Index", mig.Name)
	}
	if mig.Index == "" && len(mig.Range) > 0 {
		return fmt.Errorf("migration %q: Range needs Index", mig.Name)
	}
	if mig.BatchSize < 0 || mig.MaxBatchSize < 0 || mig.RateLimit < 0 {
		return fmt.Errorf("migration %q: negative batch size or rate", mig.Name)
	}
	return nil
}

// Progress is reported after every batch.
type Progress struct {
	Name      string
	Processed int64         // documents visited so far (all runs)
	Changed   int64         // documents changed so far (all runs)
	Total     int64         // documents in the table at the first start
	Rate      float64       // documents per second in this run
	ETA       time.Duration // at Rate, for Total-Processed documents; 0 if unknown
	BatchSize int           // size of the next batch
}

// Options configure a Migrator.
type Options struct {
	// LeaseDuration is how long a runner's claim lasts without a batch
	// renewing it (default 30s). A runner that dies is replaced after it.
	LeaseDuration time.Duration
	// OnProgress, if set, is called after every committed batch.
	OnProgress func(Progress)
	// BatchSize, MaxBatchSize and RateLimit, when positive, replace the
	// Migration fields of the same names for every run of this Migrator:
	// declarative steps (Start, Complete, Rollback, Continue), whose
	// defaults are a first batch of 100, at most 1000 and no rate limit,
	// and Go migrations alike. They bound the load a migration puts on
	// the database; they change no result.
	BatchSize, MaxBatchSize int
	// RateLimit caps the documents visited per second (see BatchSize).
	RateLimit float64
	// Rewrite makes declarative migrations rewrite every document (a
	// backfill at Start, a contract pass at Complete) instead of taking
	// the instant path, which changes only the table's shape and leaves
	// the rewriting to the compactor. Migrations started before keep the
	// path they started on.
	Rewrite bool
}

// withOptions returns mig with the batch settings of m's Options applied
// (a copy when any applies).
func (m *Migrator) withOptions(mig *Migration) *Migration {
	o := m.opts
	if o.BatchSize <= 0 && o.MaxBatchSize <= 0 && o.RateLimit <= 0 {
		return mig
	}
	cp := *mig
	if o.BatchSize > 0 {
		cp.BatchSize = o.BatchSize
	}
	if o.MaxBatchSize > 0 {
		cp.MaxBatchSize = o.MaxBatchSize
	}
	if o.RateLimit > 0 {
		cp.RateLimit = o.RateLimit
	}
	if cp.MaxBatchSize > 0 && cp.BatchSize > cp.MaxBatchSize {
		cp.BatchSize = cp.MaxBatchSize
	}
	return &cp
}

// Migrator runs the migrations defined on it against one database. It is
// safe for concurrent use; several Migrators, in one process or many, may
// share a database: the tracking documents coordinate them.
type Migrator struct {
	db    *strata.DB
	opts  Options
	owner string // this Migrator's lease identity

	mu   sync.Mutex
	defs map[string]*Migration

	hooks hooks // test hooks; zero in production

	compacted string // what the last instant step compacted first (pushStep)
}

// hooks are called at the points of a declarative step where a test
// forces an interleaving with application writers. Each may be nil.
type hooks struct {
	beforeSwitch func(phase string) // before pushing the schema that switches the write transforms
	afterMark    func(phase string) // after the high-water mark of a pass is recorded
	beforeTrack  func(phase string) // before start records a new migration ("start")
}

func (h hooks) call(f func(string), phase string) {
	if f != nil {
		f(phase)
	}
}

// New returns a Migrator for db.
func New(db *strata.DB, opts ...Options) *Migrator {
	m := &Migrator{db: db, defs: map[string]*Migration{}}
	if len(opts) > 0 {
		m.opts = opts[0]
	}
	if m.opts.LeaseDuration <= 0 {
		m.opts.LeaseDuration = 30 * time.Second
	}
	var b [8]byte
	rand.Read(b[:])
	m.owner = hex.EncodeToString(b[:])
	return m
}

// Define registers a migration. Defining a name twice is an error.
func (m *Migrator) Define(mig Migration) error {
	if err := mig.check(); err != nil {
		return fmt.Errorf("migrate: define: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.defs[mig.Name]; dup {
		return fmt.Errorf("migrate: define: migration %q is already defined", mig.Name)
	}
	cp := mig
	m.defs[mig.Name] = &cp
	return nil
}

func (m *Migrator) lookup(name string) (*Migration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mig, ok := m.defs[name]
	if !ok {
		return nil, fmt.Errorf("migrate: no migration named %q is defined", name)
	}
	return mig, nil
}

// RunSeries runs the named migrations in order: completed ones are
// skipped, and the series stops at the first that fails.
func (m *Migrator) RunSeries(ctx context.Context, names ...string) ([]Status, error) {
	var out []Status
	for _, name := range names {
		st, err := m.Run(ctx, name)
		out = append(out, st)
		if err != nil {
			return out, fmt.Errorf("migrate: series stopped at %q: %w", name, err)
		}
	}
	return out, nil
}
