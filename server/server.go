package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
)

// Defaults of Config.
const (
	DefaultMaxBodyBytes = 8 << 20
	DefaultTimeout      = 30 * time.Second
)

// Config is what a Server serves and its limits.
type Config struct {
	// DB is the database the functions run against. Required.
	DB *strata.DB
	// Functions are the functions served; nil serves none.
	Functions *functions.App
	// AdminKey, when not empty, is a key that lets a request call
	// internal functions and the admin API (Authorization: Convex KEY).
	// The key whose hash the database stores (EnsureAdminKey) is accepted
	// too. The Server keeps only SHA-256 hashes and compares in constant
	// time. With neither, no request is an admin's.
	AdminKey string
	// MaxBodyBytes caps a request's body; a larger one is answered 413.
	// 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Timeout bounds each request (its context ends then: a function call
	// fails with 560, an admin request with an error); 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Logger receives one access-log record per request (method, route,
	// status, duration, sizes; never a header or a body). nil: none.
	Logger *slog.Logger
	// CORSOrigins are the origins a browser may call from ("*": any).
	// Empty: no CORS headers, so browsers allow same-origin calls only.
	CORSOrigins []string
}

// Server answers the HTTP API. It is an http.Handler, safe for concurrent
// use; Serve runs it on a listener with graceful shutdown.
type Server struct {
	cfg         Config
	mux         *http.ServeMux
	adminHashes [][sha256.Size]byte
	metrics     *metrics
	// stopping is closed when Serve begins to shut down: streams that
	// would outlast the drain (the dashboard's events) end then.
	stopping chan struct{}
	stopOnce sync.Once
}

// New returns a Server for cfg. It reads the admin key's hash stored in
// the database, and fails if cfg has no database or the read fails.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil {
		return nil, errors.New("server: Config.DB is nil")
	}
	if cfg.Functions == nil {
		cfg.Functions = functions.NewApp()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), stopping: make(chan struct{})}
	stored, err := storedAdminHashes(context.Background(), cfg.DB)
	if err != nil {
		return nil, err
	}
	s.adminHashes = stored
	if cfg.AdminKey != "" {
		s.adminHashes = append(s.adminHashes, sha256.Sum256([]byte(cfg.AdminKey)))
	}
	s.cfg.AdminKey = "" // only the hash is kept
	s.mux.HandleFunc("POST /api/query", s.callHandler(functions.KindQuery))
	s.mux.HandleFunc("POST /api/mutation", s.callHandler(functions.KindMutation))
	s.mux.HandleFunc("POST /api/action", s.actionHandler)
	s.mux.HandleFunc("POST /api/query_at_ts", s.queryAtTSHandler)
	s.registerAdmin()
	s.registerDashboard()
	s.metrics = newMetrics(s)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	return s, nil
}

// ServeHTTP answers one request: CORS, then the route, with an access log
// record.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	if s.cors(rec, r) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
		routed := r.WithContext(ctx)
		s.mux.ServeHTTP(rec, routed)
		cancel()
		route := routed.Pattern // set by the mux: routing once serves the log too
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observeHTTP(route, rec.status, time.Since(start))
		s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Int64("req_bytes", r.ContentLength),
			slog.Int64("resp_bytes", rec.n),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
	}
}

// cors sets the CORS headers of an allowed origin and answers a preflight
// request itself; it reports whether the request still needs routing.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.CORSOrigins) == 0 {
		return true
	}
	if !s.allowedOrigin(origin) {
		return true // no headers: the browser refuses
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Convex-Client")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}

// allowedOrigin reports whether Config.CORSOrigins lets origin call.
func (s *Server) allowedOrigin(origin string) bool {
	return slices.Contains(s.cfg.CORSOrigins, "*") || slices.Contains(s.cfg.CORSOrigins, origin)
}

// errBadAuth: an Authorization header strata does not accept.
var errBadAuth = errors.New("invalid Authorization header")

// admin reports whether the Authorization header h carries the admin key (Authorization: Convex
// KEY, optionally followed by ":identity" as ConvexHttpClient's
// setAdminAuth sends it). It returns errBadAuth for a wrong key or an
// unknown scheme; a Bearer token or no header is not an admin's.
func (s *Server) admin(h string) (bool, error) {
	if h == "" {
		return false, nil
	}
	scheme, cred, _ := strings.Cut(h, " ")
	switch scheme {
	case "Bearer":
		return false, nil
	case "Convex":
		key, _, _ := strings.Cut(strings.TrimSpace(cred), ":")
		sum := sha256.Sum256([]byte(key))
		ok := 0
		for _, h := range s.adminHashes {
			ok |= subtle.ConstantTimeCompare(sum[:], h[:])
		}
		if ok == 1 {
			return true, nil
		}
		return false, fmt.Errorf("%w: the admin key is wrong", errBadAuth)
	}
	return false, fmt.Errorf("%w: use \"Bearer TOKEN\" or \"Convex ADMIN-KEY\"", errBadAuth)
}

// recorder remembers the status and size of a response for the access
// log.
type recorder struct {
	http.ResponseWriter
	status int
	n      int64
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}
