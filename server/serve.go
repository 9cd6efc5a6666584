package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/strata-db/strata/functions"
)

// DefaultDrain is how long Serve waits for in-flight calls at shutdown.
const DefaultDrain = 10 * time.Second

// Limits of the connections Serve accepts.
const (
	// readTimeout bounds reading one request, headers and body.
	readTimeout = 30 * time.Second
	// idleTimeout closes a keep-alive connection idle this long.
	idleTimeout = 2 * time.Minute
	// readBufferSize is the largest request header block Serve accepts
	// (larger: 431).
	readBufferSize = 32 << 10
)

// Serve answers requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting connections and waits up to drain
// (DefaultDrain if 0) for the requests in flight to finish; event streams
// (the dashboard's) end when shutdown begins. It returns nil after a clean
// shutdown.
//
// Serve answers exactly as ServeHTTP does, on HTTP/1.1 with keep-alive,
// but calls (/api/query, /api/mutation) do not go through net/http: its
// per-request cost (a Request, a header map and a response writer per
// call) is about what a point query costs, so Serve carries them on a
// leaner server (fasthttp) and hands every other route to ServeHTTP.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	if drain <= 0 {
		drain = DefaultDrain
	}
	// Other routes go through net/http's API. Their context is a new
	// one, not fasthttp's request context: that one ends when shutdown
	// begins (which would cancel the requests Shutdown is draining), and
	// its values live in the request object fasthttp reuses, which an
	// event stream's handler outlives. ServeHTTP bounds each request at
	// Config.Timeout.
	other := fasthttpadaptor.NewFastHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, ownRequest(r, context.Background()))
	}))
	fs := &fasthttp.Server{
		Handler: func(c *fasthttp.RequestCtx) {
			if kind, ok := callRoute(c); ok {
				s.serveCall(c, kind)
				return
			}
			other(c)
		},
		ErrorHandler:          s.rejectRequest,
		MaxRequestBodySize:    int(min(s.cfg.MaxBodyBytes, int64(^uint(0)>>1))),
		ReadTimeout:           readTimeout,
		IdleTimeout:           idleTimeout,
		ReadBufferSize:        readBufferSize,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		Logger:                discardLogger{},
	}
	done := make(chan error, 1)
	go func() { done <- fs.Serve(ln) }()
	select {
	case err := <-done:
		if err == nil {
			err = errors.New("the listener closed")
		}
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.stopOnce.Do(func() { close(s.stopping) })
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := fs.ShutdownWithContext(sctx)
	// Shutdown closes only a listener fasthttp's Serve has registered: told
	// to stop before that goroutine ran, it returns at once and Serve would
	// then serve on. Closing the listener here ends it either way.
	ln.Close()
	if serr := <-done; serr != nil && !errors.Is(serr, net.ErrClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("server: shutting down: %w", err)
	}
	return nil
}

// ownRequest returns a copy of r with ctx that shares no memory with
// fasthttp: fasthttpadaptor's request points into buffers that the
// connection's next request overwrites, and a handler may keep a string of
// it past its answer (the dashboard's background migration steps keep
// the migration's name). The body is not copied: handlers read it before
// they answer.
func ownRequest(r *http.Request, ctx context.Context) *http.Request {
	o := r.WithContext(ctx)
	o.Method = strings.Clone(r.Method)
	o.Proto = strings.Clone(r.Proto)
	o.Host = strings.Clone(r.Host)
	o.RemoteAddr = strings.Clone(r.RemoteAddr)
	o.RequestURI = strings.Clone(r.RequestURI)
	if r.URL != nil {
		u := *r.URL
		for _, f := range []*string{&u.Scheme, &u.Opaque, &u.Host, &u.Path, &u.RawPath, &u.RawQuery, &u.Fragment, &u.RawFragment} {
			*f = strings.Clone(*f)
		}
		if r.URL.User != nil {
			if pw, ok := r.URL.User.Password(); ok {
				u.User = url.UserPassword(strings.Clone(r.URL.User.Username()), strings.Clone(pw))
			} else {
				u.User = url.User(strings.Clone(r.URL.User.Username()))
			}
		}
		o.URL = &u
	}
	o.Header = cloneHeader(r.Header)
	o.Trailer = cloneHeader(r.Trailer)
	o.TransferEncoding = cloneStrings(r.TransferEncoding)
	return o
}

// cloneHeader copies h and every string in it.
func cloneHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	c := make(http.Header, len(h))
	for k, vs := range h {
		c[strings.Clone(k)] = cloneStrings(vs)
	}
	return c
}

// cloneStrings copies a slice of strings and the strings' bytes.
func cloneStrings(vs []string) []string {
	if vs == nil {
		return nil
	}
	c := make([]string, len(vs))
	for i, v := range vs {
		c[i] = strings.Clone(v)
	}
	return c
}

// callRoute reports whether c is a call Serve answers itself: POST
// /api/query or /api/mutation.
func callRoute(c *fasthttp.RequestCtx) (functions.Kind, bool) {
	if !c.IsPost() {
		return 0, false
	}
	switch string(c.Path()) {
	case "/api/query":
		return functions.KindQuery, true
	case "/api/mutation":
		return functions.KindMutation, true
	}
	return 0, false
}

// Routes of calls, as the mux names them in metrics and logs.
const (
	queryRoute    = "POST /api/query"
	mutationRoute = "POST /api/mutation"
)

// serveCall answers a call as callHandler does, with ServeHTTP's CORS
// headers, timeout, metrics and access log.
func (s *Server) serveCall(c *fasthttp.RequestCtx, kind functions.Kind) {
	start := time.Now()
	s.corsFast(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	out := answerBuffers.Get().(*[]byte)
	body := c.PostBody()
	a := s.answerCall(ctx, kind, string(c.Request.Header.Peek("Authorization")), body, (*out)[:0])
	cancel()
	if a.plain() {
		c.Response.Header.Set("Content-Type", "text/plain; charset=utf-8")
		c.Response.Header.Set("X-Content-Type-Options", "nosniff")
	} else {
		c.Response.Header.SetContentTypeBytes(jsonType)
	}
	c.SetStatusCode(a.status)
	c.Write(a.body)
	if !a.plain() && cap(a.body) <= maxPooledBuffer {
		*out = a.body[:0] // keep the grown array for the next answer
	}
	answerBuffers.Put(out)
	route := queryRoute
	if kind == functions.KindMutation {
		route = mutationRoute
	}
	s.metrics.observeHTTP(route, a.status, time.Since(start))
	if s.cfg.Logger.Enabled(ctx, slog.LevelInfo) {
		s.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "http",
			slog.String("method", http.MethodPost),
			slog.String("route", route),
			slog.Int("status", a.status),
			slog.Int64("req_bytes", int64(len(body))),
			slog.Int64("resp_bytes", int64(len(a.body))),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.RemoteAddr().String()))
	}
}

// jsonType is the Content-Type of JSON answers.
var jsonType = []byte("application/json")

// corsFast sets the CORS headers of an allowed origin on a call's answer
// (calls are POSTs, never preflights), as cors does.
func (s *Server) corsFast(c *fasthttp.RequestCtx) {
	if len(s.cfg.CORSOrigins) == 0 {
		return
	}
	origin := c.Request.Header.Peek("Origin")
	if len(origin) == 0 || !s.allowedOrigin(string(origin)) {
		return
	}
	c.Response.Header.SetBytesV("Access-Control-Allow-Origin", origin)
	c.Response.Header.Add("Vary", "Origin")
}

// rejectRequest answers a request the server could not read: too large a
// body (413), too large a header (431), too slow (408), malformed (400).
func (s *Server) rejectRequest(c *fasthttp.RequestCtx, err error) {
	status, msg := http.StatusBadRequest, "malformed HTTP request: "+err.Error()
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status, msg = http.StatusRequestEntityTooLarge, tooLarge(s.cfg.MaxBodyBytes)
	case errors.As(err, &small):
		status, msg = http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("request header larger than %d bytes", readBufferSize)
	case errors.As(err, &netErr) && netErr.Timeout():
		status, msg = http.StatusRequestTimeout, "request not read within "+readTimeout.String()
	}
	c.Response.Header.Set("Content-Type", "text/plain; charset=utf-8")
	c.SetStatusCode(status)
	c.SetBodyString(msg + "\n")
	s.metrics.observeHTTP("rejected", status, 0)
	s.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "http",
		slog.String("route", "rejected"),
		slog.Int("status", status),
		slog.String("error", http.StatusText(status)), // the error itself may quote the request
		slog.String("remote", c.RemoteAddr().String()))
}

// discardLogger drops fasthttp's own log lines (connection errors): the
// access log records requests.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
