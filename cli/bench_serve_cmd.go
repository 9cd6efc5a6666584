package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/valyala/fasthttp"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/server"
	"github.com/strata-db/strata/v"
)

func (a *app) benchServeCommand() *cobra.Command {
	var (
		clients  int
		docs     int
		duration time.Duration
		profile  string
		client   string
	)
	cmd := &cobra.Command{
		Use:   "serve [--clients N] [--duration D]",
		Short: "compare function calls over HTTP with the same calls in process",
		Long: `Serve two functions from a fresh SQLite database in a temporary directory —
a point query (get one document by id) and a one-document mutation (patch a
counter) — on a loopback port, then call each for --duration from --clients
concurrent clients: in process (App.Call, the baseline) and over HTTP
(keep-alive connections, Convex's JSON encoding, the whole server), the two
sides taking turns three times each so that whatever else the machine runs
falls on both alike. Also call, the same way, a handler that only reads the
body and writes a fixed answer, on the HTTP server strata serve runs on
(fasthttp) and on net/http's: the HTTP floor, what the transport alone costs
on this machine.

Print calls per second, HTTP as a fraction of in-process, p50 and p99
latencies, and the process's CPU time per call (clients included). Targets
for the point query at 64 clients: HTTP at least 40% of in-process, p99 at
most 10 ms.

--client lean (the default) sends the HTTP calls from a minimal keep-alive
HTTP/1.1 client, as load generators such as wrk do, so that the load, which
shares the machine's cores with the server, takes as little of them as it
can; --client net/http uses Go's http.Client (a reader and a writer goroutine
per connection), which costs about as much CPU per call as the server.
--cpuprofile writes a pprof CPU profile of the first HTTP point-query turn
(go tool pprof FILE).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if clients < 1 || docs < 1 || duration <= 0 {
				return usageErrorf("--clients, --docs and --duration must be positive")
			}
			if client != "lean" && client != "net/http" {
				return usageErrorf("--client %q: use lean or net/http", client)
			}
			return a.benchServe(cmd.Context(), clients, docs, duration, profile, client)
		},
	}
	cmd.Flags().IntVar(&clients, "clients", 64, "concurrent clients")
	cmd.Flags().IntVar(&docs, "docs", 1000, "documents the functions read and patch")
	cmd.Flags().DurationVar(&duration, "duration", 3*time.Second, "how long each side of each workload runs (in three turns)")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the HTTP runs to this file")
	cmd.Flags().StringVar(&client, "client", "lean", "HTTP client of the load: lean or net/http")
	return cmd
}

// floorRun is one HTTP floor: a server with a fixed answer, and what its
// calls measured.
type floorRun struct {
	name   string
	server interface{ Serve(net.Listener) error }
	addr   string
	res    benchResult
}

// benchResult is one run: calls completed and their latencies (sorted
// once the runs of a side are merged).
type benchResult struct {
	calls int
	lat   []time.Duration
	took  time.Duration
	errs  int
	cpu   time.Duration // CPU time of the whole process (clients too); 0: unknown
}

// add merges o into r.
func (r *benchResult) add(o benchResult) {
	r.calls += o.calls
	r.lat = append(r.lat, o.lat...)
	r.took += o.took
	r.errs += o.errs
	r.cpu += o.cpu
}

// cpuPerCall is the process's CPU time per completed call, clients
// included, or "-" if unknown.
func (r benchResult) cpuPerCall() string {
	if r.cpu <= 0 || r.calls == 0 {
		return "-"
	}
	return (r.cpu / time.Duration(r.calls)).Round(100 * time.Nanosecond).String()
}

func (r benchResult) perSecond() float64 { return float64(r.calls) / r.took.Seconds() }

func (r benchResult) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))]
}

// runClients runs calls from n goroutines for d and gathers the results;
// each goroutine makes its call with newCall and ends it with the done it
// returns.
func runClients(ctx context.Context, n int, d time.Duration, newCall func() (call func(rng *rand.Rand) error, done func())) benchResult {
	var (
		mu  sync.Mutex
		res benchResult
		wg  sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cpu0, cpuOK := processCPU()
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			call, done := newCall()
			defer done()
			var lat []time.Duration
			errs := 0
			for ctx.Err() == nil {
				t := time.Now()
				if err := call(rng); err != nil {
					errs++
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.errs += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	if cpu1, ok := processCPU(); ok && cpuOK {
		res.cpu = cpu1 - cpu0
	}
	res.calls = len(res.lat)
	return res
}

func (a *app) benchServe(ctx context.Context, clients, docs int, d time.Duration, profile, clientKind string) error {
	var prof *os.File
	if profile != "" {
		var err error
		if prof, err = os.Create(profile); err != nil {
			return fmt.Errorf("bench serve: %w", err)
		}
		defer prof.Close()
	}
	dir, err := os.MkdirTemp("", "strata-bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db")+"?synchronous=normal")
	if err != nil {
		return err
	}
	defer db.Close()
	ids := make([]strata.ID, docs)
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range ids {
			var err error
			if ids[i], err = tx.Insert("items", strata.Doc{"n": int64(0), "name": fmt.Sprintf("item %d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bench serve: seeding: %w", err)
	}
	app := functions.NewApp()
	app.Query("items:get", functions.Def{
		Args: v.Object{"id": v.ID("items")},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			s, _ := args.String("id")
			doc, err := c.Tx.Get(strata.ID(s))
			if doc == nil || err != nil {
				return nil, err
			}
			return doc, nil
		},
	})
	app.Mutation("items:bump", functions.Def{
		Args: v.Object{"id": v.ID("items")},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			s, _ := args.String("id")
			doc, err := c.Tx.Get(strata.ID(s))
			if doc == nil || err != nil {
				return nil, fmt.Errorf("no item %s: %v", s, err)
			}
			n, _ := doc.Int("n")
			return nil, c.Tx.Patch(strata.ID(s), strata.Patch{"n": n + 1})
		},
	})
	srv, err := server.New(server.Config{DB: db, Functions: app})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bench serve: %w", err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln, time.Second) }()
	defer func() { stop(); <-served }()

	bodies := map[string][][]byte{}
	for _, fn := range []string{"items:get", "items:bump"} {
		for _, id := range ids {
			bodies[fn] = append(bodies[fn], []byte(`{"path":"`+fn+`","format":"convex_encoded_json","args":[{"id":"`+string(id)+`"}]}`))
		}
	}
	inProcess := func(fn string) func() (func(rng *rand.Rand) error, func()) {
		return func() (func(rng *rand.Rand) error, func()) {
			return func(rng *rand.Rand) error {
				_, err := app.Call(ctx, db, fn, map[string]any{"id": string(ids[rng.IntN(len(ids))])})
				return err
			}, func() {}
		}
	}
	addr := ln.Addr().String()
	// The HTTP floors: a handler that reads the body and answers a fixed
	// result, on the server Serve runs on (fasthttp) and on net/http's,
	// called by the same clients — what the transport alone costs here.
	floorAnswer := []byte(`{"status":"success","value":{"_creationTime":1.7e12,"_id":"` + string(ids[0]) + `","n":0,"name":"item 0"},"logLines":[]}`)
	floors := []*floorRun{
		{name: "fasthttp (strata serve's server)", server: &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
			_ = c.PostBody()
			c.Response.Header.SetContentType("application/json")
			c.Write(floorAnswer)
		}}},
		{name: "net/http", server: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write(floorAnswer)
		})}},
	}
	for _, f := range floors {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("bench serve: %w", err)
		}
		f.addr = ln.Addr().String()
		go f.server.Serve(ln)
		defer ln.Close()
	}
	overHTTP := func(fn, route, addr string) func() (func(rng *rand.Rand) error, func()) {
		return func() (func(rng *rand.Rand) error, func()) {
			p, _ := newPoster(clientKind, addr) // the kind was checked
			return func(rng *rand.Rand) error {
				return postOK(p, route, bodies[fn][rng.IntN(len(ids))])
			}, p.close
		}
	}
	const rounds = 3
	var floorIn benchResult
	fmt.Fprintf(a.stdout, "strata bench serve: %d clients, %v per side, %d documents, SQLite, HTTP on %s (%s client)\n\n", clients, d, docs, addr, clientKind)
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tIN-PROCESS/S\tHTTP/S\tHTTP/IN-PROCESS\tIN-PROCESS P50\tP99\tHTTP P50\tP99\tCPU/CALL IN-PROCESS\tHTTP\tERRORS")
	for _, w := range []struct{ name, fn, route string }{
		{"point query", "items:get", "/api/query"},
		{"one-document mutation", "items:bump", "/api/mutation"},
	} {
		// The two sides take turns, rounds times each, so that a change
		// in what else the machine runs falls on both alike.
		var in, h benchResult
		for range rounds {
			in.add(runClients(ctx, clients, d/rounds, inProcess(w.fn)))
			if prof != nil {
				if err := pprof.StartCPUProfile(prof); err != nil {
					return fmt.Errorf("bench serve: %w", err)
				}
			}
			h.add(runClients(ctx, clients, d/rounds, overHTTP(w.fn, w.route, addr)))
			if prof != nil {
				pprof.StopCPUProfile()
				prof = nil // one profile: the point query's first HTTP turn
			}
			if w.fn == "items:get" {
				for _, f := range floors {
					f.res.add(runClients(ctx, clients, d/rounds, overHTTP(w.fn, w.route, f.addr)))
				}
			}
		}
		if w.fn == "items:get" {
			floorIn = in
		}
		slices.Sort(in.lat)
		slices.Sort(h.lat)
		if err := ctx.Err(); err != nil {
			return err
		}
		ratio := 0.0
		if in.calls > 0 {
			ratio = h.perSecond() / in.perSecond()
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f%%\t%v\t%v\t%v\t%v\t%s\t%s\t%d\n", w.name, in.perSecond(), h.perSecond(), 100*ratio,
			in.quantile(.5).Round(time.Microsecond), in.quantile(.99).Round(time.Microsecond),
			h.quantile(.5).Round(time.Microsecond), h.quantile(.99).Round(time.Microsecond),
			in.cpuPerCall(), h.cpuPerCall(), in.errs+h.errs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if floorIn.calls > 0 {
		fmt.Fprintf(a.stdout, "\nHTTP floor: a handler that only reads the body and writes a fixed answer, called the same way\n"+
			"(a server pays this and the function's own cost, CPU/CALL IN-PROCESS):\n")
		for _, f := range floors {
			slices.Sort(f.res.lat)
			fmt.Fprintf(a.stdout, "  %-34s %.0f calls/s (%.0f%% of the point query in process), p50 %v, p99 %v, CPU/call %s\n",
				f.name+":", f.res.perSecond(), 100*f.res.perSecond()/floorIn.perSecond(),
				f.res.quantile(.5).Round(time.Microsecond), f.res.quantile(.99).Round(time.Microsecond), f.res.cpuPerCall())
		}
	}
	fmt.Fprintln(a.stdout, "\ntargets (point query, 64 clients): HTTP/IN-PROCESS >= 40%, HTTP P99 <= 10ms")
	return nil
}
