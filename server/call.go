package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/value"
)

// StatusFunctionFailed is the HTTP status of a call whose function failed
// (Convex's STATUS_CODE_UDF_FAILED): the body is a JSON error answer that
// Convex's clients turn into a thrown error.
const StatusFunctionFailed = 560

// callRequest is the body of /api/query, /api/mutation and /api/action.
type callRequest struct {
	Path   string          `json:"path"`
	Format string          `json:"format"`
	Args   json.RawMessage `json:"args"`
}

// functionName maps a Convex function path to strata's name: "module"
// alone is "module:default" and a ".js" suffix on the module is dropped.
func functionName(path string) string {
	module, fn, ok := strings.Cut(path, ":")
	if !ok || fn == "" {
		fn = "default"
	}
	module = strings.TrimSuffix(module, ".js")
	return module + ":" + fn
}

// readCall reads and checks a call's body. It writes the protocol error
// itself and returns ok false.
func (s *Server) readCall(w http.ResponseWriter, r *http.Request) (req callRequest, args any, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
			return req, nil, false
		}
		http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
		return req, nil, false
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "the body must be a JSON object {\"path\", \"format\", \"args\"}: "+err.Error(), http.StatusBadRequest)
		return req, nil, false
	}
	if req.Path == "" {
		http.Error(w, "missing \"path\": the function to call, as \"module:function\"", http.StatusBadRequest)
		return req, nil, false
	}
	if req.Format != "" && req.Format != "convex_encoded_json" {
		http.Error(w, fmt.Sprintf("unsupported format %q: use \"convex_encoded_json\"", req.Format), http.StatusBadRequest)
		return req, nil, false
	}
	args = map[string]any{}
	if len(req.Args) > 0 && string(req.Args) != "null" {
		x, err := value.ParseConvexJSON(req.Args)
		if err != nil {
			http.Error(w, "\"args\": "+err.Error(), http.StatusBadRequest)
			return req, nil, false
		}
		if list, isList := x.([]any); isList {
			if len(list) != 1 {
				http.Error(w, fmt.Sprintf("\"args\" must hold one arguments object, not %d values", len(list)), http.StatusBadRequest)
				return req, nil, false
			}
			x = list[0]
		}
		args = x
	}
	return req, args, true
}

// callHandler answers /api/query (kind KindQuery) or /api/mutation.
func (s *Server) callHandler(kind functions.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		admin, err := s.admin(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		req, args, ok := s.readCall(w, r)
		if !ok {
			return
		}
		name := functionName(req.Path)
		f, found := s.cfg.Functions.Lookup(name)
		if !found || f.Internal && !admin {
			writeFailure(w, fmt.Sprintf("Could not find public function for '%s'.", req.Path), nil)
			return
		}
		if f.Kind != kind {
			writeFailure(w, fmt.Sprintf("Trying to execute %s as %s, but it is defined as %s.", req.Path, kindTitle(kind), kindTitle(f.Kind)), nil)
			return
		}
		ctx := r.Context() // ends at Config.Timeout (ServeHTTP)
		start := time.Now()
		result, err := s.cfg.Functions.Call(ctx, s.cfg.DB, name, args)
		s.metrics.observeCall(kind, err, time.Since(start))
		if err != nil {
			s.writeCallError(w, ctx, err)
			return
		}
		out, err := value.AppendConvexJSON(append(make([]byte, 0, 64), `{"status":"success","value":`...), result)
		if err != nil {
			writeFailure(w, "the function's result cannot be sent: "+err.Error(), nil)
			return
		}
		out = append(out, `,"logLines":[]}`...)
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	}
}

// actionHandler answers /api/action: strata has no actions.
func (s *Server) actionHandler(w http.ResponseWriter, r *http.Request) {
	if _, err := s.admin(r); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	req, _, ok := s.readCall(w, r)
	if !ok {
		return
	}
	writeFailure(w, fmt.Sprintf("strata has no actions: '%s' cannot run as an action; call a query or a mutation, and do outside work in your own code", req.Path), nil)
}

// queryAtTSHandler answers /api/query_at_ts (ConvexHttpClient's consistent
// queries): strata serves no past snapshots.
func (s *Server) queryAtTSHandler(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "strata does not serve queries at a past timestamp (consistentQuery)", http.StatusNotImplemented)
}

// writeCallError answers a failed call with the error's message and, for
// a functions.DataError, its data.
func (s *Server) writeCallError(w http.ResponseWriter, ctx context.Context, err error) {
	if ctx.Err() == context.DeadlineExceeded {
		writeFailure(w, fmt.Sprintf("the function did not finish within the server's %v timeout", s.cfg.Timeout), nil)
		return
	}
	var de *functions.DataError
	if errors.As(err, &de) {
		data, derr := value.MarshalConvexJSON(de.Data)
		if derr != nil {
			writeFailure(w, de.Message+" (its data cannot be sent: "+derr.Error()+")", nil)
			return
		}
		writeFailure(w, de.Message, data)
		return
	}
	msg := innermost(err).Error()
	if errors.Is(err, functions.ErrInvalidArgs) {
		msg = "ArgumentValidationError: " + strings.TrimPrefix(msg, functions.ErrInvalidArgs.Error()+": ")
	}
	writeFailure(w, msg, nil)
}

// innermost returns the error of the innermost *functions.CallError in
// err's chain: the handler's own error, without the call chain's names.
func innermost(err error) error {
	for {
		var ce *functions.CallError
		if !errors.As(err, &ce) || ce.Err == nil {
			return err
		}
		err = ce.Err
	}
}

// writeFailure writes a 560 answer {"status":"error",...}.
func writeFailure(w http.ResponseWriter, msg string, data []byte) {
	body := struct {
		Status       string          `json:"status"`
		ErrorMessage string          `json:"errorMessage"`
		ErrorData    json.RawMessage `json:"errorData,omitempty"`
		LogLines     []string        `json:"logLines"`
	}{"error", msg, data, []string{}}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(StatusFunctionFailed)
	w.Write(b)
}

func kindTitle(k functions.Kind) string {
	if k == functions.KindQuery {
		return "Query"
	}
	return "Mutation"
}
