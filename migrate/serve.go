package migrate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/strata-db/strata"
)

// Resume marks a paused, failed or canceled migration as running without
// a runner, so that any process whose Migrator is serving (Serve) — or the
// next Run or Continue — picks it up and continues from its cursor.
func Resume(ctx context.Context, db *strata.DB, name string) (Status, error) {
	return setState(ctx, db, name, Running, Paused, Failed, Canceled)
}

// Serve keeps migrations moving until ctx ends: every interval it looks
// for migrations marked running (or completing) whose runner is gone — no
// lease, or an expired one: a process that died, or Resume — and
// continues them here with Continue, one at a time. It serves the Go
// migrations defined on m and every declarative migration (its file is
// stored in its tracking document, so any process can run it); Go
// migrations defined only in other binaries are left to those. A
// declarative migration found with no lease at all is taken over only if
// the next look finds it unchanged, since a live Complete or Rollback
// leaves it so for a moment between starting a pass and claiming it.
// Serve returns ctx's error.
func (m *Migrator) Serve(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	seen := map[strata.ID]Status{}
	for {
		seen = m.serveOnce(ctx, seen)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// serveOnce continues every orphaned migration. seen holds the lease-less
// declarative migrations of the previous look; it returns this look's.
func (m *Migrator) serveOnce(ctx context.Context, seen map[strata.ID]Status) map[strata.ID]Status {
	all, err := List(ctx, m.db)
	if err != nil {
		return seen
	}
	next := map[strata.ID]Status{}
	for _, st := range all {
		if ctx.Err() != nil {
			break
		}
		if !m.orphaned(st, seen, next) {
			continue
		}
		if _, err := m.Continue(ctx, st.Name); err != nil && !errors.Is(err, ErrRunningElsewhere) && ctx.Err() == nil {
			// A failed batch is recorded in the tracking document; other
			// errors are met again at the next look.
			continue
		}
	}
	if ctx.Err() == nil {
		m.compactIdle(ctx, all)
	}
	return next
}

// compactIdle compacts, one at a time, the tables whose shape chain holds
// steps and on which no declarative migration is under way (compacting
// between its start and its complete would rewrite every record twice),
// or whose chain is half full. A compaction another process runs is left
// to it.
func (m *Migrator) compactIdle(ctx context.Context, all []Status) {
	busy := map[string]bool{}
	for _, st := range all {
		if st.Kind == kindDeclarative && st.State != Completed && st.State != RolledBack {
			busy[st.Table] = true
		}
	}
	var tables []string
	if err := m.db.Query(ctx, func(tx *strata.Tx) error {
		var err error
		tables, err = tx.Tables()
		return err
	}); err != nil {
		return
	}
	for _, t := range tables {
		if ctx.Err() != nil {
			return
		}
		if strings.HasPrefix(t, "_") {
			continue
		}
		info, err := Shapes(ctx, m.db, t)
		if err != nil || info.Pending() == 0 || busy[t] && info.Pending() < strata.MaxShapeSteps/2 {
			continue
		}
		_, _ = m.Compact(ctx, t) // a failure is recorded in its tracking document
	}
}

// orphaned reports whether Serve should continue st here now.
func (m *Migrator) orphaned(st Status, seen, next map[strata.ID]Status) bool {
	if st.LeaseOwner != "" && time.Now().Before(st.LeaseExpires) {
		return false // a live runner has it
	}
	if st.Kind != kindDeclarative {
		if st.State != Running {
			return false
		}
		_, err := m.lookup(st.Name)
		return err == nil
	}
	if st.State != Running && st.State != Completing {
		return false
	}
	if st.LeaseOwner != "" {
		return true // its runner died
	}
	next[st.ID] = st
	prev, ok := seen[st.ID]
	return ok && prev.State == st.State && prev.Cursor == st.Cursor && prev.Processed == st.Processed &&
		prev.Batches == st.Batches && prev.HighWater == st.HighWater && prev.UpdatedAt.Equal(st.UpdatedAt)
}
