package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// schemaStatusCommand is `schema status`: the index builds not yet ready
// and the migrations in progress, each with the command that moves it on.
func (a *app) schemaStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "show what the schema is waiting for: indexes still being built, migrations in progress",
		Long: `Show the work a schema change left unfinished: indexes that a push added
and that are not built yet (queries on them fail until they are: "strata
schema wait" builds them), and declarative migrations that are not completed
or rolled back, each with the command to run next.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			builds, err := unfinishedBuilds(cmd, db)
			if err != nil {
				return err
			}
			all, err := migrate.List(cmd.Context(), db)
			if err != nil {
				return err
			}
			var migs []migrate.Status
			for _, st := range all {
				if st.State != migrate.Completed && st.State != migrate.RolledBack {
					migs = append(migs, st)
				}
			}
			if a.json {
				out := struct {
					Builds     []strata.IndexBuild `json:"building"`
					Migrations []statusJSON        `json:"migrations"`
				}{Builds: builds, Migrations: []statusJSON{}}
				if out.Builds == nil {
					out.Builds = []strata.IndexBuild{}
				}
				for _, st := range migs {
					out.Migrations = append(out.Migrations, toStatusJSON(st))
				}
				return a.printJSON(out)
			}
			if len(builds) == 0 {
				fmt.Fprintln(a.stdout, "indexes: every index is ready")
			}
			for _, b := range builds {
				fmt.Fprintf(a.stdout, "index %s.%s: being built, %s; queries on it fail until it is ready: run %s\n",
					b.Table, b.Index, buildProgress(b), a.command("schema", "wait"))
			}
			if len(migs) == 0 {
				fmt.Fprintln(a.stdout, "migrations: none in progress")
			}
			for _, st := range migs {
				line := fmt.Sprintf("migration %s on %s: %s, %d/%d documents", st.Name, st.Table, st.State, st.Processed, st.Total)
				if next := a.nextStep(st); next != "" {
					line += "; next: " + next
				}
				fmt.Fprintln(a.stdout, line)
			}
			return nil
		},
	}
}

// schemaWaitCommand is `schema wait`: build the staged indexes now.
func (a *app) schemaWaitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "wait",
		Short: "build the indexes a push left staged (schema push --no-wait) and return when every one is ready",
		Long: `Build, in the foreground and with progress, every index that a push added
and that is not ready yet (after "strata schema push --no-wait", or a push
that was interrupted), and return when all are ready. It is safe to run while
the application runs, and from several processes: one builds each index, the
others wait for it. Interrupting (Ctrl-C) keeps the progress; run it again to
continue.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			todo, err := unfinishedBuilds(cmd, db)
			if err != nil {
				return err
			}
			if len(todo) == 0 || db.Schema() == nil {
				if !a.json {
					fmt.Fprintln(a.stdout, "every index is ready; nothing to wait for")
				}
				return a.jsonBuilds(nil)
			}
			// Pushing the active schema again writes nothing and finishes
			// its unfinished builds, with progress.
			opts := strata.PushOptions{Wait: true}
			if !a.json {
				opts.Progress = progressPrinter(a.stdout)
			}
			res, err := db.Push(cmd.Context(), db.Schema(), opts)
			if err != nil {
				return fmt.Errorf("schema wait: %w", err)
			}
			if !a.json {
				for _, b := range res.Builds {
					fmt.Fprintf(a.stdout, "index %s.%s: %s (%d documents indexed)\n", b.Table, b.Index, b.State, b.Processed)
				}
			}
			return a.jsonBuilds(res.Builds)
		},
	}
}

// jsonBuilds prints builds as JSON with --json.
func (a *app) jsonBuilds(builds []strata.IndexBuild) error {
	if !a.json {
		return nil
	}
	if builds == nil {
		builds = []strata.IndexBuild{}
	}
	return a.printJSON(map[string]any{"builds": builds})
}

// unfinishedBuilds returns the index builds that are not ready.
func unfinishedBuilds(cmd *cobra.Command, db *strata.DB) ([]strata.IndexBuild, error) {
	all, err := db.IndexBuilds(cmd.Context())
	if err != nil {
		return nil, err
	}
	var out []strata.IndexBuild
	for _, b := range all {
		if b.State == strata.BuildBackfilling {
			out = append(out, b)
		}
	}
	return out, nil
}

// buildProgress says how far build b has got.
func buildProgress(b strata.IndexBuild) string {
	if b.Total > 0 {
		return fmt.Sprintf("%d of %d documents indexed", b.Processed, b.Total)
	}
	return fmt.Sprintf("%d documents indexed so far", b.Processed)
}
