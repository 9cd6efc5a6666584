package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/server"
	"github.com/strata-db/strata/v"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const testAdminKey = "test-admin-key-0123456789"

// testApp returns the functions the tests call, the ones the node test
// (testdata/convex_client.mjs) calls through ConvexHttpClient.
func testApp(tb testing.TB) *functions.App {
	tb.Helper()
	app := functions.NewApp()
	app.Mutation("messages:send", functions.Def{
		Args: v.Object{"author": v.String(), "body": v.String()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.Tx.Insert("messages", args)
		},
	})
	app.Query("messages:get", functions.Def{
		Args: v.Object{"id": v.ID("messages")},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			s, _ := args["id"].(string) // an id arrives as a string
			id := strata.ID(s)
			d, err := ctx.Tx.Get(id)
			if d == nil || err != nil {
				return nil, err
			}
			return d, nil
		},
	})
	app.Query("messages:count", functions.Def{
		Args: v.Object{},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			n := int64(0)
			err := ctx.Tx.EachDocument("messages", func(strata.Doc) error { n++; return nil })
			return n, err
		},
	})
	// echo returns its argument unchanged: int64, bytes, NaN round trips.
	app.Query("values:echo", functions.Def{
		Args: v.Object{"x": v.Any()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return args["x"], nil
		},
	})
	app.Query("values:nan", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return []any{math.Float64frombits(0xFFF8000000000123), math.Inf(-1), math.Copysign(0, -1), int64(math.MinInt64)}, nil
		},
	})
	app.Mutation("errors:throw", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			if _, err := ctx.Tx.Insert("messages", strata.Doc{"author": "x", "body": "rolled back"}); err != nil {
				return nil, err
			}
			return nil, &functions.DataError{Message: "boom", Data: map[string]any{"code": int64(42)}}
		},
	})
	app.Query("errors:plain", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return nil, errors.New("plain failure")
		},
	})
	app.Query("chat/rooms:default", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) { return "default export", nil },
	})
	app.Mutation("jobs:later", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.Scheduler.RunAfter(time.Hour, "messages:send", map[string]any{"author": "cron", "body": "later"})
		},
	})
	app.InternalQuery("admin:secret", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) { return "secret", nil },
	})
	return app
}

// startServer serves testApp over a fresh SQLite file with Serve, as
// strata serve does, and returns its URL.
func startServer(tb testing.TB, cfg server.Config) (string, *strata.DB) {
	tb.Helper()
	return start(tb, cfg, false)
}

// startHandler is startServer with the Server as an http.Handler of
// net/http's server, as an application that embeds it runs it.
func startHandler(tb testing.TB, cfg server.Config) (string, *strata.DB) {
	tb.Helper()
	return start(tb, cfg, true)
}

func start(tb testing.TB, cfg server.Config, asHandler bool) (string, *strata.DB) {
	tb.Helper()
	db, err := strata.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "serve.db")+"?synchronous=normal")
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	cfg.DB = db
	if cfg.Functions == nil {
		cfg.Functions = testApp(tb)
	}
	s, err := server.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if asHandler {
		ts := httptest.NewServer(s)
		tb.Cleanup(ts.Close)
		return ts.URL, db
	}
	addr, stop, served := serve(tb, s, 5*time.Second)
	tb.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			tb.Errorf("Serve: %v", err)
		}
	})
	return "http://" + addr, db
}

// serve runs s.Serve with drain on a new loopback listener and returns
// its address, the function that tells it to stop and the channel that
// receives what Serve returned.
func serve(tb testing.TB, s *server.Server, drain time.Duration) (addr string, stop context.CancelFunc, served <-chan error) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, drain) }()
	return ln.Addr().String(), stop, done
}

// post sends body to url with an optional Authorization header and
// returns the status and body.
func post(tb testing.TB, url, auth, body string) (int, string) {
	tb.Helper()
	return do(tb, http.MethodPost, url, auth, body)
}

// do sends a request and returns the status and body.
func do(tb testing.TB, method, url, auth, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewBufferString(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
