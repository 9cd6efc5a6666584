package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
)

func (a *app) schemaPlanCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "plan FILE.json",
		Short: "print the migration that reaches a new schema safely",
		Long: `Compare the deployed schema with FILE.json and print the safe route: the
changes a plain push makes, and a migration file (for strata migrate start)
with the operations the data needs — a removed field and an added field of
the same type become rename_field, removed fields remove_field, index
changes add_index/drop_index. A change that needs a decision (a default
for a new required field, a map for a type change) is listed and the
command fails, rather than print a plan that would leave documents the new
schema rejects.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readDefinitionFile(args[0])
			if err != nil {
				return fmt.Errorf("schema plan: %w", err)
			}
			target, err := schema.Parse(data)
			if err != nil {
				return fmt.Errorf("schema plan: %s: %w", args[0], err)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			if name == "" {
				name = "plan_" + time.Now().UTC().Format("20060102_150405")
			}
			p, perr := migrate.PlanMigration(name, db.Schema(), target)
			if perr != nil && !errors.Is(perr, migrate.ErrPlanIncomplete) {
				return perr
			}
			var file json.RawMessage
			if p.File != nil {
				if file, err = op.MarshalFile(p.File); err != nil {
					return err
				}
			}
			if a.json {
				if err := a.printJSON(map[string]any{"push": p.Push, "file": file, "needsInput": p.NeedsInput}); err != nil {
					return err
				}
				return perr
			}
			if len(p.Push) > 0 {
				fmt.Fprintln(a.stdout, "1. push (safe):")
				for _, c := range p.Push {
					fmt.Fprintf(a.stdout, "     %s\n", c)
				}
			}
			if file != nil {
				fmt.Fprintln(a.stdout, "2. migration file (strata migrate start FILE, then migrate complete "+name+"):")
				fmt.Fprintf(a.stdout, "     %s\n", file)
			}
			for _, n := range p.NeedsInput {
				fmt.Fprintf(a.stdout, "needs input: %s\n", n)
			}
			if len(p.Push) == 0 && file == nil && len(p.NeedsInput) == 0 {
				fmt.Fprintln(a.stdout, "nothing to do: the deployed schema is the same")
			}
			return perr
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the planned migration (default plan_TIMESTAMP)")
	return cmd
}
