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

// backgroundGrace is how long a background step's request waits for the
// step to end before answering 202: a step refused at once (a file that
// conflicts, a migration in the wrong state) is answered with its error.
const backgroundGrace = time.Second

// startMigration starts the migration file in the body in the server's
// background, so that the backfill of a large table is not bounded by
// the request's timeout, and answers 202 {"migration": STATUS} once it
// is running (or after backgroundGrace), 200 with the status if its
// start ended at once (already ready or completed), 409 with the error if
// it was refused. Its progress is in the event stream and GET
// /api/admin/migrations/{name}. ?batchSize=N, ?maxBatchSize=N and
// ?rateLimit=DOCS_PER_SECOND bound the load it puts on the database, and
// ?rewrite=1 makes it rewrite every document instead of taking the
// instant path
// (migrate.Options). The backfill runs in this process until it ends; if
// the process exits first, the migration is left running without a
// runner, which any process serving migrations (or `strata migrate
// continue`) picks up.
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
	m := migrate.New(d.s.cfg.DB, opts)
	d.background(w, r, f.Name, "start", func(ctx context.Context) (migrate.Status, error) { return m.Start(ctx, f) },
		func(st migrate.Status) bool { return st.State == migrate.Running })
}

// migrationAction runs a step of a migration: pause and cancel as POST
// /api/admin/migrations/{name}/{action} does; complete, rollback and the
// resume of a declarative migration, which rewrite documents, in the
// server's background like startMigration (202 once they run, 200 or 409
// if they end within backgroundGrace), with ?batchSize, ?maxBatchSize and
// ?rateLimit. Resume continues a declarative migration here
// (Migrator.Continue: a paused, failed or canceled start backfills on
// until ready); a Go migration, whose code this server may not have, is
// only marked running for the process that defines it to pick up.
func (d *dashboard) migrationAction(w http.ResponseWriter, r *http.Request) {
	name, action := r.PathValue("name"), r.PathValue("action")
	opts, err := migrateOptions(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	m := migrate.New(d.s.cfg.DB, opts)
	switch action {
	case "complete":
		d.background(w, r, name, action, func(ctx context.Context) (migrate.Status, error) { return m.Complete(ctx, name) },
			func(st migrate.Status) bool { return st.State == migrate.Completing })
	case "rollback":
		d.background(w, r, name, action, func(ctx context.Context) (migrate.Status, error) { return m.Rollback(ctx, name) },
			func(migrate.Status) bool { return false })
	case "resume":
		st, err := migrate.StatusOf(r.Context(), d.s.cfg.DB, name)
		if err != nil || st.Kind != "declarative" {
			d.s.adminMigrationAction(w, r)
			return
		}
		switch st.State {
		case migrate.Paused, migrate.Failed, migrate.Canceled:
		default:
			writeJSONError(w, http.StatusConflict, fmt.Errorf("migration %s is %s; only a paused, failed or canceled migration is resumed", name, st.State))
			return
		}
		d.background(w, r, name, action, func(ctx context.Context) (migrate.Status, error) { return m.Continue(ctx, name) },
			func(st migrate.Status) bool { return st.State == migrate.Running || st.State == migrate.Completing })
	case "pause", "cancel":
		d.mu.Lock()
		if _, busy := d.inflight[name]; busy {
			d.stopped[name] = true
		}
		d.mu.Unlock()
		d.s.adminMigrationAction(w, r)
	default:
		d.s.adminMigrationAction(w, r)
	}
}

// background runs step for the migration name in a goroutine of its own,
// at most one per migration, and answers: the step's status (200) or
// error (409) if it ends within backgroundGrace, else 202 with the
// migration's status as soon as running reports true for it or the grace
// passes. A step that fails later records its error for the event stream
// (and the server's log).
func (d *dashboard) background(w http.ResponseWriter, r *http.Request, name, what string, step func(context.Context) (migrate.Status, error), running func(migrate.Status) bool) {
	d.mu.Lock()
	if cur, busy := d.inflight[name]; busy {
		d.mu.Unlock()
		writeJSONError(w, http.StatusConflict, fmt.Errorf("migration %s: its %s is running in the background; wait for it (or pause it)", name, cur))
		return
	}
	d.inflight[name] = what
	delete(d.bgErr, name)
	d.mu.Unlock()
	type result struct {
		st  migrate.Status
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx := context.Background()
		st, err := step(ctx)
		d.mu.Lock()
		stopped := d.stopped[name]
		delete(d.inflight, name)
		delete(d.stopped, name)
		d.mu.Unlock()
		if err != nil && stopped {
			// Stopped by the operator's pause or cancel from the
			// dashboard: it did what was asked, no error to show.
			if now, serr := migrate.StatusOf(ctx, d.s.cfg.DB, name); serr == nil && (now.State == migrate.Paused || now.State == migrate.Canceled) {
				st, err = now, nil
			}
		}
		d.mu.Lock()
		if err != nil {
			d.bgErr[name] = what + " failed: " + err.Error()
		}
		d.mu.Unlock()
		if err != nil {
			d.s.cfg.Logger.Warn("dashboard: migration step failed", "migration", name, "step", what, "error", err.Error())
		}
		done <- result{st, err}
	}()
	grace := time.NewTimer(backgroundGrace)
	defer grace.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	accepted := func() {
		st, err := migrate.StatusOf(r.Context(), d.s.cfg.DB, name)
		out := map[string]any{"background": what}
		if err == nil {
			out["migration"] = st
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		w.Write(mustJSON(out))
	}
	for {
		select {
		case res := <-done:
			if res.err != nil {
				writeJSONError(w, http.StatusConflict, res.err)
				return
			}
			writeJSON(w, map[string]any{"migration": res.st})
			return
		case <-grace.C:
			accepted()
			return
		case <-r.Context().Done():
			accepted()
			return
		case <-poll.C:
		}
		if st, err := migrate.StatusOf(r.Context(), d.s.cfg.DB, name); err == nil && running(st) {
			accepted()
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
	switch q.Get("rewrite") {
	case "", "0", "false":
	case "1", "true":
		o.Rewrite = true
	default:
		return o, fmt.Errorf("rewrite %q: give 1 or 0", q.Get("rewrite"))
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
