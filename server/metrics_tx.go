package server

import (
	"github.com/prometheus/client_golang/prometheus"
)

// txCollector exports the DB's transaction counters (strata.TxStats) on
// each scrape: the DB counts them on its own hot path with atomics, so
// the server adds nothing to a transaction.
type txCollector struct{ s *Server }

var (
	descTxCommits   = prometheus.NewDesc("strata_transaction_commits_total", "Write transactions committed by this process.", []string{"backend"}, nil)
	descTxConflicts = prometheus.NewDesc("strata_transaction_conflicts_total", "Transaction attempts that lost a serialization race (or found the cached schema stale) and were rolled back.", []string{"backend"}, nil)
	descTxRetries   = prometheus.NewDesc("strata_transaction_retries_total", "Transaction attempts run again after a conflict.", []string{"backend"}, nil)
	descTxGaveUp    = prometheus.NewDesc("strata_transaction_gave_up_total", "Transactions that failed because every retry conflicted.", []string{"backend"}, nil)
	descTxLatency   = prometheus.NewDesc("strata_write_transaction_duration_seconds", "Committed write transactions from the start of their first attempt to their commit, retries included (every write: HTTP functions, the scheduler, admin writes).", []string{"backend"}, nil)
)

func (c *txCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTxCommits, descTxConflicts, descTxRetries, descTxGaveUp, descTxLatency} {
		ch <- d
	}
}

func (c *txCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.cfg.DB.TxStats()
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), st.Backend)
	}
	counter(descTxCommits, st.Commits)
	counter(descTxConflicts, st.Conflicts)
	counter(descTxRetries, st.Retries)
	counter(descTxGaveUp, st.GaveUp)
	h := st.WriteLatency
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, b := range h.Bounds {
		cum += h.Counts[i]
		buckets[b.Seconds()] = cum
	}
	ch <- prometheus.MustNewConstHistogram(descTxLatency, h.Count, h.Sum.Seconds(), buckets, st.Backend)
}
