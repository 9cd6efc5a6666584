package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

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
	var all, withSystem bool
	var format string
	cmd := &cobra.Command{
		Use:   "export [TABLE...]",
		Short: "write documents as JSON Lines to standard output (--all: a backup of the whole database)",
		Long: `Write every document of the named tables (default: every application table
that holds documents; system tables too with --system) to standard output,
one JSON document per line, in the lossless JSON form (int64 as
{"$integer":"..."}, bytes as {"$bytes":"..."}). Unless one TABLE is named,
each line carries "_table". strata import TABLE FILE reads one table back.
A named table that neither the schema declares nor holds documents is an
error (a typo), naming the tables there are.

--all writes a backup of the whole database instead: a header line naming
the format and its version, every document of every table, system tables
included (the schema and its history, index builds, migrations, scheduled
functions), and an end line with the count of each table. strata import
--all FILE restores it into an empty database, keeping every _id and
_creationTime.

The export is one consistent snapshot. It reads the document records
themselves in _id order, not an index, so a damaged index cannot make it
miss documents; a record that is damaged itself (it does not decode, or
its _id is not the id it is stored under) stops it with an error naming
the document (strata check lists them all). Progress goes to stderr.

--format convex writes Convex's JSON encoding instead: int64 as
{"$integer": base64 of the 8 little-endian bytes}, NaN, ±Infinity and -0 as
{"$float": base64 of the 8 bytes}. import reads both forms.` + remoteHelp + `
Remotely, tables are read a page at a time (not one snapshot), each in
_creationTime order rather than _id order, and --all needs a local
database.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && (len(args) > 0 || withSystem) {
				return usageErrorf("export --all writes every table: give no TABLE and no --system")
			}
			appendLine := value.AppendJSON
			switch format {
			case "strata":
			case "convex":
				if all {
					return usageErrorf("export --all writes strata's own form: give no --format")
				}
				appendLine = value.AppendConvexJSON
			default:
				return usageErrorf("--format %q: use strata or convex", format)
			}
			if c, err := a.remote(); c != nil || err != nil {
				if err != nil {
					return err
				}
				if all {
					return a.errNeedsLocal()
				}
				return a.remoteExport(cmd.Context(), c, args, withSystem, appendLine)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			out := &countingWriter{w: a.stdout}
			w := bufio.NewWriterSize(out, 64<<10)
			attempt := 0
			err = db.Query(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
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
				tables, err := a.exportTables(tx, args, all || withSystem)
				if err != nil {
					return err
				}
				if all {
					return a.exportBackup(tx, w, tables)
				}
				return a.exportLines(tx, w, tables, len(args) != 1, appendLine)
			})
			if err != nil {
				return err
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "write a backup of the whole database, system tables included, for strata import --all")
	cmd.Flags().BoolVar(&withSystem, "system", false, "with no TABLE, export system tables too")
	cmd.Flags().StringVar(&format, "format", "strata", "value encoding: strata (the JSON form of docs/file-formats.md) or convex (Convex's JSON encoding)")
	return cmd
}

// exportTables returns the tables to export: those named (each must be
// known), or every table holding documents (system tables only with
// withSystem).
func (a *app) exportTables(tx *strata.Tx, named []string, withSystem bool) ([]string, error) {
	if len(named) > 0 {
		for _, t := range named {
			if err := knownTable(tx, t); err != nil {
				return nil, err
			}
		}
		return named, nil
	}
	stored, err := tx.Tables()
	if err != nil {
		return nil, err
	}
	var tables []string
	for _, t := range stored {
		if withSystem || !strings.HasPrefix(t, "_") {
			tables = append(tables, t)
		}
	}
	return tables, nil
}

// exportLines writes the documents of tables as JSON Lines, tagged with
// their table unless one table was named.
func (a *app) exportLines(tx *strata.Tx, w io.Writer, tables []string, tag bool, appendLine func([]byte, any) ([]byte, error)) error {
	var line []byte
	for _, t := range tables {
		p, err := a.tableProgress(tx, "export "+t, t)
		if err != nil {
			return err
		}
		err = tx.EachDocument(t, func(d strata.Doc) error {
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
			p.Add(1)
			return err
		})
		p.Finish()
		if err != nil {
			return err // it names the table
		}
	}
	return nil
}

// exportBackup writes tables as a backup (see backup.go).
func (a *app) exportBackup(tx *strata.Tx, w io.Writer, tables []string) error {
	tables = backupTables(tables)
	est := map[string]int64{}
	for _, t := range tables {
		n, err := tx.Table(t).Count()
		if err != nil {
			return err
		}
		est[t] = n
	}
	line, err := appendBackupHeader(nil, est)
	if err != nil {
		return err
	}
	if _, err := w.Write(line); err != nil {
		return err
	}
	written := map[string]int64{}
	for _, t := range tables {
		p := a.newProgress("export "+t, "documents", est[t])
		err := tx.EachDocument(t, func(d strata.Doc) error {
			var err error
			if line, err = appendBackupDoc(line[:0], t, d); err != nil {
				return fmt.Errorf("table %s: document %s: %w", t, d.ID(), err)
			}
			written[t]++
			p.Add(1)
			_, err = w.Write(line)
			return err
		})
		p.Finish()
		if err != nil {
			return err
		}
	}
	if line, err = appendBackupEnd(line[:0], written); err != nil {
		return err
	}
	_, err = w.Write(line)
	return err
}

// tableProgress starts the progress of a step over the documents of
// table, counted first when progress is shown at all.
func (a *app) tableProgress(tx *strata.Tx, label, table string) (*progress, error) {
	total := int64(-1)
	if a.progressEvery > 0 {
		n, err := tx.Table(table).Count()
		if err != nil {
			return nil, err
		}
		total = n
	}
	return a.newProgress(label, "documents", total), nil
}
