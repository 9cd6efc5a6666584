package cli

import (
	"bufio"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/value"
)

// errExportRetry ends an export whose snapshot conflicted after part of
// it was written out; it does not wrap strata.ErrConflict, so Query does
// not run the export again.
var errExportRetry = errors.New("export: the snapshot had to be taken again after part of the export was written (the server reported a conflict or ran out of lock memory); nothing more was written: run the export again")

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// tableField tags each line of a multi-table export with its table.
const tableField = "_table"

func (a *app) exportCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "export [TABLE...]",
		Short: "write documents as JSON Lines to standard output",
		Long: `Write every document of the named tables (default: every table that holds
documents, system tables included) to standard output, one JSON document per
line, in the lossless JSON form (int64 as {"$integer":"..."}, bytes as
{"$bytes":"..."}). With more than one table each line carries "_table".
The export is one consistent snapshot. It reads the document records
themselves in _id order, not an index, so a damaged index cannot make it
miss documents; a record that is damaged itself (it does not decode, or
its _id is not the id it is stored under) stops it with an error naming
the document (strata check lists them all).

--format convex writes Convex's JSON encoding instead: int64 as
{"$integer": base64 of the 8 little-endian bytes}, NaN, ±Infinity and -0 as
{"$float": base64 of the 8 bytes}. import reads both forms.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			appendLine := value.AppendJSON
			switch format {
			case "strata":
			case "convex":
				appendLine = value.AppendConvexJSON
			default:
				return usageErrorf("--format %q: use strata or convex", format)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			out := &countingWriter{w: a.stdout}
			w := bufio.NewWriterSize(out, 64<<10)
			attempt := 0
			err = db.Query(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
				tables := args
				// A conflict (PostgreSQL: a serialization failure, or a
				// server out of lock memory) makes Query run this again:
				// start over from an empty buffer, or fail rather than
				// write documents twice if some reached the output.
				if attempt++; attempt > 1 {
					if out.n > 0 {
						return errExportRetry
					}
					w.Reset(out)
				}
				if len(tables) == 0 {
					var err error
					if tables, err = tx.Tables(); err != nil {
						return err
					}
				}
				tag := len(tables) > 1
				var line []byte
				for _, t := range tables {
					err := tx.EachDocument(t, func(d strata.Doc) error {
						m := map[string]any(d)
						if tag {
							m[tableField] = t
						}
						var err error
						line, err = appendLine(line[:0], m)
						if err != nil {
							return err
						}
						line = append(line, '\n')
						_, err = w.Write(line)
						return err
					})
					if err != nil {
						return err // it names the table
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "strata", "value encoding: strata (the JSON form of docs/file-formats.md) or convex (Convex's JSON encoding)")
	return cmd
}
