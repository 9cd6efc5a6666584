package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/schema"
)

func (a *app) schemaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "show, compare, plan or change the database schema",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "print the active schema (in the schema file format with --json)",
		Long:  "Print the active schema (in the schema file format with --json)." + remoteHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.activeSchema(cmd.Context())
			if err != nil {
				return err
			}
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
	cmd.AddCommand(a.schemaDiffCommand(), a.schemaPushCommand("push"), a.schemaPushCommand("set"), a.schemaPlanCommand(),
		a.schemaStatusCommand(), a.schemaWaitCommand(), a.schemaInitCommand())
	return cmd
}

// readSchemaFile parses a schema file; every problem is in the error.
func readSchemaFile(op, path string) (*strata.Schema, error) {
	data, err := readDefinitionFile(path)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", op, err)
	}
	s, err := schema.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %s: %w", op, path, err)
	}
	return s, nil
}

func (a *app) schemaDiffCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "diff FILE.json",
		Short: "compare FILE.json with the active schema: each change with its class (safe, needs data, destructive) and, for the others, the safe sequence",
		Long:  "Compare FILE.json with the active schema: each change with its class (safe, needs data, destructive) and, for the others, the safe sequence." + remoteHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := readSchemaFile("diff", args[0])
			if err != nil {
				return err
			}
			active, err := a.activeSchema(cmd.Context())
			if err != nil {
				return err
			}
			d := schema.Compare(active, s)
			if a.json {
				return writeJSON(a.stdout, diffJSON(d))
			}
			printDiff(a.stdout, d)
			return nil
		},
	}
}

type diffOut struct {
	Class   schema.Class    `json:"class"`
	Changes []schema.Change `json:"changes"`
	Check   []string        `json:"check"`
}

func diffJSON(d *schema.Diff) diffOut {
	out := diffOut{Class: d.Class(), Changes: d.Changes, Check: d.Check}
	if out.Changes == nil {
		out.Changes = []schema.Change{}
	}
	if out.Check == nil {
		out.Check = []string{}
	}
	return out
}

func printDiff(w io.Writer, d *schema.Diff) {
	if d.Empty() {
		fmt.Fprintln(w, "no changes: the file is the active schema")
		return
	}
	for _, c := range d.Changes {
		fmt.Fprintf(w, "[%s] %s\n", c.Class, c.Summary)
		if c.Fix != "" {
			fmt.Fprintf(w, "    instead: %s\n", c.Fix)
		}
	}
	if len(d.Check) > 0 {
		fmt.Fprintf(w, "push checks the existing documents of: %v\n", d.Check)
	} else {
		fmt.Fprintln(w, "push checks no existing documents (every change widens)")
	}
}

func writeJSON(w io.Writer, x any) error {
	b, err := json.Marshal(x)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// pushOut is the --json form of a push.
type pushOut struct {
	DryRun        bool                  `json:"dry_run"`
	Unchanged     bool                  `json:"unchanged"`
	Refused       bool                  `json:"refused"`
	SchemaID      string                `json:"schema_id,omitempty"`
	Diff          diffOut               `json:"diff"`
	Checked       map[string]int64      `json:"checked"`
	KeptTables    map[string]int64      `json:"kept_tables"`
	DroppedTables map[string]int64      `json:"dropped_tables"`
	Builds        []strata.IndexBuild   `json:"builds"`
	Count         int64                 `json:"offending_documents,omitempty"`
	Violations    []strata.Violation    `json:"violations,omitempty"`
	Samples       []strata.OffendingDoc `json:"samples,omitempty"`
	Document      string                `json:"document,omitempty"`
	Error         string                `json:"error,omitempty"`
}

func (a *app) schemaPushCommand(name string) *cobra.Command {
	var opts strata.PushOptions
	var noWait, wait bool
	cmd := &cobra.Command{
		Use: name + " FILE.json",
		Short: map[bool]string{
			false: "make FILE.json the active schema: check the existing documents it may reject, activate it, build its new indexes online",
			true:  `the same as "schema push"`,
		}[name == "set"],
		Long: `Push compares FILE.json (the schema file format: docs/file-formats.md;
"strata schema init" writes a starter file) with the active schema, checks
(in batches, without blocking writers) the existing documents of every table
whose validator does not merely widen, and refuses the push, changing
nothing, if any document does not conform: it prints how many, the first few
and the fix. A write that breaks the new schema while the check runs fails
the push too. Then the schema becomes active and its new indexes are built
online from the existing documents; the command returns when they are ready.
With --no-wait it returns as soon as the schema is active: the new indexes
stay staged (queries on them fail until they are ready) until
"strata schema wait" (or DB.ResumeIndexBuilds in the application) builds
them; "strata schema status" shows them.
Tables the file leaves out keep their documents (no longer validated) unless
--drop-tables is given; it asks first, showing how many documents each
table loses, or, when standard input is not a terminal (a script), needs
--yes.
A change that needs the data changed first (a rename, a new required field,
a type change) is refused with the safe sequence; "strata schema plan
FILE.json" writes the migration that gets there.` + remoteHelp + `
Remotely, the push is recorded with actor "admin API" and --drop-tables
needs a local database.` + map[bool]string{true: "\n\n\"set\" is \"push\".", false: ""}[name == "set"],
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := readSchemaFile(name, args[0])
			if err != nil {
				return err
			}
			if c, err := a.remote(); c != nil || err != nil {
				if err != nil {
					return err
				}
				opts.Wait = wait && !noWait
				return a.remotePush(cmd, c, s, args[0], opts)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.confirmDropTables(cmd, db, s, opts); err != nil {
				return err
			}
			opts.Wait = wait && !noWait
			opts.Staged = noWait // the process exits: leave the builds to schema wait
			if !a.json {
				opts.Progress = progressPrinter(a.stdout)
			}
			res, err := db.Push(cmd.Context(), s, opts)
			var refused *strata.PushRefusedError
			if a.json && (err == nil || errors.As(err, &refused)) {
				out := pushOut{Refused: refused != nil}
				if res != nil {
					out.DryRun, out.Unchanged, out.SchemaID = res.DryRun, res.Unchanged, string(res.SchemaID)
					out.Checked, out.KeptTables, out.DroppedTables, out.Builds = res.Checked, res.KeptTables, res.DroppedTables, res.Builds
					if res.Diff != nil {
						out.Diff = diffJSON(res.Diff)
					}
				}
				if refused != nil {
					out.Count, out.Violations, out.Samples, out.Document, out.Error = refused.Count, refused.Violations, refused.Samples, string(refused.Document), refused.Error()
				}
				if jerr := writeJSON(a.stdout, out); jerr != nil {
					return jerr
				}
				return err
			}
			if err != nil {
				return err
			}
			printPush(a.stdout, res)
			return nil
		},
	}
	if name == "push" {
		cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "diff and check the existing documents, change nothing")
		cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the schema is active, leaving new indexes staged (build them with strata schema wait)")
		cmd.Flags().BoolVar(&wait, "wait", true, "return only when the new indexes are ready (the default)")
		cmd.Flags().MarkHidden("wait")
	}
	cmd.Flags().BoolVar(&opts.DropTables, "drop-tables", false, "delete the documents of tables the file leaves out")
	addYesFlag(cmd)
	cmd.Flags().StringVar(&opts.Actor, "actor", os.Getenv("USER"), "who pushes, recorded in the schema history")
	cmd.Flags().StringVar(&opts.Comment, "comment", "", "why, recorded in the schema history")
	return cmd
}

// progressPrinter prints a line per table or index at most every second,
// and the last one.
func progressPrinter(w io.Writer) func(strata.Progress) {
	last := time.Now()
	return func(p strata.Progress) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		if p.Phase == "build" {
			fmt.Fprintf(w, "building %s.%s: %d of %d documents\n", p.Table, p.Index, p.Done, p.Total)
			return
		}
		fmt.Fprintf(w, "checking %s: %d documents\n", p.Table, p.Done)
	}
}

func printPush(w io.Writer, res *strata.PushResult) {
	if res.Unchanged {
		fmt.Fprintln(w, "no changes: the file is the active schema")
	} else {
		printDiff(w, res.Diff)
	}
	for t, n := range res.Checked {
		fmt.Fprintf(w, "checked %s: %d documents conform\n", t, n)
	}
	for t, n := range res.KeptTables {
		fmt.Fprintf(w, "table %s leaves the schema: its %d documents are kept and no longer validated\n", t, n)
	}
	for t, n := range res.DroppedTables {
		verb := "dropped"
		if res.DryRun {
			verb = "would drop"
		}
		fmt.Fprintf(w, "%s table %s: %d documents\n", verb, t, n)
	}
	for _, b := range res.Builds {
		switch b.State {
		case strata.BuildReady:
			fmt.Fprintf(w, "index %s.%s: ready (%d documents indexed)\n", b.Table, b.Index, b.Processed)
		default:
			fmt.Fprintf(w, "index %s.%s: staged, %s (%s): queries on it fail until it is ready; strata schema wait builds it\n", b.Table, b.Index, b.State, buildProgress(b))
		}
	}
	switch {
	case res.DryRun:
		fmt.Fprintln(w, "dry run: nothing changed; the push would succeed")
	case !res.Unchanged:
		fmt.Fprintf(w, "schema pushed (%s)\n", res.SchemaID)
	}
}
