package strata

import (
	"strings"
	"sync/atomic"
	"time"
)

// TxStats counts the transactions a DB ran in this process since Open.
// The counters are atomic and cumulative (Prometheus counters); DB.TxStats
// reads them without stopping writers, so the fields of one TxStats may
// be a few transactions apart.
type TxStats struct {
	// Backend is the storage backend: "sqlite", "postgres", or the URL
	// scheme of another.
	Backend string
	// Commits counts write transactions (Mutation, MutationRelaxed)
	// that committed.
	Commits uint64
	// Conflicts counts attempts of any transaction that lost a
	// serialization race (an error wrapping storage.ErrConflict).
	Conflicts uint64
	// Retries counts attempts run again after a conflict.
	Retries uint64
	// GaveUp counts transactions that failed after their last retry
	// still conflicted.
	GaveUp uint64
	// WriteLatency is the distribution of the time from the start of a
	// committed write transaction's first attempt to its commit,
	// retries and backoff included.
	WriteLatency LatencyHistogram
}

// LatencyHistogram is a histogram of durations with fixed buckets.
type LatencyHistogram struct {
	// Bounds are the upper bounds of the buckets, ascending; a last
	// bucket without a bound holds the rest.
	Bounds []time.Duration
	// Counts[i] is the number of durations d with Bounds[i-1] < d <=
	// Bounds[i]; Counts has len(Bounds)+1 elements (not cumulative).
	Counts []uint64
	// Count and Sum are the number and total of all durations.
	Count uint64
	Sum   time.Duration
}

// latencyBounds are the buckets of TxStats.WriteLatency: 100 µs to 10 s.
var latencyBounds = []time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 10 * time.Second,
}

// txCounters are a DB's TxStats as it counts them.
type txCounters struct {
	commits, conflicts, retries, gaveUp atomic.Uint64
	latency                             [16]atomic.Uint64 // len(latencyBounds)+1
	latencyCount, latencySum            atomic.Uint64     // sum in nanoseconds
}

func (c *txCounters) committed(d time.Duration) {
	c.commits.Add(1)
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	c.latency[i].Add(1)
	c.latencyCount.Add(1)
	c.latencySum.Add(uint64(d))
}

// TxStats returns the counts of the transactions db ran since Open.
func (db *DB) TxStats() TxStats {
	c := &db.txStats
	s := TxStats{
		Backend:   backendName(db.url),
		Commits:   c.commits.Load(),
		Conflicts: c.conflicts.Load(),
		Retries:   c.retries.Load(),
		GaveUp:    c.gaveUp.Load(),
	}
	h := &s.WriteLatency
	h.Bounds = latencyBounds
	h.Counts = make([]uint64, len(latencyBounds)+1)
	for i := range h.Counts {
		h.Counts[i] = c.latency[i].Load()
		h.Count += h.Counts[i]
	}
	h.Sum = time.Duration(c.latencySum.Load())
	return s
}

// backendName is the scheme of a storage URL ("postgres" for
// "postgresql" too).
func backendName(url string) string {
	scheme, _, ok := strings.Cut(url, ":")
	switch {
	case !ok:
		return "unknown"
	case scheme == "postgresql":
		return "postgres"
	}
	return scheme
}
