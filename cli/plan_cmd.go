package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/value"
)

func (a *app) schemaPlanCommand() *cobra.Command {
	var (
		name, out string
		defaults  []string
		force     bool
	)
	cmd := &cobra.Command{
		Use:   "plan FILE.json",
		Short: "print (or write with -o) the migration that reaches a new schema safely",
		Long: `Compare the active schema with FILE.json and print the safe route, step by
step: the changes a plain push makes safely, and a migration file (for
"strata migrate start") with the operations the data needs — a removed field
and an added one of the same type become rename_field, removed fields
remove_field, index changes add_index/drop_index, a new required field
add_field and an optional field made required require_field (each with the
value --default gives for documents that lack it).

-o FILE writes the migration file, ready for "strata migrate start FILE";
when safe changes must be pushed before it, the schema to push is written
next to it as FILE.push.json.

A change that needs a decision (a default for a field that becomes required,
a map for a type change) is listed and the command fails, rather than print
a plan that would leave documents the new schema rejects. The file formats
are described in docs/file-formats.md.`,
		Example: `  strata schema plan next.json
  strata schema plan next.json --default users.age=0 --name 004_require_age -o 004.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := readSchemaFile("plan", args[0])
			if err != nil {
				return err
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			opts := migrate.PlanOptions{Defaults: map[string]any{}}
			for _, d := range defaults {
				key, raw, ok := strings.Cut(d, "=")
				if !ok || !strings.Contains(key, ".") {
					return usageErrorf("--default %q: want TABLE.FIELD=JSON, such as users.age=0 or users.name='\"\"'", d)
				}
				x, err := value.ParseJSON([]byte(raw))
				if err != nil {
					return usageErrorf("--default %s: the value is not JSON (a string needs quotes: %s='\"text\"'): %v", key, key, err)
				}
				opts.Defaults[key] = x
			}
			if name == "" {
				name = "plan_" + time.Now().UTC().Format("20060102_150405")
			}
			p, perr := migrate.PlanMigrationWith(name, db.Schema(), target, opts)
			if perr != nil && !errors.Is(perr, migrate.ErrPlanIncomplete) {
				return perr
			}
			var file, first json.RawMessage
			if p.File != nil {
				if file, err = op.MarshalFile(p.File); err != nil {
					return err
				}
			}
			if p.PushFirst != nil {
				if first, err = p.PushFirst.MarshalIndent(); err != nil {
					return err
				}
			}
			pushFile := ""
			if out != "" && perr == nil && file != nil {
				var pretty []byte
				if pretty, err = indentJSON(file); err != nil {
					return err
				}
				if err := writeNewFile(out, pretty, force); err != nil {
					return fmt.Errorf("schema plan: %w", err)
				}
				if first != nil {
					pushFile = strings.TrimSuffix(out, ".json") + ".push.json"
					if err := writeNewFile(pushFile, append(first, '\n'), force); err != nil {
						return fmt.Errorf("schema plan: %w", err)
					}
				}
			}
			if a.json {
				if err := a.printJSON(map[string]any{"push": p.Push, "pushFirst": first, "file": file, "needsInput": p.NeedsInput}); err != nil {
					return err
				}
				return perr
			}
			a.printPlan(p, args[0], out, pushFile, file)
			return perr
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the planned migration (default plan_TIMESTAMP)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the migration file to FILE (and the schema to push first, if any, to FILE.push.json)")
	cmd.Flags().StringArrayVar(&defaults, "default", nil, "TABLE.FIELD=JSON: the value for documents that lack a field the new schema requires (repeatable)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the files -o writes")
	return cmd
}

// printPlan prints the plan as numbered steps.
func (a *app) printPlan(p *migrate.Plan, target, out, pushFile string, file json.RawMessage) {
	w := a.stdout
	step := 0
	next := func() int { step++; return step }
	if len(p.NeedsInput) > 0 {
		fmt.Fprintln(w, "the plan needs input; plan again once it is given:")
		for _, n := range p.NeedsInput {
			fmt.Fprintf(w, "  - %s\n", n)
		}
		return
	}
	switch {
	case len(p.Push) > 0 && file == nil:
		fmt.Fprintf(w, "%d. push the new schema (every change is safe): %s\n", next(), a.command("schema", "push", target))
		printChanges(w, p.Push)
	case len(p.Push) > 0 && pushFile == "":
		fmt.Fprintf(w, "%d. push the safe changes first (plan with -o FILE writes that schema to FILE.push.json):\n", next())
		printChanges(w, p.Push)
	case len(p.Push) > 0:
		fmt.Fprintf(w, "%d. push the safe changes first (written to %s): %s\n", next(), pushFile, a.command("schema", "push", pushFile))
		printChanges(w, p.Push)
	}
	if file != nil {
		path := out
		if path == "" {
			path = p.File.Name + ".json"
			fmt.Fprintf(w, "%d. save this migration file as %s (or plan again with -o %s):\n     %s\n", next(), path, path, file)
		} else {
			fmt.Fprintf(w, "%d. migration file written to %s\n", next(), out)
		}
		fmt.Fprintf(w, "%d. start it: %s\n", next(), a.command("migrate", "start", path))
		fmt.Fprintf(w, "%d. deploy code that reads the new shape, then complete it: %s\n", next(), a.command("migrate", "complete", p.File.Name))
		fmt.Fprintf(w, "   the active schema is then %s (%s shows no changes)\n", target, a.command("schema", "diff", target))
	}
	if len(p.Push) == 0 && file == nil {
		fmt.Fprintln(w, "nothing to do: the active schema is the same")
	}
}

func printChanges(w interface{ Write([]byte) (int, error) }, changes []schema.Change) {
	for _, c := range changes {
		fmt.Fprintf(w, "     %s\n", c)
	}
}

// indentJSON returns a migration file's JSON indented, one operation a
// line, ending with a newline.
func indentJSON(file []byte) ([]byte, error) {
	var f struct {
		Name       string            `json:"name"`
		Operations []json.RawMessage `json:"operations"`
	}
	if err := json.Unmarshal(file, &f); err != nil {
		return nil, err
	}
	var b strings.Builder
	name, _ := json.Marshal(f.Name)
	fmt.Fprintf(&b, "{\n  \"name\": %s,\n  \"operations\": [\n", name)
	for i, o := range f.Operations {
		sep := ","
		if i == len(f.Operations)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    %s%s\n", o, sep)
	}
	b.WriteString("  ]\n}\n")
	return []byte(b.String()), nil
}
