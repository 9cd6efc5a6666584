package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
)

func (a *app) copyCommand() *cobra.Command {
	var from, to string
	var force bool
	cmd := &cobra.Command{
		Use:   "copy --from URL --to URL",
		Short: "copy a whole database to another one (for example SQLite to PostgreSQL)",
		Long: `Copy every table, system tables included, from one database to another,
record for record: documents and their index entries are copied as stored
bytes, so the copy is lossless for every value type and keeps every _id and
_creationTime. The source is read in one consistent snapshot; the
destination is written in transactions of ` + fmt.Sprint(strata.CopyBatch) + ` records.

The destination must be empty, unless --force is given: then its tables are
dropped first and replaced by the source's. A destination that is the
source itself (the same SQLite file by any path, the same PostgreSQL
database and schema by any host name) is refused, even with --force. Do not let applications write to
the destination until the copy has finished. URLs are sqlite:PATH or
postgres://...; --db is not used. Applications do the same with
strata.Copy. Progress goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return usageErrorf("copy needs --from URL and --to URL")
			}
			return a.copy(cmd.Context(), from, to, force)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source database URL")
	cmd.Flags().StringVar(&to, "to", "", "destination database URL")
	cmd.Flags().BoolVar(&force, "force", false, "replace the contents of a non-empty destination")
	return cmd
}

// copy runs strata.Copy, printing a line per table as it completes (or,
// with --json, the list of tables at the end). A failure to close a
// database after the copy is a warning (see closeDB).
func (a *app) copy(ctx context.Context, fromURL, toURL string, force bool) error {
	// The source must exist: copying from a mistyped path would create
	// an empty database there and copy nothing.
	if err := mustExist(fromURL); err != nil {
		return fmt.Errorf("copy: --from: %w", err)
	}
	opts := strata.CopyOptions{Force: force}
	var prog *progress
	opts.Progress = func(p strata.CopyProgress) {
		if prog == nil {
			prog = a.newProgress(fmt.Sprintf("copy %s (table %d of %d)", p.Table.Table, p.TablesDone+1, p.Tables), "records", -1)
		}
		n := int64(p.Table.Documents)
		for _, e := range p.Table.Indexes {
			n += int64(e)
		}
		prog.Set(n)
		if p.TableDone {
			prog.Finish()
			prog = nil
			if !a.json {
				fmt.Fprintf(a.stdout, "copied %s: %d documents, %d indexes\n", p.Table.Table, p.Table.Documents, len(p.Table.Indexes))
			}
		}
	}
	res, err := strata.Copy(ctx, fromURL, toURL, opts)
	if prog != nil {
		prog.Finish()
	}
	if res.CloseErr != nil {
		a.warnClose(res.CloseErr)
	}
	switch {
	case errors.Is(err, strata.ErrDestinationNotEmpty):
		return fmt.Errorf("%w; use --force to replace its contents", err)
	case err != nil:
		return err
	}
	if a.json {
		tables := res.Tables
		if tables == nil {
			tables = []strata.CopiedTable{}
		}
		out, err := json.Marshal(tables)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s\n", out)
	}
	return nil
}
