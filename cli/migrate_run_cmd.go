package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/value"
)

// migrateLifecycleCommands are `migrate start FILE`, `complete NAME`,
// `rollback NAME` and `dry-run FILE` for declarative migration files.
func (a *app) migrateLifecycleCommands() []*cobra.Command {
	var batch batchFlags
	start := &cobra.Command{
		Use:   "start FILE.json",
		Short: "start a migration file: old and new shapes both valid, every document read in the new one; ends ready",
		Long: `Start the declarative migration in FILE.json (the migration file format:
docs/file-formats.md; strata migrate new NAME writes a skeleton): widen the
schema so that documents of the old and the new shape are both valid, make
every write of every process produce the new shape, and bring the existing
documents to it. It ends "ready": old and new readers both work.
Then deploy the code that reads the new shape and run
"strata migrate complete NAME" to remove the old one (or "strata migrate
rollback NAME" to undo).

Where the schema alone shows that every document fits (add_field,
rename_field, remove_field, change_type, add_index, drop_index,
require_field with a default), start, complete and rollback are instant:
each changes the table's shape in one transaction, whatever the table's
size, and documents written before are brought to the new shape when they
are read; "strata migrate compact TABLE" (or a running "strata migrate
serve") rewrites them later. Other migrations, and any with --rewrite,
rewrite every document in batches: interrupting (Ctrl-C) stops after the
current batch, and "strata migrate run NAME" continues from there.` + remoteHelp + `
Remotely, the server runs the step and the command prints where it ended.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := readMigrationFile(args[0])
			if err != nil {
				return err
			}
			if c, err := a.remote(); c != nil || err != nil {
				if err != nil {
					return err
				}
				data, err := readDefinitionFile(args[0])
				if err != nil {
					return fmt.Errorf("migrate: %w", err)
				}
				st, err := c.StartMigration(cmd.Context(), data)
				if err != nil {
					return err
				}
				return a.printStatuses([]migrate.Status{st})
			}
			return a.lifecycle(cmd, "start", f.Name, batch, func(m *migrate.Migrator) (migrate.Status, error) { return m.Start(cmd.Context(), f) })
		},
	}
	complete := &cobra.Command{
		Use:   "complete NAME",
		Short: "finish a ready migration: remove the old shape from the schema and from every document (instant where start was)",
		Args:  cobra.ExactArgs(1),
		Long:  remoteSteps,
		RunE: func(cmd *cobra.Command, args []string) error {
			if c, err := a.remote(); c != nil || err != nil {
				return a.remoteStep(cmd, c, err, args[0], "complete")
			}
			return a.lifecycle(cmd, "complete", args[0], batch, func(m *migrate.Migrator) (migrate.Status, error) { return m.Complete(cmd.Context(), args[0]) })
		},
	}
	rollback := &cobra.Command{
		Use:   "rollback NAME",
		Short: "undo a migration that has not completed (a completing one too, when every document can be reverted)",
		Args:  cobra.ExactArgs(1),
		Long:  remoteSteps,
		RunE: func(cmd *cobra.Command, args []string) error {
			if c, err := a.remote(); c != nil || err != nil {
				return a.remoteStep(cmd, c, err, args[0], "rollback")
			}
			return a.lifecycle(cmd, "rollback", args[0], batch, func(m *migrate.Migrator) (migrate.Status, error) { return m.Rollback(cmd.Context(), args[0]) })
		},
	}
	for _, c := range []*cobra.Command{start, complete, rollback} {
		batch.register(c)
	}
	batch.rewrite = new(bool)
	start.Flags().BoolVar(batch.rewrite, "rewrite", false, "rewrite every document now (a backfill, and a second pass at complete) instead of the instant path, which changes only the table's shape and leaves old records to the compactor (migrate compact)")
	var samples int
	dry := &cobra.Command{
		Use:   "dry-run FILE.json",
		Short: "report what a migration file would change and whether the final schema accepts it, writing nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := readMigrationFile(args[0])
			if err != nil {
				return err
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			rep, err := migrate.New(db).DryRunFile(cmd.Context(), f, samples)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.stdout, "%s: %d documents visited, %d would change; final schema satisfied: %v\n", rep.Name, rep.Visited, rep.Changed, rep.Satisfied)
			for _, s := range rep.Samples {
				fmt.Fprintf(a.stdout, "  %s\n    before: %s\n    after:  %s\n", s.Before.ID(), jsonOf(s.Before), jsonOf(s.After))
			}
			for _, x := range rep.Examples {
				fmt.Fprintf(a.stdout, "  would be refused: %s: %s\n", x.DocID, x.Err)
			}
			if !rep.Satisfied {
				return fmt.Errorf("dry run: %d document(s) would not satisfy the final schema", rep.Invalid)
			}
			return nil
		},
	}
	dry.Flags().IntVar(&samples, "samples", 3, "before/after samples to print")
	return []*cobra.Command{start, complete, rollback, dry}
}

func readMigrationFile(path string) (*op.File, error) {
	data, err := readDefinitionFile(path)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	f, err := op.ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("migrate: %s: %w", path, err)
	}
	return f, nil
}

// lifecycle runs one step of migration name with progress: a bar with
// rate and ETA when stdout is a terminal, plain lines otherwise (none
// with --json). It then prints the status and the command to run next;
// an interrupted step says how to continue.
func (a *app) lifecycle(cmd *cobra.Command, step, name string, batch batchFlags, run func(*migrate.Migrator) (migrate.Status, error)) error {
	if err := batch.check(); err != nil {
		return err
	}
	db, err := a.open(cmd.Context())
	if err != nil {
		return err
	}
	report := a.progressReporter(step)
	st, err := run(migrate.New(db, batch.options(report)))
	report(migrate.Progress{Total: -1})
	if err != nil {
		if cmd.Context().Err() != nil && errors.Is(err, cmd.Context().Err()) {
			return fmt.Errorf("migrate %s %s: interrupted; it stopped after its last batch, and nothing is lost: continue it with %q", step, name, a.command("migrate", "run", name))
		}
		return err
	}
	if err := a.printStatuses([]migrate.Status{st}); err != nil {
		return err
	}
	if !a.json {
		if next := a.nextStep(st); next != "" {
			fmt.Fprintf(a.stdout, "next: %s\n", next)
		}
	}
	return nil
}

// nextStep is the command that moves migration st on, "" if none does.
func (a *app) nextStep(st migrate.Status) string {
	switch st.State {
	case migrate.Ready:
		return a.command("migrate", "complete", st.Name) + "  (after deploying code that reads the new shape; or: " + a.command("migrate", "rollback", st.Name) + ")"
	case migrate.Paused, migrate.Failed, migrate.Canceled, migrate.Completing:
		return a.command("migrate", "run", st.Name)
	}
	return ""
}

// command spells out a strata command line for the operator to run next,
// with --db unless the database is the default one.
func (a *app) command(args ...string) string {
	s := "strata"
	if a.dbURL != defaultDB {
		s += " --db " + shellQuote(a.dbURL)
	}
	for _, x := range args {
		s += " " + shellQuote(x)
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:@=+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// batchFlags are --batch-size, --max-batch-size and --rate of the
// commands that run migration batches.
type batchFlags struct {
	size, maxSize *int
	rate          *float64
	rewrite       *bool // start --rewrite
}

func (b *batchFlags) register(cmd *cobra.Command) {
	if b.size == nil {
		b.size, b.maxSize, b.rate = new(int), new(int), new(float64)
	}
	cmd.Flags().IntVar(b.size, "batch-size", 0, "documents in the first batch (default 100; later batches adapt to about 10 ms each)")
	cmd.Flags().IntVar(b.maxSize, "max-batch-size", 0, "never more documents in one batch (default 1000)")
	cmd.Flags().Float64Var(b.rate, "rate", 0, "visit at most this many documents per second (default: no limit)")
}

func (b batchFlags) check() error {
	if b.size == nil {
		return nil
	}
	if *b.size < 0 || *b.maxSize < 0 || *b.rate < 0 {
		return usageErrorf("--batch-size, --max-batch-size and --rate must not be negative")
	}
	return nil
}

func (b batchFlags) options(report func(migrate.Progress)) migrate.Options {
	o := migrate.Options{OnProgress: report}
	if b.size != nil {
		o.BatchSize, o.MaxBatchSize, o.RateLimit = *b.size, *b.maxSize, *b.rate
	}
	if b.rewrite != nil {
		o.Rewrite = *b.rewrite
	}
	return o
}

func (a *app) progressReporter(step string) func(migrate.Progress) {
	if a.json {
		return func(migrate.Progress) {}
	}
	if f, ok := a.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var bar *progressbar.ProgressBar
		return func(p migrate.Progress) {
			if p.Total < 0 {
				if bar != nil {
					bar.Finish()
					fmt.Fprintln(a.stdout)
				}
				return
			}
			if bar == nil {
				bar = progressbar.NewOptions64(max(p.Total, 1), progressbar.OptionSetWriter(a.stdout),
					progressbar.OptionSetDescription(step+" "+p.Name), progressbar.OptionShowCount(),
					progressbar.OptionShowIts(), progressbar.OptionSetItsString("docs"), progressbar.OptionSetPredictTime(true),
					progressbar.OptionThrottle(100*time.Millisecond))
			}
			bar.Set64(min(p.Processed, max(p.Total, 1)))
		}
	}
	last := time.Time{}
	return func(p migrate.Progress) {
		if p.Total < 0 || time.Since(last) < time.Second && p.Processed < p.Total {
			return
		}
		last = time.Now()
		printProgressLine(a.stdout, step, p)
	}
}

func printProgressLine(w io.Writer, step string, p migrate.Progress) {
	pct := 0.0
	if p.Total > 0 {
		pct = 100 * float64(p.Processed) / float64(p.Total)
	}
	fmt.Fprintf(w, "%s %s: %d/%d (%.0f%%) %.0f docs/s ETA %s\n", step, p.Name, p.Processed, p.Total, pct, p.Rate, p.ETA.Round(time.Second))
}

func jsonOf(d strata.Doc) string {
	b, err := marshalDoc(d)
	if err != nil {
		return fmt.Sprint(map[string]any(d))
	}
	return string(b)
}

func marshalDoc(d strata.Doc) ([]byte, error) { return value.MarshalJSON(map[string]any(d)) }

// printJSON prints x as one line of JSON. Documents inside are written in
// strata's lossless JSON form.
func (a *app) printJSON(x any) error {
	b, err := json.Marshal(x)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s\n", b)
	return err
}
