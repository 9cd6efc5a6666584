package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
)

// readBody reads a request body within the size cap, answering the error
// itself.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
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
	return body, true
}

// readSchema reads a schema file from the body.
func (s *Server) readSchema(w http.ResponseWriter, r *http.Request) (*schema.Schema, bool) {
	body, ok := s.readBody(w, r)
	if !ok {
		return nil, false
	}
	sch, err := schema.Parse(body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return nil, false
	}
	return sch, true
}

// diffJSON is a diff with its class, as the admin API answers it.
func diffJSON(d *schema.Diff) map[string]any {
	if d == nil {
		return nil
	}
	return map[string]any{"class": d.Class(), "changes": d.Changes, "check": d.Check}
}

// adminSchemaDiff compares the active schema with the body's.
func (s *Server) adminSchemaDiff(w http.ResponseWriter, r *http.Request) {
	target, ok := s.readSchema(w, r)
	if !ok {
		return
	}
	writeJSON(w, map[string]any{"diff": diffJSON(schema.Compare(s.cfg.DB.Schema(), target))})
}

// adminSchemaPlan plans the migration from the active schema to the
// body's: ?name=NAME names it (default "migration").
func (s *Server) adminSchemaPlan(w http.ResponseWriter, r *http.Request) {
	target, ok := s.readSchema(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "migration"
	}
	p, err := migrate.PlanMigration(name, s.cfg.DB.Schema(), target)
	if err != nil {
		writeJSONError(w, http.StatusConflict, err)
		return
	}
	out := map[string]any{"push": p.Push, "file": nil, "pushFirst": nil}
	if p.File != nil {
		b, err := op.MarshalFile(p.File)
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, err)
			return
		}
		out["file"] = json.RawMessage(b)
	}
	if p.PushFirst != nil {
		b, err := p.PushFirst.MarshalJSON()
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, err)
			return
		}
		out["pushFirst"] = json.RawMessage(b)
	}
	writeJSON(w, out)
}

// adminSchemaPush pushes the body's schema: ?dryRun=true reports without
// writing; ?wait=true returns once new indexes are built.
func (s *Server) adminSchemaPush(w http.ResponseWriter, r *http.Request) {
	target, ok := s.readSchema(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	res, err := s.cfg.DB.Push(r.Context(), target, strata.PushOptions{
		DryRun: q.Get("dryRun") == "true", Wait: q.Get("wait") == "true",
		Actor: "admin API", Comment: q.Get("comment"),
	})
	if err != nil {
		writeJSONError(w, http.StatusConflict, err)
		return
	}
	builds := res.Builds
	if builds == nil {
		builds = []strata.IndexBuild{}
	}
	writeJSON(w, map[string]any{
		"diff": diffJSON(res.Diff), "dryRun": res.DryRun, "unchanged": res.Unchanged,
		"schemaId": res.SchemaID, "checked": res.Checked, "keptTables": res.KeptTables,
		"droppedTables": res.DroppedTables, "builds": builds,
	})
}

// adminStartMigration starts the migration file in the body.
func (s *Server) adminStartMigration(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	f, err := op.ParseFile(body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	st, err := migrate.New(s.cfg.DB).Start(r.Context(), f)
	if err != nil {
		writeJSONError(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, map[string]any{"migration": st})
}

// adminSchemaHistory answers the schema's history, newest first: every
// push recorded in _schemas with its state, schema text, changes (the diff
// against the schema before it), actor, comment and index builds.
// ?limit=N (default 50, at most 1000).
func (s *Server) adminSchemaHistory(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeJSONError(w, http.StatusBadRequest, fmt.Errorf("limit %q: give 1 to 1000", l))
			return
		}
		limit = n
	}
	var docs []strata.Doc
	err := s.cfg.DB.Query(r.Context(), func(tx *strata.Tx) error {
		var err error
		docs, err = tx.Table("_schemas").Order(strata.Desc).Take(limit)
		return err
	})
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = map[string]any(d)
	}
	v, err := convexValue(out)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"history": v})
}
