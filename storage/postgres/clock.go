package postgres

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The creation-time clock. strata_clock holds a row per table with the
// bits of the last float64 reserved for it (for positive floats the bit
// pattern orders like the value and Nextafter is +1). A Backend does not
// update that row per insert: it reserves a window of clockWindow of
// times from it (one autocommit statement on the clock pool) and hands
// out the times of its window to its transactions, in order, under a
// per-table mutex, taking for each request the later of the window's
// next time and the requested atLeast (the wall clock). A new window is
// reserved when the current one cannot serve a request: it ran out, or
// the wall clock passed its end. So every time is reserved durably
// before it is used, windows of different Backends never overlap, and
// within a Backend the times of a table strictly increase in the order
// they were handed out.
//
// The window's statement commits without waiting for the WAL flush
// (synchronous_commit off on the clock pool), as nextval does: a
// transaction that uses one of its times commits later, and its own
// commit flushes the WAL up to its commit record, the window's included.
// Only a server crash between the two could lose the window while its
// times are used; the transaction using them would then run on a
// connection made after the crash, and a window is valid only while the
// transaction pool has made no new connection since it was reserved
// (Backend.connGen), so such a transaction reserves a new window from
// what the server recovered. See "_creationTime on PostgreSQL: per-process
// windows" in docs/decisions.md for the ordering across processes.
const (
	sqlClockNext = `UPDATE strata_clock SET bits = GREATEST(bits + $3::bigint, $2::bigint + $3::bigint - 1)
		WHERE tbl = $1 RETURNING bits`
	sqlClockSeed = `INSERT INTO strata_clock (tbl, bits) VALUES ($1, $2::bigint + $3::bigint - 1)
		ON CONFLICT (tbl) DO UPDATE SET bits = GREATEST(strata_clock.bits + $3::bigint, excluded.bits)
		RETURNING bits`
)

// clockWindow is the span of wall-clock time (in milliseconds, the unit
// of _creationTime) a Backend reserves at once for a table's creation
// times. It bounds how far a time may run ahead of the wall clock: with P
// processes inserting into one table at once, by about P windows.
const clockWindow = 50.0

// maxWindowBits bounds a window's size in float64 steps, for times near
// zero where a few milliseconds are a great many steps.
const maxWindowBits = 1 << 24

// tableClock is a Backend's window of creation times of one table:
// [next, end], as float64 bits. mu is held across the reservation of a
// new window, so that the times of one Backend never go back.
type tableClock struct {
	mu        sync.Mutex
	next, end uint64
	valid     bool
	gen       int64 // Backend.connGen when the window was reserved
}

// clocks are a Backend's windows, by table.
type clocks struct {
	mu     sync.Mutex
	tables map[string]*tableClock
}

func (c *clocks) table(name string) *tableClock {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tables == nil {
		c.tables = make(map[string]*tableClock)
	}
	tc := c.tables[name]
	if tc == nil {
		tc = &tableClock{}
		c.tables[name] = tc
	}
	return tc
}

// take hands out n times of at least low from the window, if it can.
func (tc *tableClock) take(low uint64, n int) (uint64, bool) {
	if !tc.valid {
		return 0, false
	}
	first := max(tc.next, low)
	if first < tc.next || first > tc.end || tc.end-first < uint64(n-1) {
		return 0, false
	}
	tc.next = first + uint64(n)
	return first, true
}

// ReserveCreationTimes implements storage.Clock from the Backend's window
// of times for table (see clockWindow), reserving a new window from
// strata_clock when the current one cannot serve the request. A
// reservation is one autocommit statement on the separate clock pool, so
// it never joins the transaction's serializable read set; a request the
// window serves sends nothing. A seed request always goes to the server.
func (t *tx) ReserveCreationTimes(table string, atLeast float64, n int, seed bool) (float64, bool, error) {
	t.mu.Lock()
	if err := t.check(true); err != nil {
		t.mu.Unlock()
		return 0, false, err
	}
	ctx := t.ctx
	t.mu.Unlock()
	if !(atLeast > 0) || math.IsInf(atLeast, 0) || n < 1 || n > 1<<20 {
		return 0, false, fmt.Errorf("postgres: reserve creation times for %s: bad request (at least %v, n %d)", table, atLeast, n)
	}
	low := math.Float64bits(atLeast)
	tc := t.b.clocks.table(table)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	gen := t.b.connGen.Load()
	if tc.gen != gen {
		tc.valid = false // the pool reconnected: the server may have lost the window
	}
	if !seed {
		if first, ok := tc.take(low, n); ok {
			return math.Float64frombits(first), true, nil
		}
	}
	// A new window: wide enough for n and for clockWindow of wall clock
	// from atLeast on, and starting above this Backend's current one.
	size := uint64(n)
	if w := math.Float64bits(atLeast+clockWindow) - low; w > size {
		size = min(w, max(maxWindowBits, size))
	}
	if tc.valid && tc.next > low {
		low = tc.next
	}
	q := sqlClockNext
	if seed {
		q = sqlClockSeed
	}
	for attempt := 0; ; attempt++ {
		var last int64
		err := t.b.clock.QueryRow(ctx, q, table, int64(low), int64(size)).Scan(&last)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, false, nil
		}
		// An autocommit statement conflicts only if the server's default
		// isolation is serializable; it cannot have changed anything.
		if err != nil && retryable(err) && attempt < 50 {
			time.Sleep(time.Duration(attempt+1) * time.Millisecond)
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("postgres: reserve creation times for %s: %w", table, mapErr(err))
		}
		t.b.windows.Add(1)
		tc.next, tc.end, tc.valid, tc.gen = uint64(last)-size+1, uint64(last), true, gen
		first, ok := tc.take(low, n)
		if !ok { // cannot happen: the window starts at or above low and holds n
			tc.valid = false
			return 0, false, fmt.Errorf("postgres: reserve creation times for %s: the clock returned a window that cannot serve the request", table)
		}
		return math.Float64frombits(first), true, nil
	}
}
