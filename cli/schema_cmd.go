package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/schema"
)

func (a *app) schemaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "show or change the database schema",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "print the active schema (in the schema file format with --json)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			s := db.Schema()
			if s == nil {
				if a.json {
					fmt.Fprintln(a.stdout, `{"tables":{}}`)
					return nil
				}
				fmt.Fprintln(a.stdout, "no schema set: every table accepts any document")
				return nil
			}
			if a.json {
				b, err := s.MarshalIndent()
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", b)
				return nil
			}
			fmt.Fprint(a.stdout, s.String())
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "set FILE.json",
		Short: "make FILE.json the active schema after checking every existing document",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("schema set: %w", err)
			}
			s, err := schema.Parse(data)
			if err != nil {
				return fmt.Errorf("schema set: %s: %w", args[0], err)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			if err := db.SetSchema(cmd.Context(), s); err != nil {
				return err
			}
			if a.json {
				fmt.Fprintf(a.stdout, "{\"tables\":%d}\n", len(s.Tables))
				return nil
			}
			fmt.Fprintf(a.stdout, "schema set: %d table(s)\n", len(s.Tables))
			return nil
		},
	})
	return cmd
}
