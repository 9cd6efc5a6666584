package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

func (a *app) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "change documents and the schema together, online: start, complete, watch and steer migrations",
		Long: `A migration changes the documents of a table and its schema together while
the application keeps running: a rename, a new required field, a type change.

Write it as a migration file ("strata migrate new NAME" writes a skeleton;
"strata schema plan NEW-SCHEMA.json -o FILE" writes one from the schema you
want; the format is in docs/file-formats.md), then:

  strata migrate dry-run FILE    what it would change, writing nothing
  strata migrate start FILE      old and new shapes both valid, documents migrated: "ready"
  strata migrate complete NAME   once no code uses the old shape: removes it
  strata migrate rollback NAME   undoes a migration that is not completed
  strata migrate status          where every migration stands

Migrations are tracked in the system table _migrations, so these commands
read and steer them from any process; "strata migrate run NAME" continues
one that was interrupted. Migrations written in Go run in the application
(a migrate.Migrator, whose Serve resumes any migration marked running whose
runner is gone), or here when the application's binary embeds this command
line with its migrations (cli.MainConfig).`,
	}
	var watch bool
	status := &cobra.Command{
		Use:   "status [NAME...]",
		Short: "print the state and progress of migrations",
		Long:  "Print the state and progress of migrations (all, or those named)." + remoteHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.remote()
			if err != nil {
				return err
			}
			var db *strata.DB
			if c == nil {
				if db, err = a.open(cmd.Context()); err != nil {
					return err
				}
			}
			for {
				var all []migrate.Status
				if c != nil {
					all, err = remoteStatuses(cmd.Context(), c, args)
				} else {
					all, err = migrationStatuses(cmd, db, args)
				}
				if err != nil {
					return err
				}
				if err := a.printStatuses(all); err != nil {
					return err
				}
				if !watch || !anyActive(all) {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(time.Second):
				}
			}
		},
	}
	status.Flags().BoolVar(&watch, "watch", false, "print again every second until no migration is running")
	cmd.AddCommand(status)
	steer := func(use, short string, fn func(cmd *cobra.Command, db *strata.DB, name string) (migrate.Status, error)) *cobra.Command {
		remote := use != "reset" // the admin API's migration actions
		long := strings.ToUpper(short[:1]) + short[1:] + "."
		if remote {
			long += remoteHelp
		}
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Long:  long,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if c, err := a.remote(); remote && (c != nil || err != nil) {
					return a.remoteStep(cmd, c, err, args[0], use)
				}
				db, err := a.open(cmd.Context())
				if err != nil {
					return err
				}
				st, err := fn(cmd, db, args[0])
				if err != nil {
					return err
				}
				return a.printStatuses([]migrate.Status{st})
			},
		}
	}
	cmd.AddCommand(a.migrateNewCommand())
	cmd.AddCommand(a.migrateLifecycleCommands()...)
	cmd.AddCommand(a.migrateContinueCommand())
	cmd.AddCommand(a.migrateCompactCommand())
	cmd.AddCommand(
		steer("pause", "stop a running migration after its current batch", func(cmd *cobra.Command, db *strata.DB, name string) (migrate.Status, error) {
			return migrate.Pause(cmd.Context(), db, name)
		}),
		steer("resume", "mark a paused, failed or canceled migration running; a live engine continues it from its cursor", func(cmd *cobra.Command, db *strata.DB, name string) (migrate.Status, error) {
			return migrate.Resume(cmd.Context(), db, name)
		}),
		steer("cancel", "stop a migration that has not completed", func(cmd *cobra.Command, db *strata.DB, name string) (migrate.Status, error) {
			return migrate.Cancel(cmd.Context(), db, name)
		}),
		steer("reset", "forget a migration's progress so that it starts over", func(cmd *cobra.Command, db *strata.DB, name string) (migrate.Status, error) {
			if err := migrate.Reset(cmd.Context(), db, name); err != nil {
				return migrate.Status{}, err
			}
			return migrate.Status{Name: name, Message: "reset: the next run starts from the first document"}, nil
		}),
	)
	return cmd
}

func migrationStatuses(cmd *cobra.Command, db *strata.DB, names []string) ([]migrate.Status, error) {
	if len(names) == 0 {
		return migrate.List(cmd.Context(), db)
	}
	var out []migrate.Status
	for _, n := range names {
		st, err := migrate.StatusOf(cmd.Context(), db, n)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func anyActive(all []migrate.Status) bool {
	for _, st := range all {
		if st.State == migrate.Running || st.State == migrate.Completing || st.State == migrate.Pending {
			return true
		}
	}
	return false
}

// statusJSON is the --json form: at least name, table, state, processed,
// total and error, which scripts read.
type statusJSON struct {
	Name        string  `json:"name"`
	Table       string  `json:"table"`
	Kind        string  `json:"kind"`
	State       string  `json:"state"`
	Processed   int64   `json:"processed"`
	Changed     int64   `json:"changed"`
	Total       int64   `json:"total"`
	Batches     int64   `json:"batches"`
	Error       string  `json:"error"`
	ErrorDocID  string  `json:"errorDocId,omitempty"`
	StartedAt   string  `json:"startedAt,omitempty"`
	UpdatedAt   string  `json:"updatedAt,omitempty"`
	CompletedAt string  `json:"completedAt,omitempty"`
	Percent     float64 `json:"percent"`
	Message     string  `json:"message,omitempty"`
}

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func toStatusJSON(st migrate.Status) statusJSON {
	return statusJSON{
		Name: st.Name, Table: st.Table, Kind: st.Kind, State: string(st.State),
		Processed: st.Processed, Changed: st.Changed, Total: st.Total, Batches: st.Batches,
		Error: st.Error, ErrorDocID: st.ErrorDocID, StartedAt: rfc(st.StartedAt), UpdatedAt: rfc(st.UpdatedAt),
		CompletedAt: rfc(st.CompletedAt), Percent: percent(st), Message: st.Message,
	}
}

func (a *app) printStatuses(all []migrate.Status) error {
	if a.json {
		out := make([]statusJSON, 0, len(all))
		for _, st := range all {
			out = append(out, toStatusJSON(st))
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "%s\n", b)
		return err
	}
	if len(all) == 0 {
		fmt.Fprintln(a.stdout, "no migrations")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTABLE\tSTATE\tPROGRESS\tUPDATED\tMESSAGE\tERROR")
	for _, st := range all {
		prog := fmt.Sprintf("%d/%d (%.0f%%)", st.Processed, st.Total, percent(st))
		if st.Instant {
			prog = "instant"
		}
		errText := st.Error
		if st.ErrorDocID != "" {
			errText += " [document " + st.ErrorDocID + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, st.Table, st.State, prog, ago(st.UpdatedAt), cell(st.Message), cell(errText))
	}
	return tw.Flush()
}

// cell is s for a table cell: "-" when empty, tabs and newlines as spaces.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
}

func percent(st migrate.Status) float64 {
	if st.Total <= 0 {
		if st.State == migrate.Completed {
			return 100
		}
		return 0
	}
	return min(100, 100*float64(st.Processed)/float64(st.Total))
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String() + " ago"
}
