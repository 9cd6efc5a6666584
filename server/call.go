package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/value"
)

// StatusFunctionFailed is the HTTP status of a call whose function failed
// (Convex's STATUS_CODE_UDF_FAILED): the body is a JSON error answer that
// Convex's clients turn into a thrown error.
const StatusFunctionFailed = 560

// callRequest is the body of /api/query, /api/mutation and /api/action:
// {"path", "format", "args"}.
type callRequest struct {
	Path   string
	Format string
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
// itself and returns ok false. The body is parsed once, in Convex's JSON
// encoding: its "args" are the call's arguments (one object, or an array
// holding one); other fields are ignored.
func (s *Server) readCall(w http.ResponseWriter, r *http.Request) (req callRequest, args any, ok bool) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer { // a large body's buffer is left to the GC
			bodyBuffers.Put(buf)
		}
	}()
	buf.Reset()
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
			return req, nil, false
		}
		http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
		return req, nil, false
	}
	const shape = `the body must be a JSON object {"path", "format", "args"}`
	x, err := value.ParseConvexJSON(buf.Bytes())
	if err != nil {
		http.Error(w, shape+": "+err.Error(), http.StatusBadRequest)
		return req, nil, false
	}
	body, isObject := x.(map[string]any)
	if !isObject {
		http.Error(w, fmt.Sprintf("%s, not %s", shape, value.TypeName(x)), http.StatusBadRequest)
		return req, nil, false
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"path", &req.Path}, {"format", &req.Format}} {
		v, present := body[f.name]
		if str, isString := v.(string); isString {
			*f.dst = str
		} else if present && v != nil {
			http.Error(w, fmt.Sprintf("%s: %q must be a string, not %s", shape, f.name, value.TypeName(v)), http.StatusBadRequest)
			return req, nil, false
		}
	}
	if req.Path == "" {
		http.Error(w, "missing \"path\": the function to call, as \"module:function\"", http.StatusBadRequest)
		return req, nil, false
	}
	if req.Format != "" && req.Format != "convex_encoded_json" {
		http.Error(w, fmt.Sprintf("unsupported format %q: use \"convex_encoded_json\"", req.Format), http.StatusBadRequest)
		return req, nil, false
	}
	args = body["args"]
	if args == nil {
		args = map[string]any{}
	}
	if list, isList := args.([]any); isList {
		if len(list) != 1 {
			http.Error(w, fmt.Sprintf("\"args\" must hold one arguments object, not %d values", len(list)), http.StatusBadRequest)
			return req, nil, false
		}
		args = list[0]
	}
	return req, args, true
}

// bodyBuffers holds the buffers call bodies are read into: a parsed body
// keeps no reference to its bytes.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// answerBuffers holds the buffers answers are written from.
var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuffer is the largest body or answer buffer kept for reuse.
const maxPooledBuffer = 64 << 10

// jsonContentType is the Content-Type header of JSON answers, shared:
// net/http only reads it.
var jsonContentType = []string{"application/json"}

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
		buf := answerBuffers.Get().(*[]byte)
		defer answerBuffers.Put(buf)
		out, err := value.AppendConvexJSON(append((*buf)[:0], `{"status":"success","value":`...), result)
		if err != nil {
			writeFailure(w, "the function's result cannot be sent: "+err.Error(), nil)
			return
		}
		out = append(out, `,"logLines":[]}`...)
		w.Header()["Content-Type"] = jsonContentType
		w.Write(out)
		if cap(out) <= maxPooledBuffer {
			*buf = out[:0] // keep the grown array for the next answer
		}
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
