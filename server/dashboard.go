package server

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"sync"
)

// assets are the dashboard's static files: plain HTML, CSS and JavaScript,
// served as they are (no build step).
//
//go:embed dashboard
var assets embed.FS

// dashboardRoutes are the admin routes the dashboard adds to the admin
// API, in registration order. Like every admin route, each refuses a
// request without the admin key (401).
var dashboardRoutes = []string{
	"GET /api/admin/dashboard/events",
	"POST /api/admin/dashboard/migrations",
	"GET /api/admin/dashboard/health",
	"PUT /api/admin/dashboard/documents/{id}",
	"POST /api/admin/dashboard/migrations/{name}/{action}",
}

// DashboardRoutes returns the patterns of the admin routes the dashboard
// adds (docs/http-api.md); each answers 401 without the admin key.
func DashboardRoutes() []string { return append([]string(nil), dashboardRoutes...) }

// dashboard is the state of the dashboard's routes: the migration steps
// it runs in the background and how they ended.
type dashboard struct {
	s *Server

	mu       sync.Mutex
	inflight map[string]string // migration name -> the step running in the background
	bgErr    map[string]string // migration name -> why its last background step failed
	stopped  map[string]bool   // migration name -> its background step was paused or canceled here
}

// registerDashboard serves the dashboard's pages under /dashboard/ (no
// key needed: the pages hold no data; the browser asks for the admin key
// and sends it to the admin API) and adds the dashboard's admin routes.
func (s *Server) registerDashboard() {
	d := &dashboard{s: s, inflight: map[string]string{}, bgErr: map[string]string{}, stopped: map[string]bool{}}
	sub, err := fs.Sub(assets, "dashboard")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	files := http.FileServerFS(sub)
	s.mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard/", http.StatusMovedPermanently)
	})
	s.mux.Handle("GET /dashboard/", http.StripPrefix("/dashboard", securityHeaders(files)))
	handlers := map[string]http.HandlerFunc{
		"GET /api/admin/dashboard/events":                      d.events,
		"POST /api/admin/dashboard/migrations":                 d.startMigration,
		"GET /api/admin/dashboard/health":                      d.health,
		"PUT /api/admin/dashboard/documents/{id}":              d.replaceDocument,
		"POST /api/admin/dashboard/migrations/{name}/{action}": d.migrationAction,
	}
	for _, p := range dashboardRoutes {
		s.mux.HandleFunc(p, s.requireAdmin(handlers[p]))
	}
}

// requireAdmin wraps h so that a request without the admin key is
// answered 401 as every admin route is.
func (s *Server) requireAdmin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ok, err := s.admin(r.Header.Get("Authorization"))
		if err == nil && !ok {
			err = errors.New("the admin API needs the admin key: Authorization: Convex KEY")
		}
		if err != nil {
			writeJSONError(w, http.StatusUnauthorized, err)
			return
		}
		h(w, r)
	}
}

// securityHeaders sets the headers of the dashboard's pages: scripts and
// styles only from the server itself (no inline script, so no injected
// markup runs), no framing, no referrer, and no caching across versions.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// Unwrap returns the wrapped ResponseWriter, so that
// http.ResponseController reaches its Flush (the dashboard's event
// stream flushes each event).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
