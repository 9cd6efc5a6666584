package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/strata-db/strata"
)

// Table is the system table that tracks migrations.
const Table = "_migrations"

// State is the lifecycle state of a migration.
type State string

// The states of a migration, as its tracking document and `strata migrate
// status` show them.
const (
	Pending    State = "pending"
	Running    State = "running"
	Ready      State = "ready"
	Completing State = "completing"
	Completed  State = "completed"
	Failed     State = "failed"
	Paused     State = "paused"
	Canceled   State = "canceled"
	RolledBack State = "rolled_back"
)

// Status is a migration's tracking document.
type Status struct {
	ID        strata.ID `json:"id"`
	Name      string    `json:"name"`
	Table     string    `json:"table"`
	Kind      string    `json:"kind"`
	State     State     `json:"state"`
	Cursor    string    `json:"cursor,omitempty"`
	Processed int64     `json:"processed"`
	Changed   int64     `json:"changed"`
	Total     int64     `json:"total"`
	Batches   int64     `json:"batches"`
	// Instant reports a declarative migration on the instant path: its
	// steps change the table's shape, and no document is rewritten
	// (Processed and Total stay 0).
	Instant     bool      `json:"instant,omitempty"`
	StartedAt   time.Time `json:"startedAt,omitzero"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
	CompletedAt time.Time `json:"completedAt,omitzero"`
	Error       string    `json:"error,omitempty"`
	ErrorDocID  string    `json:"errorDocId,omitempty"`
	// HighWater is the _creationTime of the newest document when the
	// migration first started.
	HighWater    float64   `json:"highWater"`
	LeaseOwner   string    `json:"leaseOwner,omitempty"`
	LeaseExpires time.Time `json:"leaseExpires,omitzero"`
	// Message says what the last call did (e.g. "already completed").
	Message string `json:"message,omitempty"`
}

func msTime(d strata.Doc, field string) time.Time {
	f, ok := d.Float(field)
	if !ok || f == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(f * 1000))
}

func timeMS(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }

func statusOf(d strata.Doc) Status {
	i := func(f string) int64 { n, _ := d.Int(f); return n }
	hw, _ := d.Float("highWater")
	return Status{
		ID:           d.ID(),
		Name:         d.StringOr("name", ""),
		Table:        d.StringOr("table", ""),
		Kind:         d.StringOr("kind", ""),
		State:        State(d.StringOr("state", "")),
		Cursor:       d.StringOr("cursor", ""),
		Processed:    i("processed"),
		Changed:      i("changed"),
		Total:        i("total"),
		Batches:      i("batches"),
		Instant:      instantOf(d),
		StartedAt:    msTime(d, "startedAt"),
		UpdatedAt:    msTime(d, "updatedAt"),
		CompletedAt:  msTime(d, "completedAt"),
		Error:        d.StringOr("error", ""),
		ErrorDocID:   d.StringOr("errorDocId", ""),
		HighWater:    hw,
		LeaseOwner:   d.StringOr("leaseOwner", ""),
		LeaseExpires: msTime(d, "leaseExpiresAt"),
	}
}

// find returns the tracking document of name, or nil.
func find(tx *strata.Tx, name string) (strata.Doc, error) {
	d, err := tx.Table(Table).Filter(strata.Field("name").Eq(name)).First()
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", Table, err)
	}
	return d, nil
}

// Status returns the tracking status of the named migration, or an error
// wrapping ErrUnknown if it has never started.
func (m *Migrator) Status(ctx context.Context, name string) (Status, error) {
	return StatusOf(ctx, m.db, name)
}

// ErrUnknown is wrapped by errors about a migration with no tracking
// document.
var ErrUnknown = errors.New("migration has never been started")

// StatusOf returns the tracking status of the named migration in db.
func StatusOf(ctx context.Context, db *strata.DB, name string) (Status, error) {
	var st Status
	err := db.Query(ctx, func(tx *strata.Tx) error {
		d, err := find(tx, name)
		if err != nil {
			return err
		}
		if d == nil {
			return fmt.Errorf("migrate: %q: %w", name, ErrUnknown)
		}
		st = statusOf(d)
		return nil
	})
	return st, err
}

// List returns the status of every tracked migration, oldest first.
func List(ctx context.Context, db *strata.DB) ([]Status, error) {
	var out []Status
	err := db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table(Table).Each(func(d strata.Doc) error {
			out = append(out, statusOf(d))
			return nil
		})
	})
	return out, err
}

// setState moves a migration to state to if its current state is one of
// from, and returns the new status.
func setState(ctx context.Context, db *strata.DB, name string, to State, from ...State) (Status, error) {
	var st Status
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		d, err := find(tx, name)
		if err != nil {
			return err
		}
		if d == nil {
			return fmt.Errorf("migrate: %q: %w", name, ErrUnknown)
		}
		cur := State(d.StringOr("state", ""))
		ok := false
		for _, f := range from {
			ok = ok || cur == f
		}
		if !ok {
			return fmt.Errorf("migrate: %q is %s; only a migration that is %v can become %s", name, cur, from, to)
		}
		p := strata.Patch{"state": string(to), "updatedAt": timeMS(time.Now())}
		if to != Running {
			p["leaseOwner"] = strata.Unset
			p["leaseExpiresAt"] = strata.Unset
		}
		if err := sys.Patch(tx, d.ID(), p); err != nil {
			return err
		}
		d2, err := tx.Get(d.ID())
		st = statusOf(d2)
		return err
	})
	return st, err
}

// Pause asks the runner of a running migration to stop after its current
// batch; Run resumes it from its cursor.
func Pause(ctx context.Context, db *strata.DB, name string) (Status, error) {
	return setState(ctx, db, name, Paused, Running, Pending)
}

// Cancel stops a migration that has not completed; its runner stops after
// its current batch. Run resumes it from its cursor; Reset starts over.
func Cancel(ctx context.Context, db *strata.DB, name string) (Status, error) {
	return setState(ctx, db, name, Canceled, Running, Pending, Paused, Failed)
}

// Reset deletes the tracking document of a migration that is not running
// (and what it remembers in MovedTable), so the next Run starts over from
// the first document. Documents already
// changed stay changed.
func Reset(ctx context.Context, db *strata.DB, name string) error {
	return db.Mutation(ctx, func(tx *strata.Tx) error {
		d, err := find(tx, name)
		if err != nil {
			return err
		}
		if d == nil {
			return fmt.Errorf("migrate: reset %q: %w", name, ErrUnknown)
		}
		st := statusOf(d)
		if st.State == Running && time.Now().Before(st.LeaseExpires) {
			return fmt.Errorf("migrate: reset %q: it is running (lease held until %s); pause or cancel it first", name, st.LeaseExpires.Format(time.RFC3339))
		}
		if err := deleteMoved(tx, name); err != nil {
			return err
		}
		return sys.Delete(tx, d.ID())
	})
}

// Pause, Cancel and Reset on the Migrator's database.
func (m *Migrator) Pause(ctx context.Context, name string) (Status, error) {
	return Pause(ctx, m.db, name)
}

// Cancel is Cancel on the Migrator's database.
func (m *Migrator) Cancel(ctx context.Context, name string) (Status, error) {
	return Cancel(ctx, m.db, name)
}

// Reset is Reset on the Migrator's database.
func (m *Migrator) Reset(ctx context.Context, name string) error { return Reset(ctx, m.db, name) }

// Resume is Resume on the Migrator's database.
func (m *Migrator) Resume(ctx context.Context, name string) (Status, error) {
	return Resume(ctx, m.db, name)
}
