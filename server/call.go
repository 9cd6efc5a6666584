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

// callAnswer is the answer to one call request, whichever server
// carried it.
type callAnswer struct {
	status int    // http.StatusOK, StatusFunctionFailed, or a protocol error's
	body   []byte // JSON; a protocol error's plain text
}

// plain reports whether the answer is a protocol error's plain text.
func (a callAnswer) plain() bool {
	return a.status != http.StatusOK && a.status != StatusFunctionFailed
}

// protocolError is the answer to a malformed request: status and a
// plain-text message, as http.Error writes them.
func protocolError(status int, msg string) callAnswer {
	return callAnswer{status: status, body: []byte(msg + "\n")}
}

// parseCall reads a call's body. The body is parsed once, in Convex's
// JSON encoding: its "args" are the call's arguments (one object, or an
// array holding one); other fields are ignored. A malformed body is a
// protocol error (ok false).
func parseCall(data []byte) (req callRequest, args any, bad callAnswer, ok bool) {
	const shape = `the body must be a JSON object {"path", "format", "args"}`
	x, err := value.ParseConvexJSON(data)
	if err != nil {
		return req, nil, protocolError(http.StatusBadRequest, shape+": "+err.Error()), false
	}
	body, isObject := x.(map[string]any)
	if !isObject {
		return req, nil, protocolError(http.StatusBadRequest, fmt.Sprintf("%s, not %s", shape, value.TypeName(x))), false
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"path", &req.Path}, {"format", &req.Format}} {
		v, present := body[f.name]
		if str, isString := v.(string); isString {
			*f.dst = str
		} else if present && v != nil {
			return req, nil, protocolError(http.StatusBadRequest, fmt.Sprintf("%s: %q must be a string, not %s", shape, f.name, value.TypeName(v))), false
		}
	}
	if req.Path == "" {
		return req, nil, protocolError(http.StatusBadRequest, "missing \"path\": the function to call, as \"module:function\""), false
	}
	if req.Format != "" && req.Format != "convex_encoded_json" {
		return req, nil, protocolError(http.StatusBadRequest, fmt.Sprintf("unsupported format %q: use \"convex_encoded_json\"", req.Format)), false
	}
	args = body["args"]
	if args == nil {
		args = map[string]any{}
	}
	if list, isList := args.([]any); isList {
		if len(list) != 1 {
			return req, nil, protocolError(http.StatusBadRequest, fmt.Sprintf("\"args\" must hold one arguments object, not %d values", len(list))), false
		}
		args = list[0]
	}
	return req, args, callAnswer{}, true
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

// answerCall runs the call a request to /api/query (kind KindQuery) or
// /api/mutation carries and appends its answer's body to dst. auth is the
// request's Authorization header; ctx ends at Config.Timeout.
func (s *Server) answerCall(ctx context.Context, kind functions.Kind, auth string, data, dst []byte) callAnswer {
	admin, err := s.admin(auth)
	if err != nil {
		return protocolError(http.StatusUnauthorized, err.Error())
	}
	req, args, bad, ok := parseCall(data)
	if !ok {
		return bad
	}
	name := functionName(req.Path)
	f, found := s.cfg.Functions.Lookup(name)
	if !found || f.Internal && !admin {
		return failure(dst, fmt.Sprintf("Could not find public function for '%s'.", req.Path), nil)
	}
	if f.Kind != kind {
		return failure(dst, fmt.Sprintf("Trying to execute %s as %s, but it is defined as %s.", req.Path, kindTitle(kind), kindTitle(f.Kind)), nil)
	}
	start := time.Now()
	result, err := s.cfg.Functions.Call(ctx, s.cfg.DB, name, args)
	s.metrics.observeCall(kind, err, time.Since(start))
	if err != nil {
		return s.callFailure(dst, ctx, err)
	}
	out, err := value.AppendConvexJSON(append(dst, `{"status":"success","value":`...), result)
	if err != nil {
		return failure(dst, "the function's result cannot be sent: "+err.Error(), nil)
	}
	return callAnswer{status: http.StatusOK, body: append(out, `,"logLines":[]}`...)}
}

// readCallBody reads r's body, at most Config.MaxBodyBytes, into buf; a
// failure is a protocol error (413 for a body too large).
func (s *Server) readCallBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) (callAnswer, bool) {
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return protocolError(http.StatusRequestEntityTooLarge, tooLarge(tooBig.Limit)), false
		}
		return protocolError(http.StatusBadRequest, "reading the request body: "+err.Error()), false
	}
	return callAnswer{}, true
}

// tooLarge is the message of a 413 answer.
func tooLarge(limit int64) string {
	return fmt.Sprintf("request body larger than %d bytes", limit)
}

// writeAnswer writes a call's answer to w.
func writeAnswer(w http.ResponseWriter, a callAnswer) {
	h := w.Header()
	if a.plain() {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
	} else {
		h["Content-Type"] = jsonContentType
	}
	if a.status != http.StatusOK {
		w.WriteHeader(a.status)
	}
	w.Write(a.body)
}

// callHandler answers /api/query (kind KindQuery) or /api/mutation when
// the Server runs as an http.Handler; Serve answers them without
// net/http (serveCall).
func (s *Server) callHandler(kind functions.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in := bodyBuffers.Get().(*bytes.Buffer)
		out := answerBuffers.Get().(*[]byte)
		defer putBuffers(in, out)
		in.Reset()
		a, ok := s.readCallBody(w, r, in)
		if ok {
			a = s.answerCall(r.Context(), kind, r.Header.Get("Authorization"), in.Bytes(), (*out)[:0])
		}
		writeAnswer(w, a)
		if !a.plain() && cap(a.body) <= maxPooledBuffer {
			*out = a.body[:0] // keep the grown array for the next answer
		}
	}
}

// putBuffers returns a body and an answer buffer to their pools; a large
// buffer is left to the GC.
func putBuffers(in *bytes.Buffer, out *[]byte) {
	if in.Cap() <= maxPooledBuffer {
		bodyBuffers.Put(in)
	}
	answerBuffers.Put(out)
}

// actionHandler answers /api/action: strata has no actions.
func (s *Server) actionHandler(w http.ResponseWriter, r *http.Request) {
	writeAnswer(w, s.answerAction(w, r))
}

// answerAction answers /api/action.
func (s *Server) answerAction(w http.ResponseWriter, r *http.Request) callAnswer {
	if _, err := s.admin(r.Header.Get("Authorization")); err != nil {
		return protocolError(http.StatusUnauthorized, err.Error())
	}
	var in bytes.Buffer
	if a, ok := s.readCallBody(w, r, &in); !ok {
		return a
	}
	req, _, bad, ok := parseCall(in.Bytes())
	if !ok {
		return bad
	}
	return failure(nil, fmt.Sprintf("strata has no actions: '%s' cannot run as an action; call a query or a mutation, and do outside work in your own code", req.Path), nil)
}

// queryAtTSHandler answers /api/query_at_ts (ConvexHttpClient's consistent
// queries): strata serves no past snapshots.
func (s *Server) queryAtTSHandler(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "strata does not serve queries at a past timestamp (consistentQuery)", http.StatusNotImplemented)
}

// callFailure is the answer to a failed call: the error's message and,
// for a functions.DataError, its data, appended to dst.
func (s *Server) callFailure(dst []byte, ctx context.Context, err error) callAnswer {
	if ctx.Err() == context.DeadlineExceeded {
		return failure(dst, fmt.Sprintf("the function did not finish within the server's %v timeout", s.cfg.Timeout), nil)
	}
	var de *functions.DataError
	if errors.As(err, &de) {
		data, derr := value.MarshalConvexJSON(de.Data)
		if derr != nil {
			return failure(dst, de.Message+" (its data cannot be sent: "+derr.Error()+")", nil)
		}
		return failure(dst, de.Message, data)
	}
	msg := innermost(err).Error()
	if errors.Is(err, functions.ErrInvalidArgs) {
		msg = "ArgumentValidationError: " + strings.TrimPrefix(msg, functions.ErrInvalidArgs.Error()+": ")
	}
	return failure(dst, msg, nil)
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

// failure is a 560 answer {"status":"error",...}, appended to dst.
func failure(dst []byte, msg string, data []byte) callAnswer {
	body := struct {
		Status       string          `json:"status"`
		ErrorMessage string          `json:"errorMessage"`
		ErrorData    json.RawMessage `json:"errorData,omitempty"`
		LogLines     []string        `json:"logLines"`
	}{"error", msg, data, []string{}}
	b, _ := json.Marshal(body)
	return callAnswer{status: StatusFunctionFailed, body: append(dst, b...)}
}

func kindTitle(k functions.Kind) string {
	if k == functions.KindQuery {
		return "Query"
	}
	return "Mutation"
}
