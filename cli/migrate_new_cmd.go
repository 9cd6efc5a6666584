package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/schema/op"
)

// migrationSkeleton is the file `migrate new` writes; NAME is replaced.
const migrationSkeleton = `// Migration file NAME (docs/file-formats.md describes the format).
// Uncomment the operations you need (remove the //), edit them, and keep a
// comma between operations but none after the last. A file needs at least
// one operation, and all of its operations change one table.
//
//   strata migrate dry-run FILE     what it would change, writing nothing
//   strata migrate start FILE       old and new shapes both valid; documents migrated
//   strata migrate complete NAME    once no code uses the old shape: removes it
//   strata migrate rollback NAME    undoes a migration that is not completed
{
  "name": "NAME",
  "operations": [
    // A new field; documents that lack it get the default.
    // {"add_field": {"table": "users", "field": "avatarUrl", "type": "string", "default": ""}},

    // An optional field made required; documents that lack it get the
    // default (or "from": "otherField", "convert": "to_int64" computes it).
    // {"require_field": {"table": "users", "field": "age", "type": "int64", "default": 0}},

    // {"remove_field": {"table": "users", "field": "legacyField"}},

    // {"rename_field": {"table": "users", "from": "userName", "to": "displayName"}},

    // A type change, through a new field: a map from old to new values (or
    // "convert": "to_number", "to_int64" or "to_string"), and a default for
    // values the map lacks.
    // {"change_type": {"table": "tasks", "from": "priority", "to": "priorityLevel", "type": "int64",
    //   "map": [["low", 1], ["medium", 2], ["high", 3]], "default": 2}},

    // {"add_index": {"table": "users", "name": "by_email", "fields": ["email"]}},

    // {"drop_index": {"table": "users", "name": "by_email"}}
  ]
}
`

// migrateNewCommand is `migrate new NAME`: a migration file skeleton.
func (a *app) migrateNewCommand() *cobra.Command {
	var (
		out   string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "write a migration file skeleton, NAME.json, with every operation as a commented example",
		Long: `Write a declarative migration file to start from: NAME.json (or -o FILE),
with every operation (add_field, require_field, remove_field, rename_field,
change_type, add_index, drop_index) as a commented example to uncomment and
edit. "strata schema plan NEW-SCHEMA.json -o FILE" writes one for you from
the schema you want instead. The format: docs/file-formats.md.`,
		Example: `  strata migrate new 004_require_age
  strata migrate start 004_require_age.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := op.CheckName(name); err != nil {
				return usageErrorf("%v", err)
			}
			path := out
			if path == "" {
				path = name + ".json"
			}
			text := strings.ReplaceAll(migrationSkeleton, "NAME", name)
			if err := writeNewFile(path, []byte(text), force); err != nil {
				return fmt.Errorf("migrate new: %w", err)
			}
			fmt.Fprintf(a.stdout, "wrote %s: uncomment and edit its operations, then run %s\n", path, a.command("migrate", "dry-run", path))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of NAME.json")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the file if it exists")
	return cmd
}
