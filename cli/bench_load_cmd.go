package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/internal/loadbench"
)

func (a *app) benchLoadCommand() *cobra.Command {
	var (
		docs, pool int
		clients    string
		workloads  string
		opts       loadbench.Options
	)
	cmd := &cobra.Command{
		Use:   "load --db postgres://... [--clients 1,8,32,64] [--duration 5s]",
		Short: "compare strata on PostgreSQL with raw pgx under many concurrent clients",
		Long: `Load --docs accounts into a new schema of the PostgreSQL database --db names,
as strata documents and as plain rows, then run four workloads at each
--clients concurrency, on strata and on raw pgx in the same run, their
turns alternating:

  - point read: read one random account;
  - uniform update: read one random account and write back its counter + 1;
  - hot-spot update: the same on one of 16 accounts;
  - transfer + ledger insert: move an amount between two random accounts
    and insert a ledger document.

Both sides run SERIALIZABLE transactions on a pool of --pool connections and
retry serialization failures with strata's policy (20 retries, jittered
backoff from 1 ms to 100 ms). The raw side is the strongest hand-written
pgx code: a point read is one autocommit statement, a read-modify-write
sends BEGIN with its reads, then its writes with COMMIT.

For every cell it prints transactions a second, p50 and p99 latency,
retries per commit and failed transactions by kind, strata's throughput
as a fraction of raw's, and the target (0.8 for one client, 0.85 above;
"ok" or "MISSED"); then the invariants (no lost updates, balances kept,
one ledger entry per transfer) on both sides. It runs for about
workloads x clients x --duration x 2, connects only to --db, and drops its
schema at the end.

--processes N runs every turn in N processes at once, each with --clients
goroutines and pools of --pool connections: this one and N-1 copies of
this executable, started for each turn ("4 processes x 16 clients":
--processes 4 --clients 16, to compare with one process of --clients 64).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			url := a.dbURL
			if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
				return usageErrorf("bench load needs --db postgres://user:password@host:port/dbname")
			}
			if docs < loadbench.HotDocs+2 {
				return usageErrorf("--docs must be at least %d", loadbench.HotDocs+2)
			}
			if pool < 1 {
				return usageErrorf("--pool must be positive")
			}
			if opts.Duration <= 0 || opts.Duration > time.Hour {
				return usageErrorf("--duration must be positive and at most an hour")
			}
			var err error
			if opts.Clients, err = parseClients(clients); err != nil {
				return err
			}
			if opts.Workloads, err = parseWorkloads(workloads); err != nil {
				return err
			}
			if opts.Processes < 1 || opts.Processes > 64 {
				return usageErrorf("--processes must be between 1 and 64")
			}
			opts.Spawn = spawnSelf
			return a.benchLoad(cmd.Context(), url, docs, pool, opts)
		},
	}
	cmd.Flags().IntVar(&docs, "docs", 10_000, "accounts on each side")
	cmd.Flags().IntVar(&pool, "pool", 4, "connections in each side's pool")
	cmd.Flags().StringVar(&clients, "clients", "1,8,32,64", "concurrent clients (goroutines) of each cell, comma-separated")
	cmd.Flags().StringVar(&workloads, "workloads", "read,update,hot,transfer", "workloads to run, comma-separated: read, update, hot, transfer")
	cmd.Flags().DurationVar(&opts.Duration, "duration", 5*time.Second, "time of each side in each cell")
	cmd.Flags().IntVar(&opts.Rounds, "rounds", 2, "turns of each side in each cell, alternating")
	cmd.Flags().IntVar(&opts.Processes, "processes", 1, "processes running each turn, each with --clients goroutines and its own pools (this one and copies of it)")
	return cmd
}

// benchLoadWorkerCommand is the hidden command a multi-process `bench
// load` starts copies of itself with.
func (a *app) benchLoadWorkerCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "load-worker ARGS",
		Short:  "one worker process of bench load --processes (internal)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var wa loadbench.WorkerArgs
			if err := json.Unmarshal([]byte(args[0]), &wa); err != nil {
				return usageErrorf("load-worker: %v", err)
			}
			r, err := loadbench.RunWorker(cmd.Context(), wa)
			if err != nil {
				return fmt.Errorf("bench load worker: %w", err)
			}
			return json.NewEncoder(a.stdout).Encode(r)
		},
	}
}

// spawnSelf starts this executable as a bench load worker.
func spawnSelf(ctx context.Context, args string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	return exec.CommandContext(ctx, self, "bench", "load-worker", args)
}

func parseClients(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 4096 {
			return nil, usageErrorf("--clients: %q is not a number of clients between 1 and 4096", f)
		}
		out = append(out, n)
	}
	return out, nil
}

var workloadNames = map[string]string{
	"read":     loadbench.PointRead,
	"update":   loadbench.UniformUpdate,
	"hot":      loadbench.HotUpdate,
	"transfer": loadbench.Transfer,
}

func parseWorkloads(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		w, ok := workloadNames[strings.TrimSpace(f)]
		if !ok {
			names := make([]string, 0, len(workloadNames))
			for k := range workloadNames {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, usageErrorf("--workloads: unknown workload %q (want %s)", f, strings.Join(names, ", "))
		}
		out = append(out, w)
	}
	return out, nil
}

// benchLoad runs the load comparison in a new schema of the database at url.
func (a *app) benchLoad(ctx context.Context, url string, docs, pool int, opts loadbench.Options) (err error) {
	schema, drop, err := benchSchema(ctx, url)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, drop()) }()
	su, err := withSearchPath(url, schema)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "loading %d accounts on each side (schema %s)...\n", docs, schema)
	f, err := loadbench.Open(ctx, su, docs, pool)
	if err != nil {
		return fmt.Errorf("bench load: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	rep, err := f.Run(ctx, opts, func(cell string) { fmt.Fprintf(a.stderr, "%s...\n", cell) })
	if err != nil {
		return fmt.Errorf("bench load: %w", err)
	}
	if a.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printLoad(a.stdout, rep)
	return nil
}

func printLoad(w io.Writer, r *loadbench.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	procs := ""
	if r.Processes > 1 {
		procs = fmt.Sprintf(", %d processes", r.Processes)
	}
	fmt.Fprintf(tw, "%d accounts, pool of %d per side%s, SERIALIZABLE\tclients\tside\ttx/s\tp50\tp99\tretries/commit\terrors\tstrata/raw\ttarget\n", r.Docs, r.Pool, procs)
	for _, c := range r.Cells {
		mark := "ok"
		if !c.Met {
			mark = "MISSED"
		}
		for i, s := range []struct {
			name string
			s    loadbench.Side
		}{{"strata", c.Strata}, {"raw", c.Raw}} {
			ratio, target := "", ""
			name := ""
			if i == 0 {
				name = c.Workload
				ratio = fmt.Sprintf("%.2f", c.Ratio)
				target = fmt.Sprintf(">= %.2f %s", c.Target, mark)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%s\t%s\t%.3f\t%s\t%s\t%s\n", name, c.Clients, s.name, s.s.TxPerSec,
				millis(s.s.P50), millis(s.s.P99), s.s.Retries, errorKinds(s.s.Errors), ratio, target)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "invariant\tside\tresult\t\n")
	for _, c := range r.Checks {
		res := "held"
		if !c.OK {
			res = "BROKEN"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.What, c.Side, res, c.Got)
	}
	tw.Flush()
}

func errorKinds(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, "; ")
}
