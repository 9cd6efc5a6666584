package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/strata-db/strata/internal/active"
)

// ErrNotDefined is wrapped by Continue's error for a Go migration that is
// tracked but not defined on the Migrator: its code lives only in the
// binary that defines it.
var ErrNotDefined = errors.New("migration is written in Go and not defined here")

// Continue runs, in the foreground, whatever the named migration needs
// next, and returns its status. It is what `strata migrate run NAME` does,
// and what Serve does for a migration whose runner died.
//
// A declarative migration (Start) is continued from its tracking document,
// which holds its file, in the phase it was left in: an interrupted,
// paused, failed or canceled start resumes its backfill until the
// migration is ready; an interrupted complete is finished; an interrupted
// rollback is finished. A ready migration is left as is (Status.Message
// says that complete is the next step); a completed or rolled back one
// needs nothing.
//
// A Go migration is run with Run if it is defined on m (Run starts it if
// it has never run, and resumes a failed, paused or canceled one from its
// cursor). One that is tracked but not defined here is an error wrapping
// ErrNotDefined, unless it has completed.
//
// A migration held by a live runner elsewhere is an error wrapping
// ErrRunningElsewhere; an untracked name that is not defined on m, one
// wrapping ErrUnknown. If ctx ends, the migration is left to be continued
// later, as Start, Complete, Rollback and Run leave it.
func (m *Migrator) Continue(ctx context.Context, name string) (Status, error) {
	d, err := m.trackingDoc(ctx, name)
	if errors.Is(err, ErrUnknown) {
		if _, lerr := m.lookup(name); lerr == nil {
			return m.Run(ctx, name)
		}
		return Status{}, fmt.Errorf("migrate: run %q: %w (start a migration file with start, or define the Go migration)", name, ErrUnknown)
	}
	if err != nil {
		return Status{}, err
	}
	st := statusOf(d)
	if st.Kind == kindCompact {
		if st.State == Completed {
			st.Message = "already completed; nothing to do"
			return st, nil
		}
		return m.Compact(ctx, st.Table)
	}
	if st.Kind != kindDeclarative {
		return m.continueGo(ctx, st)
	}
	if (st.State == Running || st.State == Completing) && st.LeaseOwner != "" && st.LeaseOwner != m.owner && time.Now().Before(st.LeaseExpires) {
		return st, fmt.Errorf("migrate: run %q: %w (%s, lease held until %s)", name, ErrRunningElsewhere, st.State, st.LeaseExpires.Format(time.RFC3339))
	}
	phase, err := m.activePhase(ctx, name)
	if err != nil {
		return st, err
	}
	switch {
	case st.State == Completed:
		st.Message = "already completed; nothing to do"
		return st, nil
	case st.State == RolledBack:
		st.Message = "rolled back; nothing to do (reset it to start over)"
		return st, nil
	case phase == active.Rollback:
		return m.continued(ctx, "rollback", m.Rollback, name)
	case st.State == Completing:
		return m.continued(ctx, "complete", m.Complete, name)
	case phase == active.Contract:
		// Complete switched writes to the final shape, then stopped: it
		// either failed a batch or never marked the pass (ready). Complete
		// continues from completing (keeping the cursor) or from ready.
		if st.State != Ready {
			if _, err := setState(ctx, m.db, name, Completing, st.State); err != nil {
				return st, err
			}
		}
		return m.continued(ctx, "complete", m.Complete, name)
	case st.State == Ready:
		st.Message = "ready: every document is migrated; nothing to run. Complete it when no code uses the old shape"
		return st, nil
	case phase == active.Expand || st.State == Pending || st.Batches == 0:
		f, _, _, err := parseTracked(d)
		if err != nil {
			return st, err
		}
		return m.continued(ctx, "start", func(ctx context.Context, _ string) (Status, error) { return m.Start(ctx, f) }, name)
	default:
		// Not active, not ready, and it has run batches: only a rollback
		// that restored the old schema but did not record it gets here.
		return m.continued(ctx, "rollback", m.Rollback, name)
	}
}

// continued runs one declarative step and says in the status which step
// it continued.
func (m *Migrator) continued(ctx context.Context, step string, fn func(context.Context, string) (Status, error), name string) (Status, error) {
	st, err := fn(ctx, name)
	if err == nil && st.Message == "" {
		st.Message = fmt.Sprintf("continued %s: %s", step, st.State)
		if st.State == Ready {
			st.Message += "; complete it when no code uses the old shape"
		}
	}
	return st, err
}

func (m *Migrator) continueGo(ctx context.Context, st Status) (Status, error) {
	if _, err := m.lookup(st.Name); err == nil {
		return m.Run(ctx, st.Name)
	}
	if st.State == Completed {
		st.Message = "already completed; nothing to do"
		return st, nil
	}
	return st, fmt.Errorf("migrate: run %q (%s): %w: run it with the application binary that defines it (cli.MainConfig with its Migrations), or let that application's Migrator.Serve resume it", st.Name, st.State, ErrNotDefined)
}

// activePhase returns the phase in which the schema records the
// declarative migration name as active, or "" if it is not active.
func (m *Migrator) activePhase(ctx context.Context, name string) (string, error) {
	set, err := sys.ActiveMigrations(ctx, m.db)
	if err != nil {
		return "", err
	}
	for _, a := range set {
		phase, f, err := active.Decode(a)
		if err == nil && f.Name == name {
			return phase, nil
		}
	}
	return "", nil
}
