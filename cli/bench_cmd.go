package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/strata-db/strata/internal/migbench"
	"github.com/strata-db/strata/storage"
)

func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "measure strata against the raw engine underneath it",
	}
	cmd.AddCommand(a.benchMigrateCommand(), a.benchSchemaCommand(), a.benchLoadCommand(), a.benchLoadWorkerCommand(), a.benchServeCommand())
	return cmd
}

func (a *app) benchMigrateCommand() *cobra.Command {
	var (
		docs    int
		backend string
		opts    migbench.LatencyOptions
	)
	cmd := &cobra.Command{
		Use:   "migrate [--docs N] [--backend sqlite | --backend postgres URL]",
		Short: "compare a migration backfill and write latency during it with the raw engine",
		Long: `Load N documents into a fresh strata table and the same rows into a plain
table of the raw engine, then:

  - backfill one field of every document: with a tracked migration (per-
    document function, write transforms on, batches of 100) and with keyset
    batched UPDATEs of 100 rows written directly against the engine, and
    print both times and raw/strata (strata's throughput as a fraction of
    raw's; targets: 60% on SQLite, 50% on PostgreSQL). strata commits its
    batches without waiting for stable storage (a lost batch is redone);
    the raw backfill runs once with the engine's default durability (the
    ratio the targets are for) and once committed the same way;
  - run a steady single-document write workload (--rate transactions a
    second) alone for --idle, then during a backfill — strata's migration,
    and a naive raw backfill (the keyset batches back to back) — --rounds
    times, and print the p50 and p99 latencies over all rounds' writes and
    p99 during the backfill over the idle p99 (target for strata: at most
    3x).

--backend sqlite (the default) works in a temporary directory with
synchronous=FULL; --backend postgres URL works in a new schema of the
database URL names, dropped at the end. --db is not used.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if docs <= 0 {
				return usageErrorf("--docs must be positive")
			}
			if opts.Rounds <= 0 {
				return usageErrorf("--rounds must be positive")
			}
			url := ""
			switch {
			case backend == "sqlite":
				if len(args) > 0 {
					return usageErrorf("--backend sqlite takes no URL")
				}
			case backend == "postgres" && len(args) == 1:
				url = args[0]
				if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
					return usageErrorf("--backend postgres takes a postgres:// URL (postgres://user:password@host:port/dbname), not %q", storage.Redact(url))
				}
			case strings.HasPrefix(backend, "postgres://") || strings.HasPrefix(backend, "postgresql://"):
				url = backend
			default:
				return usageErrorf("--backend must be sqlite, or postgres followed by a postgres:// URL")
			}
			return a.benchMigrate(cmd.Context(), url, docs, opts)
		},
	}
	cmd.Flags().IntVar(&docs, "docs", 100_000, "documents in the table")
	cmd.Flags().StringVar(&backend, "backend", "sqlite", "sqlite, or postgres (followed by its URL)")
	cmd.Flags().Float64Var(&opts.Rate, "rate", 100, "write workload: transactions per second")
	cmd.Flags().DurationVar(&opts.Idle, "idle", 3*time.Second, "write workload: how long to measure it with no backfill, each round")
	cmd.Flags().IntVar(&opts.Rounds, "rounds", 3, "write workload: rounds of the four measurements, their samples pooled")
	cmd.Flags().BoolVar(&opts.AfterClaim, "after-claim", false, "measure strata's writes from the migration's first batch, leaving out its start")
	return cmd
}

// benchReport is the result of `bench migrate`, as --json prints it.
type benchReport struct {
	Backfill migbench.BackfillResult `json:"backfill"`
	Latency  migbench.LatencyResult  `json:"latency"`
}

// benchMigrate runs the comparison on SQLite (url empty) or in a new
// schema of the PostgreSQL database at url.
func (a *app) benchMigrate(ctx context.Context, url string, docs int, opts migbench.LatencyOptions) (err error) {
	var f *migbench.Fixture
	if url == "" {
		dir, derr := os.MkdirTemp("", "strata-bench-migrate-")
		if derr != nil {
			return fmt.Errorf("bench migrate: %w", derr)
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(a.stderr, "loading %d documents into SQLite (%s)...\n", docs, dir)
		f, err = migbench.OpenSQLite(ctx, dir, docs)
	} else {
		schema, drop, serr := benchSchema(ctx, url)
		if serr != nil {
			return serr
		}
		defer func() { err = errors.Join(err, drop()) }()
		fmt.Fprintf(a.stderr, "loading %d documents into PostgreSQL (schema %s)...\n", docs, schema)
		su, perr := withSearchPath(url, schema)
		if perr != nil {
			return perr
		}
		f, err = migbench.OpenPostgres(ctx, su, docs)
	}
	if err != nil {
		return fmt.Errorf("bench migrate: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()

	var rep benchReport
	fmt.Fprintln(a.stderr, "backfill...")
	if rep.Backfill, err = f.Backfill(ctx); err != nil {
		return fmt.Errorf("bench migrate: %w", err)
	}
	fmt.Fprintln(a.stderr, "write latency...")
	rep.Latency, err = f.Latency(ctx, opts)
	if err != nil {
		if !a.json {
			printBackfill(a.stdout, rep.Backfill)
		}
		return fmt.Errorf("bench migrate: %w", err)
	}
	if a.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBackfill(a.stdout, rep.Backfill)
	fmt.Fprintln(a.stdout)
	printLatency(a.stdout, rep.Latency)
	return nil
}

// benchSchema creates a new schema in the database at url and returns
// its name and a function that drops it.
func benchSchema(ctx context.Context, url string) (string, func() error, error) {
	var b [4]byte
	rand.Read(b[:])
	schema := "strata_bench_" + hex.EncodeToString(b[:])
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, fmt.Errorf("bench migrate: connect: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("bench migrate: create schema: %w", err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return fmt.Errorf("bench migrate: drop schema %s: %w", schema, err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("bench migrate: drop schema %s: %w", schema, err)
		}
		return nil
	}
	return schema, drop, nil
}

// withSearchPath returns the PostgreSQL URL u with search_path=schema.
func withSearchPath(u, schema string) (string, error) {
	p, err := neturl.Parse(u)
	if err != nil {
		return "", fmt.Errorf("bench migrate: %w", err)
	}
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String(), nil
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func millis(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

func perSecond(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
}

func printBackfill(w io.Writer, r migbench.BackfillResult) {
	target := 0.6
	if r.Backend == "postgres" {
		target = 0.5
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "backfill of %d documents on %s (batches of %d)\ttime\tdocs/s\n", r.Docs, r.Backend, migbench.BatchSize)
	fmt.Fprintf(tw, "  strata migration (tracked, transforms on)\t%s\t%s\n", seconds(r.Strata), perSecond(r.Docs, r.Strata))
	fmt.Fprintf(tw, "  raw keyset batched UPDATE\t%s\t%s\n", seconds(r.Raw), perSecond(r.Docs, r.Raw))
	fmt.Fprintf(tw, "  raw/strata\t%.0f%%\t(target >= %.0f%%)\n", 100*r.Ratio, 100*target)
	fmt.Fprintf(tw, "  raw, batches committed as strata's (no wait for stable storage)\t%s\t%s\n", seconds(r.RawRelaxed), perSecond(r.Docs, r.RawRelaxed))
	fmt.Fprintf(tw, "  raw (same durability)/strata\t%.0f%%\n", 100*r.RatioRelaxed)
	tw.Flush()
}

func printLatency(w io.Writer, r migbench.LatencyResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "write latency, %.0f single-document patches/s, on %s, %d rounds\twrites\tp50\tp99\n", r.Rate, r.Backend, r.Rounds)
	for _, row := range []struct {
		name string
		l    migbench.Latencies
	}{
		{"  strata, no backfill", r.StrataIdle},
		{"  strata, during the migration", r.StrataBackfill},
		{"  raw, no backfill", r.RawIdle},
		{"  raw, during a naive backfill", r.RawBackfill},
	} {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", row.name, row.l.Writes, millis(row.l.P50), millis(row.l.P99))
	}
	fmt.Fprintf(tw, "  strata p99 during/idle\t\t\t%.1fx (target <= 3x)\n", r.StrataP99Ratio)
	fmt.Fprintf(tw, "  raw p99 during/idle\t\t\t%.1fx\n", r.RawP99Ratio)
	tw.Flush()
}
