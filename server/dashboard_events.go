package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// Bounds of the event stream's ?interval= (milliseconds).
const (
	defaultEventInterval = 500 * time.Millisecond
	minEventInterval     = 100 * time.Millisecond
	maxEventInterval     = 5 * time.Second
	// rateWindow is how far back a migration's rate looks.
	rateWindow = 5 * time.Second
)

// migrationProgress is a migration's status with what the dashboard's
// progress bar shows: the fraction done, the rate and the time left.
type migrationProgress struct {
	migrate.Status
	// Fraction is Processed/Total in [0, 1]; 1 once the backfill is over
	// (ready, completed).
	Fraction float64 `json:"fraction"`
	// Rate is documents per second over the last few seconds of batches
	// (since the run started, until the stream has seen two batches); 0
	// when the migration is not moving.
	Rate float64 `json:"rate"`
	// ETASeconds is the time left at Rate; 0 when unknown or done.
	ETASeconds float64 `json:"etaSeconds"`
	// Background names the step (start, complete, rollback) the
	// dashboard is running for it in the server's background, if any.
	Background string `json:"background,omitempty"`
	// BackgroundError says why the last such step failed (it may have
	// failed before the migration could record an error itself).
	BackgroundError string `json:"backgroundError,omitempty"`
}

// migrationsEvent is the data of one "migrations" event.
type migrationsEvent struct {
	Time        time.Time           `json:"time"`
	Migrations  []migrationProgress `json:"migrations"`
	IndexBuilds []strata.IndexBuild `json:"indexBuilds"`
}

// sample is one observation of a migration's progress: its processed
// count at the time of its last batch.
type sample struct {
	at        time.Time
	processed int64
}

// rates estimates each migration's rate from the samples an event stream
// has seen. It is used by one stream's goroutine.
type rates struct {
	seen map[string][]sample
}

// rate adds st's sample and returns its rate in documents per second:
// over the samples of the last rateWindow when they span a batch, else
// the run's average from StartedAt; 0 unless st is running.
func (rs *rates) rate(st migrate.Status) float64 {
	if st.State != migrate.Running {
		delete(rs.seen, st.Name)
		return 0
	}
	at := st.UpdatedAt
	if at.IsZero() {
		return 0
	}
	list := rs.seen[st.Name]
	if n := len(list); n == 0 || list[n-1].at.Before(at) {
		list = append(list, sample{at, st.Processed})
	}
	for len(list) > 2 && at.Sub(list[0].at) > rateWindow {
		list = list[1:]
	}
	rs.seen[st.Name] = list
	first, last := list[0], list[len(list)-1]
	if el := last.at.Sub(first.at).Seconds(); len(list) >= 2 && el > 0 && last.processed > first.processed {
		return float64(last.processed-first.processed) / el
	}
	if el := at.Sub(st.StartedAt).Seconds(); !st.StartedAt.IsZero() && el > 0 {
		return float64(st.Processed) / el
	}
	return 0
}

// progressOf is st with its fraction, rate and ETA.
func progressOf(st migrate.Status, rate float64) migrationProgress {
	p := migrationProgress{Status: st, Rate: rate}
	switch {
	case st.State == migrate.Ready || st.State == migrate.Completed:
		p.Fraction = 1
	case st.Total > 0:
		p.Fraction = min(1, float64(st.Processed)/float64(st.Total))
	}
	if rate > 0 && st.Total > st.Processed && st.State == migrate.Running {
		p.ETASeconds = float64(st.Total-st.Processed) / rate
	}
	return p
}

// snapshot reads the migrations and index builds for one event.
func (d *dashboard) snapshot(ctx context.Context, rs *rates) (migrationsEvent, error) {
	list, err := migrate.List(ctx, d.s.cfg.DB)
	if err != nil {
		return migrationsEvent{}, err
	}
	builds, err := d.s.cfg.DB.IndexBuilds(ctx)
	if err != nil {
		return migrationsEvent{}, err
	}
	if builds == nil {
		builds = []strata.IndexBuild{}
	}
	ev := migrationsEvent{Time: time.Now(), Migrations: make([]migrationProgress, 0, len(list)), IndexBuilds: builds}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, st := range list {
		p := progressOf(st, rs.rate(st))
		p.Background, p.BackgroundError = d.inflight[st.Name], d.bgErr[st.Name]
		ev.Migrations = append(ev.Migrations, p)
	}
	return ev, nil
}

// events streams Server-Sent Events: a "migrations" event (the data is a
// migrationsEvent) every ?interval= milliseconds (default 500, 100 to
// 5000), whether or not anything changed, so a page can tell a stalled
// migration from a lost stream. The stream ends a second before the
// request's timeout, or when Serve begins to shut down; the "retry" field
// tells the browser to reconnect at once. A read that fails sends an "error" event and the stream goes on.
func (d *dashboard) events(w http.ResponseWriter, r *http.Request) {
	interval := defaultEventInterval
	if q := r.URL.Query().Get("interval"); q != "" {
		ms, err := strconv.Atoi(q)
		if err != nil || time.Duration(ms)*time.Millisecond < minEventInterval || time.Duration(ms)*time.Millisecond > maxEventInterval {
			writeJSONError(w, http.StatusBadRequest, fmt.Errorf("interval %q: give %d to %d milliseconds", q, minEventInterval.Milliseconds(), maxEventInterval.Milliseconds()))
			return
		}
		interval = time.Duration(ms) * time.Millisecond
	}
	ctx := r.Context()
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Second))
		defer cancel()
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 500\n\n"); err != nil {
		return
	}
	rs := &rates{seen: map[string][]sample{}}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		name, data := "migrations", []byte(nil)
		ev, err := d.snapshot(ctx, rs)
		if err == nil {
			data, err = json.Marshal(ev)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			name, data = "error", mustJSON(map[string]string{"error": err.Error()})
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-d.s.stopping: // Serve is shutting down
			return
		case <-t.C:
		}
	}
}

// mustJSON marshals a value that always marshals.
func mustJSON(x any) []byte {
	b, err := json.Marshal(x)
	if err != nil {
		return []byte(`{"error":"unmarshalable"}`)
	}
	return b
}
