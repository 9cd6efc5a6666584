package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/gen/gogen"
	"github.com/strata-db/strata/schema"
)

func (a *app) genCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "generate code from a schema file",
		Args:  cobra.NoArgs,
	}
	var schemaPath, pkg, out string
	goCmd := &cobra.Command{
		Use:   "go --schema schema.json --package model [--out model.go]",
		Short: "write a Go file with a struct per table and typed helpers",
		Long: `Write one Go file for the schema file: a struct per table (User for
"users", with ID and CreationTime for the system fields), and typed helpers:
model.Users(tx).Get(id), .Insert(u), .Replace(id, u), .Delete(id), .All(),
one query method per index (model.Users(tx).ByEmail(email).First()), and
per index one range builder per field: an equality on the fields before it,
then typed Gt, Gte, Lt, Lte or Between (inclusive) on it
(model.Posts(tx).ByAuthorAndStatusRange(author).Lt("published").Collect(),
model.Users(tx).ByCreatedAtRange().Between(t0, t1).Collect()).
The output is deterministic and gofmt-formatted; without --out it goes to
standard output. Keep it fresh with a go:generate line next to it:

  //go:generate go run github.com/strata-db/strata/cmd/strata gen go --schema schema.json --package model --out model.go`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readDefinitionFile(schemaPath)
			if err != nil {
				return fmt.Errorf("gen go: %w", err)
			}
			s, err := schema.Parse(data)
			if err != nil {
				return fmt.Errorf("gen go: %s: %w", schemaPath, err)
			}
			src, err := gogen.Generate(s, pkg)
			if err != nil {
				return fmt.Errorf("gen go: %w", err)
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(src)
				return err
			}
			if err := os.WriteFile(out, src, 0o644); err != nil {
				return fmt.Errorf("gen go: %w", err)
			}
			return nil
		},
	}
	goCmd.Flags().StringVar(&schemaPath, "schema", "", "the schema file (JSON)")
	goCmd.Flags().StringVar(&pkg, "package", "", "the Go package name of the output")
	goCmd.Flags().StringVar(&out, "out", "", "the file to write (default: standard output)")
	_ = goCmd.MarkFlagRequired("schema")
	_ = goCmd.MarkFlagRequired("package")
	cmd.AddCommand(goCmd)
	return cmd
}
