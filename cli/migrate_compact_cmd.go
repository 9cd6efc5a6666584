package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// migrateCompactCommand is strata migrate compact [TABLE...].
func (a *app) migrateCompactCommand() *cobra.Command {
	var batch batchFlags
	cmd := &cobra.Command{
		Use:   "compact [TABLE...]",
		Short: "rewrite the records an instant migration left in an older shape (every table that has some, without TABLE)",
		Long: `Instant migrations change a table's shape without rewriting its documents:
a record written under an older shape is brought to the current one each time
it is read. compact rewrites those records in the current shape, in small
batches that yield to application writes (the same engine as a migration:
adaptive batch size, a lease, a cursor that survives a crash; Ctrl-C stops
after the current batch and compact continues from there), then drops the
steps behind them. Readers see the same documents before, during and after.
A running "strata migrate serve" does this by itself when no migration is
under way on the table. A table holds at most ` + fmt.Sprint(strata.MaxShapeSteps) + ` shapes not yet compacted;
past that a migration on it waits for compact.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := batch.check(); err != nil {
				return err
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			var existing []string
			if err := db.Query(cmd.Context(), func(tx *strata.Tx) error {
				all, err := tx.Tables()
				for _, t := range all {
					if !strings.HasPrefix(t, "_") {
						existing = append(existing, t)
					}
				}
				return err
			}); err != nil {
				return err
			}
			tables := args
			if len(tables) == 0 {
				tables = existing
			}
			for _, t := range args {
				if !slices.Contains(existing, t) {
					return usageErrorf("migrate compact: no table %q (tables: %s)", t, strings.Join(existing, ", "))
				}
			}
			report := a.progressReporter("compact")
			m := migrate.New(db, batch.options(report))
			var out []migrate.Status
			for _, t := range tables {
				info, err := migrate.Shapes(cmd.Context(), db, t)
				if err != nil {
					return err
				}
				if len(args) == 0 && info.Pending() == 0 {
					continue
				}
				st, err := m.Compact(cmd.Context(), t)
				report(migrate.Progress{Total: -1})
				if err != nil {
					if ctx := cmd.Context(); ctx.Err() != nil && errors.Is(err, ctx.Err()) {
						return fmt.Errorf("migrate compact %s: interrupted after its last batch, and nothing is lost: continue with %q", t, a.command("migrate", "compact", t))
					}
					return err
				}
				if !a.json {
					fmt.Fprintf(a.stdout, "%s: %s\n", t, st.Message)
				}
				out = append(out, st)
			}
			if a.json {
				return a.printStatuses(out)
			}
			if len(out) == 0 {
				fmt.Fprintln(a.stdout, "nothing to compact: every record is of its table's current shape")
			}
			return nil
		},
	}
	batch.register(cmd)
	return cmd
}
