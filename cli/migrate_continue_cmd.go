package cli

import (
	"github.com/spf13/cobra"

	"github.com/strata-db/strata/migrate"
)

// migrateContinueCommand is `migrate run NAME`: whatever a tracked
// migration needs next, in the foreground, with the progress display of
// start and complete (migrate.Migrator.Continue).
func (a *app) migrateContinueCommand() *cobra.Command {
	var batch batchFlags
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "continue a migration in the foreground: resume an interrupted start, complete or rollback, or run a Go migration",
		Long: `Run, in the foreground and with progress, whatever the migration NAME needs next.

Declarative migrations (migrate start FILE) need nothing but the database, which
holds their file: an interrupted, paused, failed or canceled start resumes its
backfill from its cursor until the migration is ready; an interrupted complete
or rollback is finished. A ready migration is left for 'migrate complete'; a
completed or rolled back one needs nothing. Either way it says so.

Go migrations (migrate.Migration) are run, or resumed from their cursor, only
by a binary that embeds this command line with them (cli.MainConfig with
Config.Migrations); this binary says so if it does not have NAME.

A migration whose runner holds a live lease elsewhere is refused, and an
unknown NAME is an error; neither changes anything. Interrupting (Ctrl-C) stops
after the current batch and leaves the migration to be continued.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.lifecycle(cmd, "run", args[0], batch, func(m *migrate.Migrator) (migrate.Status, error) {
				for _, mig := range a.migrations {
					if err := m.Define(mig); err != nil {
						return migrate.Status{}, err
					}
				}
				return m.Continue(cmd.Context(), args[0])
			})
		},
	}
	batch.register(cmd)
	return cmd
}
