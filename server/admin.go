package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/value"
)

// adminRoutes are the patterns of the admin API, in registration order.
// Every one refuses a request without the admin key.
var adminRoutes = []string{
	"GET /api/admin/tables",
	"GET /api/admin/tables/{table}/documents",
	"POST /api/admin/tables/{table}/documents",
	"GET /api/admin/documents/{id}",
	"PATCH /api/admin/documents/{id}",
	"DELETE /api/admin/documents/{id}",
	"GET /api/admin/schema",
	"GET /api/admin/schema/history",
	"POST /api/admin/schema/diff",
	"POST /api/admin/schema/plan",
	"POST /api/admin/schema/push",
	"GET /api/admin/functions",
	"GET /api/admin/migrations",
	"POST /api/admin/migrations",
	"GET /api/admin/migrations/{name}",
	"POST /api/admin/migrations/{name}/{action}",
	"GET /api/admin/scheduled",
	"POST /api/admin/scheduled/{id}/cancel",
	"POST /api/admin/check",
}

// AdminRoutes returns the patterns ("METHOD /path/{param}") of every
// admin route; each answers 401 without the admin key.
func AdminRoutes() []string { return append([]string(nil), adminRoutes...) }

// registerAdmin adds the admin routes, each behind the admin key check.
func (s *Server) registerAdmin() {
	handlers := map[string]http.HandlerFunc{
		"GET /api/admin/tables":                      s.adminTables,
		"GET /api/admin/tables/{table}/documents":    s.adminListDocuments,
		"POST /api/admin/tables/{table}/documents":   s.adminInsert,
		"GET /api/admin/documents/{id}":              s.adminGet,
		"PATCH /api/admin/documents/{id}":            s.adminPatch,
		"DELETE /api/admin/documents/{id}":           s.adminDelete,
		"GET /api/admin/schema":                      s.adminSchema,
		"GET /api/admin/schema/history":              s.adminSchemaHistory,
		"POST /api/admin/schema/diff":                s.adminSchemaDiff,
		"POST /api/admin/schema/plan":                s.adminSchemaPlan,
		"POST /api/admin/schema/push":                s.adminSchemaPush,
		"POST /api/admin/migrations":                 s.adminStartMigration,
		"GET /api/admin/functions":                   s.adminFunctions,
		"GET /api/admin/migrations":                  s.adminMigrations,
		"GET /api/admin/migrations/{name}":           s.adminMigration,
		"POST /api/admin/migrations/{name}/{action}": s.adminMigrationAction,
		"GET /api/admin/scheduled":                   s.adminScheduled,
		"POST /api/admin/scheduled/{id}/cancel":      s.adminCancelJob,
		"POST /api/admin/check":                      s.adminCheck,
	}
	for _, p := range adminRoutes {
		h := handlers[p]
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			ok, err := s.admin(r.Header.Get("Authorization"))
			if err == nil && !ok {
				err = errors.New("the admin API needs the admin key: Authorization: Convex KEY")
			}
			if err != nil {
				writeJSONError(w, http.StatusUnauthorized, err)
				return
			}
			h(w, r)
		})
	}
}

// writeJSON writes x as JSON with status 200.
func writeJSON(w http.ResponseWriter, x any) {
	b, err := json.Marshal(x)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// writeJSONError writes {"error": msg} with status.
func writeJSONError(w http.ResponseWriter, status int, err error) {
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// convexValue is a value written in Convex's JSON encoding inside a JSON
// answer.
func convexValue(x any) (json.RawMessage, error) {
	b, err := value.MarshalConvexJSON(x)
	return json.RawMessage(b), err
}

// readValue reads a request body holding one JSON object in either JSON
// form (strata's or Convex's).
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSONError(w, status, fmt.Errorf("reading the body: %w", err))
		return nil, false
	}
	m, err := value.ParseJSONDoc(body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return nil, false
	}
	return m, true
}

type tableInfo struct {
	Name    string      `json:"name"`
	Count   int64       `json:"count"`
	Indexes []indexInfo `json:"indexes"`
}

type indexInfo struct {
	Name      string   `json:"name"`
	Fields    []string `json:"fields"`
	State     string   `json:"state"` // strata.BuildReady or strata.BuildBackfilling
	Processed int64    `json:"processed,omitempty"`
	Total     int64    `json:"total,omitempty"`
}

// adminTables lists the tables of the schema and those holding documents,
// with their document counts and indexes.
func (s *Server) adminTables(w http.ResponseWriter, r *http.Request) {
	builds, err := s.cfg.DB.IndexBuilds(r.Context())
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	latest := map[string]strata.IndexBuild{} // the newest build of each index says its state
	for _, b := range builds {
		latest[b.Table+"."+b.Index] = b
	}
	var out []tableInfo
	err = s.cfg.DB.Query(r.Context(), func(tx *strata.Tx) error {
		out = out[:0]
		names, err := tx.Tables()
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, n := range names {
			seen[n] = true
		}
		sch := tx.Schema()
		if sch != nil {
			for n := range sch.Tables {
				if !seen[n] {
					names = append(names, n)
					seen[n] = true
				}
			}
		}
		sort.Strings(names)
		for _, n := range names {
			ti := tableInfo{Name: n, Indexes: []indexInfo{}}
			if ti.Count, err = tx.Table(n).Count(); err != nil {
				return fmt.Errorf("counting %s: %w", n, err)
			}
			if sch != nil && sch.Tables[n] != nil {
				for _, ix := range sch.Tables[n].Indexes {
					ii := indexInfo{Name: ix.Name, Fields: ix.Fields, State: strata.BuildReady}
					if b, ok := latest[n+"."+ix.Name]; ok && b.State == strata.BuildBackfilling {
						ii.State, ii.Processed, ii.Total = b.State, b.Processed, b.Total
					}
					ti.Indexes = append(ti.Indexes, ii)
				}
			}
			out = append(out, ti)
		}
		return nil
	})
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"tables": out})
}

// adminListDocuments answers one page of a table: ?limit=N (default 100,
// at most 1000) &cursor=C (the previous page's continueCursor); in _id
// order, or with ?index=NAME in that index's order, optionally restricted
// by &range=[["eq","field",V],["gte","field",V],...] (a JSON array of
// conditions eq, gt, gte, lt, lte, with values in either JSON form) and
// reversed with &order=desc.
func (s *Server) adminListDocuments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeJSONError(w, http.StatusBadRequest, fmt.Errorf("limit %q: give 1 to 1000", l))
			return
		}
		limit = n
	}
	exprs, err := parseRange(q.Get("range"))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	if len(exprs) > 0 && q.Get("index") == "" {
		writeJSONError(w, http.StatusBadRequest, errors.New("range needs index"))
		return
	}
	order := strata.Asc
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		order = strata.Desc
	default:
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("order %q: asc or desc", q.Get("order")))
		return
	}
	var page strata.Page
	err = s.cfg.DB.Query(r.Context(), func(tx *strata.Tx) error {
		query := tx.Table(r.PathValue("table"))
		if ix := q.Get("index"); ix != "" {
			query = query.WithIndex(ix, exprs...)
		}
		var err error
		page, err = query.Order(order).Paginate(limit, q.Get("cursor"))
		return err
	})
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	docs := make([]any, len(page.Page))
	for i, d := range page.Page {
		docs[i] = map[string]any(d)
	}
	v, err := convexValue(docs)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"page": v, "isDone": page.IsDone, "continueCursor": page.ContinueCursor})
}

// parseRange reads the range parameter: a JSON array of [OP, FIELD, VALUE].
func parseRange(text string) ([]strata.RangeExpr, error) {
	if text == "" {
		return nil, nil
	}
	x, err := value.ParseJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("range: %w", err)
	}
	list, ok := x.([]any)
	if !ok {
		return nil, errors.New(`range: want a JSON array of ["eq", "field", value] conditions`)
	}
	ops := map[string]func(string, any) strata.RangeExpr{
		"eq": strata.Eq, "gt": strata.Gt, "gte": strata.Gte, "lt": strata.Lt, "lte": strata.Lte,
	}
	out := make([]strata.RangeExpr, 0, len(list))
	for i, c := range list {
		cond, ok := c.([]any)
		if !ok || len(cond) != 3 {
			return nil, fmt.Errorf("range[%d]: want [OP, FIELD, VALUE]", i)
		}
		op, _ := cond[0].(string)
		field, _ := cond[1].(string)
		mk, ok := ops[op]
		if !ok || field == "" {
			return nil, fmt.Errorf("range[%d]: OP is eq, gt, gte, lt or lte and FIELD a field path", i)
		}
		out = append(out, mk(field, cond[2]))
	}
	return out, nil
}

// adminGet answers one document.
func (s *Server) adminGet(w http.ResponseWriter, r *http.Request) {
	var doc strata.Doc
	err := s.cfg.DB.Query(r.Context(), func(tx *strata.Tx) error {
		var err error
		doc, err = tx.Get(strata.ID(r.PathValue("id")))
		return err
	})
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	if doc == nil {
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no document %s", r.PathValue("id")))
		return
	}
	v, err := convexValue(map[string]any(doc))
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"document": v})
}

// adminInsert inserts the body's document into the table.
func (s *Server) adminInsert(w http.ResponseWriter, r *http.Request) {
	doc, ok := s.readObject(w, r)
	if !ok {
		return
	}
	var id strata.ID
	err := s.cfg.DB.Mutation(r.Context(), func(tx *strata.Tx) error {
		var err error
		id, err = tx.Insert(r.PathValue("table"), doc)
		return err
	})
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, map[string]any{"id": id})
}

// adminPatch shallow-merges the body into the document.
func (s *Server) adminPatch(w http.ResponseWriter, r *http.Request) {
	p, ok := s.readObject(w, r)
	if !ok {
		return
	}
	s.adminWrite(w, r, func(tx *strata.Tx, id strata.ID) error { return tx.Patch(id, p) })
}

// adminDelete deletes the document.
func (s *Server) adminDelete(w http.ResponseWriter, r *http.Request) {
	s.adminWrite(w, r, func(tx *strata.Tx, id strata.ID) error { return tx.Delete(id) })
}

// adminWrite runs write on an existing document in one mutation: 404 if
// there is none.
func (s *Server) adminWrite(w http.ResponseWriter, r *http.Request, write func(*strata.Tx, strata.ID) error) {
	id := strata.ID(r.PathValue("id"))
	found := false
	err := s.cfg.DB.Mutation(r.Context(), func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		if err != nil || d == nil {
			found = false
			return err
		}
		found = true
		return write(tx, id)
	})
	switch {
	case err != nil:
		writeJSONError(w, http.StatusBadRequest, err)
	case !found:
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no document %s", id))
	default:
		writeJSON(w, map[string]any{"id": id})
	}
}

// adminSchema answers the active schema in the schema file's form.
func (s *Server) adminSchema(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage = []byte("null")
	err := s.cfg.DB.Query(r.Context(), func(tx *strata.Tx) error {
		sch := tx.Schema()
		if sch == nil {
			return nil
		}
		b, err := sch.MarshalJSON()
		raw = b
		return err
	})
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"schema": raw})
}

type functionInfo struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Internal bool   `json:"internal"`
}

// adminFunctions lists the served functions.
func (s *Server) adminFunctions(w http.ResponseWriter, r *http.Request) {
	out := []functionInfo{}
	for _, f := range s.cfg.Functions.Functions() {
		out = append(out, functionInfo{Name: f.Name, Kind: f.Kind.String(), Internal: f.Internal})
	}
	writeJSON(w, map[string]any{"functions": out})
}

// adminMigrations lists the tracked migrations.
func (s *Server) adminMigrations(w http.ResponseWriter, r *http.Request) {
	list, err := migrate.List(r.Context(), s.cfg.DB)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	if list == nil {
		list = []migrate.Status{}
	}
	writeJSON(w, map[string]any{"migrations": list})
}

// adminMigration answers one migration's status.
func (s *Server) adminMigration(w http.ResponseWriter, r *http.Request) {
	st, err := migrate.StatusOf(r.Context(), s.cfg.DB, r.PathValue("name"))
	if err != nil {
		writeJSONError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, map[string]any{"migration": st})
}

// adminMigrationAction pauses, resumes, cancels, completes or rolls back
// a migration; complete and rollback run their data step within the
// request's time.
func (s *Server) adminMigrationAction(w http.ResponseWriter, r *http.Request) {
	m := migrate.New(s.cfg.DB)
	actions := map[string]func(*migrate.Migrator) (migrate.Status, error){
		"pause":    func(m *migrate.Migrator) (migrate.Status, error) { return m.Pause(r.Context(), r.PathValue("name")) },
		"resume":   func(m *migrate.Migrator) (migrate.Status, error) { return m.Resume(r.Context(), r.PathValue("name")) },
		"cancel":   func(m *migrate.Migrator) (migrate.Status, error) { return m.Cancel(r.Context(), r.PathValue("name")) },
		"complete": func(m *migrate.Migrator) (migrate.Status, error) { return m.Complete(r.Context(), r.PathValue("name")) },
		"rollback": func(m *migrate.Migrator) (migrate.Status, error) { return m.Rollback(r.Context(), r.PathValue("name")) },
	}
	act, ok := actions[r.PathValue("action")]
	if !ok {
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("unknown migration action %q: pause, resume, cancel, complete or rollback", r.PathValue("action")))
		return
	}
	st, err := act(m)
	if err != nil {
		writeJSONError(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, map[string]any{"migration": st})
}

// adminScheduled lists scheduled functions, ?state=pending,... to filter.
func (s *Server) adminScheduled(w http.ResponseWriter, r *http.Request) {
	var states []functions.State
	if q := r.URL.Query().Get("state"); q != "" {
		for _, st := range strings.Split(q, ",") {
			states = append(states, functions.State(st))
		}
	}
	jobs, err := functions.ListJobs(r.Context(), s.cfg.DB, states...)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	docs := make([]any, len(jobs))
	for i, j := range jobs {
		docs[i] = j.Doc()
	}
	v, err := convexValue(docs)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"jobs": v})
}

// adminCancelJob cancels a pending scheduled function.
func (s *Server) adminCancelJob(w http.ResponseWriter, r *http.Request) {
	id := strata.ID(r.PathValue("id"))
	err := s.cfg.DB.Mutation(r.Context(), func(tx *strata.Tx) error { return functions.CancelJob(tx, id) })
	if err != nil {
		status := http.StatusConflict
		if errors.Is(err, functions.ErrNoJob) {
			status = http.StatusNotFound
		}
		writeJSONError(w, status, err)
		return
	}
	writeJSON(w, map[string]any{"id": id})
}

// adminCheck runs strata check and answers its report.
func (s *Server) adminCheck(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cfg.DB.Check(r.Context())
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, rep)
}
