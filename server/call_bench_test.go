package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/server"
	"github.com/strata-db/strata/v"
)

// BenchmarkPointQuery calls a point query (get one document by id) in
// process (App.Call, the baseline) and over loopback HTTP through the
// whole server (http-serve: Serve, as strata serve runs it; http-servehttp:
// the Server as a handler of net/http's server), from 1 and from 64
// goroutines: ns/op of http over inprocess is the HTTP path's cost per
// call. The client is net/http's, the same for both.
func BenchmarkPointQuery(b *testing.B) {
	ctx := context.Background()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "b.db")+"?synchronous=normal")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ids := make([]strata.ID, 1000)
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range ids {
			if ids[i], err = tx.Insert("items", strata.Doc{"n": int64(0), "name": fmt.Sprintf("item %d", i)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	app := functions.NewApp()
	app.Query("items:get", functions.Def{
		Args: v.Object{"id": v.ID("items")},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			s, _ := args.String("id")
			return c.Tx.Get(strata.ID(s))
		},
	})
	s, err := server.New(server.Config{DB: db, Functions: app})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln, time.Second) }()
	defer func() { stop(); <-served }()
	serveURL := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	bodies := make([][]byte, len(ids))
	for i, id := range ids {
		bodies[i] = []byte(`{"path":"items:get","format":"convex_encoded_json","args":[{"id":"` + string(id) + `"}]}`)
	}
	var post func(base string, i int) error
	inProcess := func(i int) error {
		_, err := app.Call(ctx, db, "items:get", map[string]any{"id": string(ids[i%len(ids)])})
		return err
	}
	overHTTP := func(base string) func(i int) error {
		return func(i int) error { return post(base, i) }
	}
	post = func(base string, i int) error {
		resp, err := client.Post(base+"/api/query", "application/json", bytes.NewReader(bodies[i%len(ids)]))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
	// The handler alone, without the transport: ServeHTTP on a request
	// and a ResponseWriter that are reused, against App.Call.
	b.Run("handler-only", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		rd := bytes.NewReader(nil)
		req := httptest.NewRequest("POST", "/api/query", rd)
		req.Header.Set("Content-Type", "application/json")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			rd.Reset(bodies[i%len(ids)])
			req.Body = io.NopCloser(rd)
			clear(w.h)
			w.status = 0
			s.ServeHTTP(w, req)
			if w.status != 0 && w.status != 200 {
				b.Fatalf("status %d", w.status)
			}
		}
	})
	b.Run("app-call-only", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := inProcess(i); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, par := range []int{1, 64} {
		for _, c := range []struct {
			name string
			call func(int) error
		}{{"inprocess", inProcess}, {"http-serve", overHTTP(serveURL)}, {"http-servehttp", overHTTP(ts.URL)}} {
			b.Run(fmt.Sprintf("%s/clients=%d", c.name, par), func(b *testing.B) {
				if par == 1 {
					for i := 0; b.Loop(); i++ {
						if err := c.call(i); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism((par + 1) / 2) // GOMAXPROCS is 2
				b.RunParallel(func(pb *testing.PB) {
					for i := 0; pb.Next(); i++ {
						if err := c.call(i * 7); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
