package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
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
	start := &cobra.Command{
		Use:   "start FILE.json",
		Short: "expand: widen the schema, install the file's transforms in every process, backfill; leaves it ready",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := readMigrationFile(args[0])
			if err != nil {
				return err
			}
			return a.lifecycle(cmd, "start", func(m *migrate.Migrator) (migrate.Status, error) { return m.Start(cmd.Context(), f) })
		},
	}
	complete := &cobra.Command{
		Use:   "complete NAME",
		Short: "verify every document, remove the old shape from documents, tighten the schema",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.lifecycle(cmd, "complete", func(m *migrate.Migrator) (migrate.Status, error) { return m.Complete(cmd.Context(), args[0]) })
		},
	}
	rollback := &cobra.Command{
		Use:   "rollback NAME",
		Short: "undo a migration that has not completed (a completing one too, when every document can be reverted)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.lifecycle(cmd, "rollback", func(m *migrate.Migrator) (migrate.Status, error) { return m.Rollback(cmd.Context(), args[0]) })
		},
	}
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

// lifecycle runs one step with progress: a bar with rate and ETA when
// stdout is a terminal, plain lines otherwise (none with --json).
func (a *app) lifecycle(cmd *cobra.Command, step string, run func(*migrate.Migrator) (migrate.Status, error)) error {
	db, err := a.open(cmd.Context())
	if err != nil {
		return err
	}
	report := a.progressReporter(step)
	st, err := run(migrate.New(db, migrate.Options{OnProgress: report}))
	report(migrate.Progress{Total: -1})
	if err != nil {
		return err
	}
	return a.printStatuses([]migrate.Status{st})
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
