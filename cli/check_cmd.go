package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
)

func (a *app) checkCommand() *cobra.Command {
	var repair bool
	cmd := &cobra.Command{
		Use:   "check [--repair-indexes]",
		Short: "verify every document and index entry; optionally rebuild the indexes",
		Long: `Verify the database in one read-only snapshot (writers are not blocked):

  - the storage engine's own check: SQLite's PRAGMA integrity_check; on
    PostgreSQL amcheck's bt_index_check when the amcheck extension is
    installed in the database (otherwise the report says it did not run);
  - every document record decodes, is stored under a valid id of its
    table, and holds that id as its _id;
  - every entry of every index (by_creation_time and each index of the
    active schema) points at a document whose current values produce
    exactly its key, every document has its entry in each index, and no
    index holds entries the schema does not declare.

Problems are listed one a line (table.index: document: entry: what is
wrong), and the exit code is non-zero when there is any. --json prints the
report as one JSON object instead.

--repair-indexes first rebuilds every index entry from the documents in
one transaction (on SQLite the index B-tree is replaced, which also repairs
damage that integrity_check reports in it), then checks. Damaged document
records are not changed: they stay in the report. Progress goes to stderr.` + remoteHelp + `
Remotely there is no progress, and --repair-indexes needs a local database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if c, err := a.remote(); c != nil || err != nil {
				if err != nil {
					return err
				}
				if repair {
					return a.errNeedsLocal()
				}
				rep, err := c.Check(cmd.Context())
				if err != nil {
					return fmt.Errorf("check: could not finish: %w", err)
				}
				return a.reportCheck(checkOutput{CheckReport: rep, OK: rep.OK()}, false)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			out := checkOutput{}
			if repair {
				report := a.checkProgress("repair")
				out.Repaired, err = db.RepairIndexes(cmd.Context(), strata.CheckOptions{Progress: report})
				report(strata.CheckProgress{Total: -1})
				if err != nil {
					return fmt.Errorf("check: %w", err)
				}
			}
			report := a.checkProgress("check")
			rep, err := db.CheckWith(cmd.Context(), strata.CheckOptions{Progress: report})
			report(strata.CheckProgress{Total: -1})
			if rep != nil {
				// Also when the check could not finish: what it found.
				out.CheckReport, out.OK = rep, rep.OK() && err == nil
				if a.json {
					if err := a.printJSON(out); err != nil {
						return err
					}
				} else {
					a.printCheck(out, err == nil)
				}
			}
			if err != nil {
				return fmt.Errorf("check: could not finish: %w", err)
			}
			if !rep.OK() {
				hint := "strata check --repair-indexes rebuilds the indexes"
				if repair {
					hint = "the indexes were rebuilt; what remains is in the document records or the engine's files"
				}
				return fmt.Errorf("check: %d problem(s) found (%s)", len(rep.Problems)+int(rep.Omitted), hint)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&repair, "repair-indexes", false, "rebuild every index entry from the documents, then check")
	return cmd
}

// checkOutput is what `strata check --json` prints.
type checkOutput struct {
	OK bool `json:"ok"`
	*strata.CheckReport
	Repaired []strata.TableRepair `json:"repaired,omitempty"`
}

// printCheck prints a report; finished is false for the partial report
// of a check that could not finish.
func (a *app) printCheck(out checkOutput, finished bool) {
	w := a.stdout
	for _, r := range out.Repaired {
		fmt.Fprintf(w, "rebuilt %s: %d document(s) indexed in %s", r.Table, r.Documents, countsOf(r.Indexes))
		if r.Skipped > 0 {
			fmt.Fprintf(w, "; %d damaged record(s) left unindexed", r.Skipped)
		}
		if len(r.Dropped) > 0 {
			fmt.Fprintf(w, "; dropped undeclared %s", strings.Join(r.Dropped, ", "))
		}
		fmt.Fprintln(w)
	}
	rep := out.CheckReport
	if rep.Engine != "" {
		fmt.Fprintf(w, "engine: %s\n", rep.Engine)
	} else {
		fmt.Fprintf(w, "engine: not checked: %s\n", rep.EngineNote)
	}
	for _, t := range rep.Tables {
		fmt.Fprintf(w, "checked %s: %d document(s); entries %s\n", t.Table, t.Documents, countsOf(t.Indexes))
	}
	if rep.OK() {
		if finished {
			fmt.Fprintln(w, "ok: no problems found")
		}
		return
	}
	fmt.Fprintf(w, "%d problem(s):\n", len(rep.Problems)+int(rep.Omitted))
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  %s: %s\n", p.Kind, p)
	}
	if rep.Omitted > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", rep.Omitted)
	}
}

// countsOf prints index entry counts sorted by index name.
func countsOf(m map[string]int64) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(parts) == 0 {
		return "(no indexes)"
	}
	return strings.Join(parts, ", ")
}

// checkProgress reports a check's or repair's progress on stderr (see
// progress), a step per table. A Total below zero ends it.
func (a *app) checkProgress(step string) func(strata.CheckProgress) {
	var p *progress
	table := ""
	return func(c strata.CheckProgress) {
		if p != nil && (c.Total < 0 || c.Table != table) {
			p.Finish()
			p = nil
		}
		if c.Total < 0 {
			return
		}
		if p == nil {
			table = c.Table
			p = a.newProgress(step+" "+c.Table, "rows", c.Total)
		}
		p.Set(c.Done)
	}
}
