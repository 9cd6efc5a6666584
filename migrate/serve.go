package migrate

import (
	"github.com/strata-db/strata"

	"context"
	"errors"
	"time"
)

// Resume marks a paused, failed or canceled migration as running without
// a runner, so that any process whose Migrator is serving (Serve) — or the
// next Run — picks it up and continues from its cursor.
func Resume(ctx context.Context, db *strata.DB, name string) (Status, error) {
	return setState(ctx, db, name, Running, Paused, Failed, Canceled)
}

// Serve keeps the migrations defined on m moving until ctx ends: every
// interval it looks for those marked running whose runner is gone (no
// lease, or an expired one — a process that died, or Resume) and runs
// them here, one at a time. It returns ctx's error.
func (m *Migrator) Serve(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m.serveOnce(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (m *Migrator) serveOnce(ctx context.Context) {
	m.mu.Lock()
	names := make([]string, 0, len(m.defs))
	for n := range m.defs {
		names = append(names, n)
	}
	m.mu.Unlock()
	for _, name := range names {
		st, err := m.Status(ctx, name)
		if err != nil || st.State != Running {
			continue
		}
		if st.LeaseOwner != "" && time.Now().Before(st.LeaseExpires) {
			continue // a live runner has it
		}
		if _, err := m.Run(ctx, name); err != nil && !errors.Is(err, ErrRunningElsewhere) && ctx.Err() == nil {
			// The failure is recorded in the tracking document.
			continue
		}
	}
}
