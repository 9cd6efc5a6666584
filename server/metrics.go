package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/migrate"
)

// metrics are a Server's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg      *prometheus.Registry
	http     *prometheus.HistogramVec
	function *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		http: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strata_http_request_duration_seconds",
			Help:    "HTTP requests by route pattern and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "status"}),
		function: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strata_function_duration_seconds",
			Help:    "Function calls over HTTP by kind (query, mutation: the write latency) and outcome (success, error), transaction and retries included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"kind", "outcome"}),
	}
	m.reg.MustRegister(m.http, m.function, &stateCollector{s: s}, &txCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the metrics in Prometheus's text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// observeHTTP records one request.
func (m *metrics) observeHTTP(route string, status int, d time.Duration) {
	m.http.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
}

// observeCall records one function call.
func (m *metrics) observeCall(kind functions.Kind, err error, d time.Duration) {
	outcome := "success"
	if err != nil {
		outcome = "error"
	}
	m.function.WithLabelValues(kind.String(), outcome).Observe(d.Seconds())
}

// stateCollector reads the database's state on each scrape: migrations,
// index builds, the scheduler's queue.
type stateCollector struct{ s *Server }

var (
	descMigProcessed = prometheus.NewDesc("strata_migration_processed_documents", "Documents a migration has processed.", []string{"migration", "table", "state"}, nil)
	descMigTotal     = prometheus.NewDesc("strata_migration_total_documents", "Documents the migration's table held when it started.", []string{"migration", "table", "state"}, nil)
	descMigRate      = prometheus.NewDesc("strata_migration_rate_documents_per_second", "A migration's documents processed per second since it started (to its last batch).", []string{"migration", "table", "state"}, nil)
	descMigBatch     = prometheus.NewDesc("strata_migration_batch_duration_seconds_avg", "A migration's mean time per batch since it started.", []string{"migration", "table", "state"}, nil)
	descBuildDone    = prometheus.NewDesc("strata_index_build_processed_documents", "Existing documents an index build has indexed.", []string{"table", "index", "state"}, nil)
	descBuildTotal   = prometheus.NewDesc("strata_index_build_total_documents", "Documents the table held when the index build started.", []string{"table", "index", "state"}, nil)
	descQueueDepth   = prometheus.NewDesc("strata_scheduler_queue_depth", "Scheduled functions pending.", nil, nil)
	descQueueLag     = prometheus.NewDesc("strata_scheduler_lag_seconds", "How long the oldest due, pending scheduled function has waited past its time (0 if none is due).", nil, nil)
	descScrapeErrors = prometheus.NewDesc("strata_metrics_read_errors", "Parts of the database state the last scrape could not read.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMigProcessed, descMigTotal, descMigRate, descMigBatch, descBuildDone, descBuildTotal, descQueueDepth, descQueueLag, descScrapeErrors} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, errs := c.s.cfg.DB, 0
	fail := func(what string, err error) {
		errs++
		c.s.cfg.Logger.Warn("metrics: reading "+what, slog.String("error", err.Error()))
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if migs, err := migrate.List(ctx, db); err != nil {
		fail("migrations", err)
	} else {
		for _, st := range migs {
			l := []string{st.Name, st.Table, string(st.State)}
			gauge(descMigProcessed, float64(st.Processed), l...)
			gauge(descMigTotal, float64(st.Total), l...)
			if el := st.UpdatedAt.Sub(st.StartedAt).Seconds(); !st.StartedAt.IsZero() && el > 0 {
				gauge(descMigRate, float64(st.Processed)/el, l...)
				if st.Batches > 0 {
					gauge(descMigBatch, el/float64(st.Batches), l...)
				}
			}
		}
	}
	if builds, err := db.IndexBuilds(ctx); err != nil {
		fail("index builds", err)
	} else {
		for _, b := range builds {
			gauge(descBuildDone, float64(b.Processed), b.Table, b.Index, b.State)
			gauge(descBuildTotal, float64(b.Total), b.Table, b.Index, b.State)
		}
	}
	if jobs, err := functions.ListJobs(ctx, db, functions.StatePending); err != nil {
		fail("scheduled functions", err)
	} else {
		lag, now := 0.0, time.Now()
		for _, j := range jobs {
			if d := now.Sub(j.ScheduledTime).Seconds(); d > lag {
				lag = d
			}
		}
		gauge(descQueueDepth, float64(len(jobs)))
		gauge(descQueueLag, lag)
	}
	gauge(descScrapeErrors, float64(errs))
}
