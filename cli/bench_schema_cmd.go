package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/migbench"
	"github.com/strata-db/strata/storage"
)

func (a *app) benchSchemaCommand() *cobra.Command {
	var (
		docs    []int
		compare int
		pgURL   string
		opts    migbench.LatencyOptions
	)
	cmd := &cobra.Command{
		Use:   "schema [--docs N,N] [--compare N] [--postgres URL]",
		Short: "time instant schema changes on tables of several sizes, old-shape reads and compaction",
		Long: `Measure instant schema changes, on SQLite and (with --postgres URL, in a new
schema of that database, dropped at the end) on PostgreSQL, in one run:

  - for each size in --docs (default 1,000 and 1,000,000), load a table and
    run start then complete of add_field with a default, rename_field,
    change_type with a map, and remove_field; print each step's wall time
    beside the size (target: at most 1 s at 1,000,000 documents and within
    2x of the time at 1,000);
  - on tables of --compare documents (default 100,000) with those four
    changes pending, the cost of reading records of the old shape against
    materialized ones (get by id, a page of 100, an index range of 100),
    printed as a ratio (target: at most 1.3x);
  - the compactor's rate against the rewriting path's backfill of one
    change on a table of the same size (target: at least 1x), and the p99
    of single-document writes (--rate a second) while it compacts over the
    idle p99 (target: at most 2x).

--db is not used.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, n := range docs {
				if n <= 0 {
					return usageErrorf("--docs must be positive sizes")
				}
			}
			if compare <= 0 {
				return usageErrorf("--compare must be positive")
			}
			if pgURL != "" && !strings.HasPrefix(pgURL, "postgres://") && !strings.HasPrefix(pgURL, "postgresql://") {
				return usageErrorf("--postgres takes a postgres:// URL, not %q", storage.Redact(pgURL))
			}
			if err := a.benchSchemaOn(cmd.Context(), "", docs, compare, opts); err != nil {
				return err
			}
			if pgURL == "" {
				fmt.Fprintln(a.stdout, "(PostgreSQL not measured: give --postgres URL)")
				return nil
			}
			fmt.Fprintln(a.stdout)
			return a.benchSchemaOn(cmd.Context(), pgURL, docs, compare, opts)
		},
	}
	cmd.Flags().IntSliceVar(&docs, "docs", []int{1000, 1_000_000}, "table sizes for the timing of each schema change")
	cmd.Flags().IntVar(&compare, "compare", 100_000, "documents of the read-cost, compaction and write-latency measurements")
	cmd.Flags().StringVar(&pgURL, "postgres", "", "also measure PostgreSQL, in a new schema of the database at this URL")
	cmd.Flags().Float64Var(&opts.Rate, "rate", 100, "single-document writes per second during the compaction")
	cmd.Flags().DurationVar(&opts.Idle, "idle", 3*time.Second, "how long to measure the writes with no compaction")
	return cmd
}

// benchSchemaOn runs the schema benchmark on SQLite (url empty) or in a
// new schema of the PostgreSQL database at url.
func (a *app) benchSchemaOn(ctx context.Context, url string, sizes []int, compare int, opts migbench.LatencyOptions) (err error) {
	backend := "sqlite"
	var dbURL string
	if url == "" {
		dir, derr := os.MkdirTemp("", "strata-bench-schema-")
		if derr != nil {
			return fmt.Errorf("bench schema: %w", derr)
		}
		defer os.RemoveAll(dir)
		dbURL = "sqlite:" + filepath.Join(dir, "strata.db")
	} else {
		backend = "postgres"
		schema, drop, serr := benchSchema(ctx, url)
		if serr != nil {
			return serr
		}
		defer func() { err = errors.Join(err, drop()) }()
		if dbURL, err = withSearchPath(url, schema); err != nil {
			return err
		}
	}
	db, err := strata.Open(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("bench schema: %w", err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	tables := []string{"old", "mat", "rw", "lat"}
	for _, n := range sizes {
		tables = append(tables, fmt.Sprintf("t%d", n))
	}
	s, err := migbench.SchemaFor(tables...)
	if err != nil {
		return err
	}
	if err := db.SetSchema(ctx, s); err != nil {
		return fmt.Errorf("bench schema: %w", err)
	}

	var steps []migbench.StepTime
	for _, n := range sizes {
		table := fmt.Sprintf("t%d", n)
		fmt.Fprintf(a.stderr, "%s: loading %d documents...\n", backend, n)
		if _, err := migbench.LoadTable(ctx, db, table, n, a.stderr); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "%s: schema changes on %d documents...\n", backend, n)
		st, err := migbench.RunSteps(ctx, db, table, n, false)
		if err != nil {
			return err
		}
		steps = append(steps, st...)
	}
	printSteps(a.stdout, backend, sizes, steps)

	fmt.Fprintf(a.stderr, "%s: loading 4 tables of %d documents...\n", backend, compare)
	ids := map[string][]strata.ID{}
	for _, t := range []string{"old", "mat", "rw", "lat"} {
		if ids[t], err = migbench.LoadTable(ctx, db, t, compare, nil); err != nil {
			return err
		}
	}
	for _, t := range []string{"old", "mat", "lat"} {
		if _, err := migbench.RunSteps(ctx, db, t, compare, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stderr, "%s: compacting one table, measuring reads...\n", backend)
	if _, err := migbench.CompactTable(ctx, db, "mat"); err != nil {
		return err
	}
	reads, err := migbench.MeasureReads(ctx, db, "old", "mat", ids["old"], ids["mat"], 5)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "%s: compaction and a rewriting backfill, then compaction under writes...\n", backend)
	cr, err := migbench.MeasureCompact(ctx, db, "old", "rw", "lat", ids["lat"], compare, opts)
	if err != nil {
		return err
	}
	printShapeCosts(a.stdout, backend, compare, reads, cr, opts.Rate)
	return nil
}

func printSteps(w io.Writer, backend string, sizes []int, steps []migbench.StepTime) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "instant schema changes on %s\tdocuments\tstart\tcomplete\tstart+complete\tinstant\t\n", backend)
	byKind := map[string][]migbench.StepTime{}
	for _, s := range steps {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%v\t\n", s.Kind, s.Docs, millis(s.Start), millis(s.Complete), millis(s.Total()), s.Instant)
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	if len(sizes) >= 2 {
		for _, o := range migbench.SchemaOps {
			list := byKind[o.Kind]
			if len(list) < 2 {
				continue
			}
			small, big := list[0], list[len(list)-1]
			fmt.Fprintf(tw, "  %s: time at %d over time at %d\t%.2fx\t\t\t(target <= 2x, and <= 1s at 1,000,000)\t\t\n",
				o.Kind, big.Docs, small.Docs, big.Total().Seconds()/small.Total().Seconds())
		}
	}
	tw.Flush()
}

func printShapeCosts(w io.Writer, backend string, n int, reads []migbench.ReadCost, cr migbench.CompactResult, rate float64) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "reads on %s, %d documents, %d schema changes pending\told shape\tmaterialized\told/materialized\t\n", backend, n, len(migbench.SchemaOps))
	for _, r := range reads {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%.2fx\t\n", r.Kind, millis(r.Old), millis(r.Materialized), r.Ratio)
	}
	fmt.Fprintf(tw, "  (target: old/materialized <= 1.3x)\t\t\t\t\n")
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "compaction on %s, %d documents\ttime\tdocs/s\t\n", backend, n)
	fmt.Fprintf(tw, "  compactor (all %d changes in one pass)\t%s\t%.0f\t\n", len(migbench.SchemaOps), seconds(cr.Compact), cr.CompactRate)
	fmt.Fprintf(tw, "  rewriting path: backfill of one change (rename_field start)\t%s\t%.0f\t\n", seconds(cr.Backfill), cr.BackfillRate)
	fmt.Fprintf(tw, "  compactor/backfill rate\t%.2fx\t(target >= 1x)\t\n", cr.RateRatio)
	fmt.Fprintf(tw, "write latency, %.0f single-document patches/s\tp50\tp99\t\n", rate)
	fmt.Fprintf(tw, "  no compaction (%d writes)\t%s\t%s\t\n", cr.Idle.Writes, millis(cr.Idle.P50), millis(cr.Idle.P99))
	fmt.Fprintf(tw, "  during the compaction (%d writes)\t%s\t%s\t\n", cr.During.Writes, millis(cr.During.P50), millis(cr.During.P99))
	fmt.Fprintf(tw, "  p99 during / idle\t%.2fx\t(target <= 2x)\t\n", cr.P99Ratio)
	tw.Flush()
}
