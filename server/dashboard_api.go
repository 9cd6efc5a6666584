package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// startMigration starts the migration file in the body in the background
// and answers 202 {"migration": STATUS} as soon as it is running (or 200
// when its start ended at once: already ready or completed), so that the
// backfill of a large table is not bounded by the request's timeout; its
// progress is in the event stream and GET /api/admin/migrations/{name}.
// ?batchSize=N, ?maxBatchSize=N and ?rateLimit=DOCS_PER_SECOND bound the
// load it puts on the database (migrate.Options). A file that does not
// parse or a start refused at once is answered 400 or 409 with the error.
// The backfill runs in this process until it ends; if the process exits
// first, the migration is left running without a runner, which any
// process serving migrations (or `strata migrate continue`) picks up.
func (d *dashboard) startMigration(w http.ResponseWriter, r *http.Request) {
	opts, err := migrateOptions(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	body, ok := d.s.readBody(w, r)
	if !ok {
		return
	}
	f, err := op.ParseFile(body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	type result struct {
		st  migrate.Status
		err error
	}
	done := make(chan result, 1)
	d.mu.Lock()
	delete(d.startErr, f.Name)
	d.mu.Unlock()
	go func() {
		st, err := migrate.New(d.s.cfg.DB, opts).Start(context.Background(), f)
		if err != nil {
			d.mu.Lock()
			d.startErr[f.Name] = err.Error()
			d.mu.Unlock()
			d.s.cfg.Logger.Warn("dashboard: migration start failed", "migration", f.Name, "error", err.Error())
		}
		done <- result{st, err}
	}()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case res := <-done:
			if res.err != nil {
				writeJSONError(w, http.StatusConflict, res.err)
				return
			}
			writeJSON(w, map[string]any{"migration": res.st})
			return
		case <-r.Context().Done():
			writeJSONError(w, http.StatusAccepted, fmt.Errorf("migration %s: still starting when the request ended: %w", f.Name, r.Context().Err()))
			return
		case <-poll.C:
		}
		st, err := migrate.StatusOf(r.Context(), d.s.cfg.DB, f.Name)
		if err == nil && st.State == migrate.Running {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			w.Write(mustJSON(map[string]any{"migration": st}))
			return
		}
	}
}

// migrateOptions reads ?batchSize, ?maxBatchSize and ?rateLimit.
func migrateOptions(r *http.Request) (migrate.Options, error) {
	var o migrate.Options
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *int
	}{{"batchSize", &o.BatchSize}, {"maxBatchSize", &o.MaxBatchSize}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 100000 {
				return o, fmt.Errorf("%s %q: give 1 to 100000", p.name, s)
			}
			*p.dst = n
		}
	}
	if s := q.Get("rateLimit"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0) || f > 1e9 {
			return o, fmt.Errorf("rateLimit %q: give documents per second, more than 0", s)
		}
		o.RateLimit = f
	}
	return o, nil
}

// healthSummary is the dashboard's health page.
type healthSummary struct {
	Time   time.Time `json:"time"`
	Tables int       `json:"tables"`
	// SchemaTables is the number of tables the active schema declares;
	// -1 without a schema.
	SchemaTables int            `json:"schemaTables"`
	Functions    int            `json:"functions"`
	Migrations   map[string]int `json:"migrations"` // by state
	// Active are the migrations that are not over (not completed,
	// canceled or rolled back).
	Active      []migrate.Status    `json:"active"`
	IndexBuilds []strata.IndexBuild `json:"indexBuilds"` // those not ready
	Scheduled   struct {
		Pending    int     `json:"pending"`
		Failed     int     `json:"failed"`
		LagSeconds float64 `json:"lagSeconds"`
	} `json:"scheduled"`
	// Problems lists the parts that could not be read.
	Problems []string `json:"problems"`
}

// health answers a summary of the database's state without scanning a
// user table: the tables, the active schema, migrations by state, index
// builds in progress, the scheduler's queue. A part that cannot be read
// is named in problems and the rest is still answered.
func (d *dashboard) health(w http.ResponseWriter, r *http.Request) {
	ctx, db := r.Context(), d.s.cfg.DB
	h := healthSummary{Time: time.Now(), Migrations: map[string]int{}, Active: []migrate.Status{}, IndexBuilds: []strata.IndexBuild{}, Problems: []string{}}
	h.Functions = len(d.s.cfg.Functions.Functions())
	problem := func(what string, err error) { h.Problems = append(h.Problems, what+": "+err.Error()) }
	if err := db.Query(ctx, func(tx *strata.Tx) error {
		names, err := tx.Tables()
		h.Tables = len(names)
		return err
	}); err != nil {
		problem("tables", err)
	}
	h.SchemaTables = -1
	if sch := db.Schema(); sch != nil {
		h.SchemaTables = len(sch.Tables)
	}
	if list, err := migrate.List(ctx, db); err != nil {
		problem("migrations", err)
	} else {
		for _, st := range list {
			h.Migrations[string(st.State)]++
			switch st.State {
			case migrate.Completed, migrate.Canceled, migrate.RolledBack:
			default:
				h.Active = append(h.Active, st)
			}
		}
	}
	if builds, err := db.IndexBuilds(ctx); err != nil {
		problem("index builds", err)
	} else {
		for _, b := range builds {
			if b.State != strata.BuildReady {
				h.IndexBuilds = append(h.IndexBuilds, b)
			}
		}
	}
	if jobs, err := functions.ListJobs(ctx, db, functions.StatePending, functions.StateFailed); err != nil {
		problem("scheduled functions", err)
	} else {
		now := time.Now()
		for _, j := range jobs {
			if j.State == functions.StateFailed {
				h.Scheduled.Failed++
				continue
			}
			h.Scheduled.Pending++
			h.Scheduled.LagSeconds = max(h.Scheduled.LagSeconds, now.Sub(j.ScheduledTime).Seconds())
		}
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		problem("request", err)
	}
	writeJSON(w, h)
}

// replaceDocument replaces the document with the body's fields (its _id
// and _creationTime are kept; the body may carry them unchanged). A write
// the schema refuses is answered 400 {"error": MESSAGE, "path": PATH},
// PATH locating the offending value ("settings.theme", "tags[3]"; empty
// for the document as a whole), so that the dashboard can point at it.
func (d *dashboard) replaceDocument(w http.ResponseWriter, r *http.Request) {
	doc, ok := d.s.readObject(w, r)
	if !ok {
		return
	}
	id := strata.ID(r.PathValue("id"))
	for _, f := range []string{"_id", "_creationTime"} {
		delete(doc, f)
	}
	found := false
	err := d.s.cfg.DB.Mutation(r.Context(), func(tx *strata.Tx) error {
		old, err := tx.Get(id)
		if err != nil || old == nil {
			found = false
			return err
		}
		found = true
		return tx.Replace(id, doc)
	})
	switch {
	case err != nil:
		out := map[string]any{"error": err.Error()}
		var ve *v.Error
		if errors.As(err, &ve) {
			out["path"] = ve.Path
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(mustJSON(out))
	case !found:
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no document %s", id))
	default:
		writeJSON(w, map[string]any{"id": id})
	}
}
