package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-db/strata"
)

// kindCompact is the kind of a compaction's tracking document.
const kindCompact = "compact"

// compactPrefix starts the name of a compaction's tracking document:
// compact:<table>@<shape>.
const compactPrefix = "compact:"

// CompactTarget is the duration a compaction's batches adapt to: half a
// migration's (batch.DefaultTarget), as compaction has no deadline.
const CompactTarget = 5 * time.Millisecond

// ShapeInfo is the shape chain of a table: every record of it is of shape
// Base or newer, and records are written under shape Current. Pending =
// Current-Base steps are applied, at most, to a record that is read.
type ShapeInfo struct {
	Table         string
	Base, Current uint64
}

// Pending returns the number of steps between the oldest records and the
// current shape.
func (s ShapeInfo) Pending() int { return int(s.Current - s.Base) }

// Shapes returns the shape chain of table.
func Shapes(ctx context.Context, db *strata.DB, table string) (ShapeInfo, error) {
	info := ShapeInfo{Table: table}
	err := sys.QueryValidated(ctx, db, func(tx *strata.Tx) error {
		info.Base, info.Current = sys.Shapes(tx, table)
		return nil
	})
	return info, err
}

// Compact materializes table: it rewrites every record written under an
// older shape of the table in the current shape, in the background
// batches a migration runs in (adaptive size, yielding to application
// writers, a lease, a cursor that survives a crash), and then records
// that no older record is left, which drops the steps before the current
// shape from the chain. Readers see the same documents before, during and
// after: only the cost of reading an old record goes.
//
// Compact is tracked in _migrations as compact:<table>@<shape>. It is
// idempotent: a table with no older shape needs nothing, an interrupted
// compaction resumes from its cursor, and each record is rewritten at
// most once. Steps added while it runs are left to the next compaction.
func (m *Migrator) Compact(ctx context.Context, table string) (Status, error) {
	info, err := Shapes(ctx, m.db, table)
	if err != nil {
		return Status{}, fmt.Errorf("migrate: compact %s: %w", table, err)
	}
	if info.Pending() == 0 {
		return Status{Name: compactPrefix + table, Table: table, Kind: kindCompact, State: Completed,
			Message: fmt.Sprintf("nothing to compact: every record of %s is of its current shape (%d)", table, info.Current)}, nil
	}
	name := fmt.Sprintf("%s%s@%d", compactPrefix, table, info.Current)
	st, err := m.run(ctx, &Migration{
		// Low priority: batches half as long as a migration's, so that an
		// application write waits for less of one.
		Name: name, Table: table, BatchSize: 500, kind: kindCompact, TargetBatchDuration: CompactTarget,
		MigrateOne:      func(strata.Doc) (strata.Patch, error) { return nil, nil },
		materialize:     true,
		lowPriority:     true,
		stopAtHighWater: true,
	})
	if err != nil {
		return st, fmt.Errorf("migrate: compact %s: %w", table, err)
	}
	if err := sys.RaiseShapeBase(ctx, m.db, table, info.Current); err != nil {
		return st, fmt.Errorf("migrate: compact %s: %w", table, err)
	}
	st.Message = fmt.Sprintf("compacted: %d of %d records rewritten; every record of %s is of shape %d or newer", st.Changed, st.Processed, table, info.Current)
	return st, nil
}
