package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/value"
)

// maxLine is the longest JSONL line import accepts.
const maxLine = 16 << 20

func (a *app) importCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import TABLE FILE.jsonl",
		Short: "insert the documents of a JSON Lines file (all or nothing)",
		Long: `Insert one document per line of FILE.jsonl ("-" for standard input) into
TABLE, in one transaction: if any line is not a valid document for the
table, the error names its line number and nothing is imported.
_id and _creationTime are kept when present (as written by export).
Each line is a document in strata's JSON value form (docs/file-formats.md):
int64 values as {"$integer":"30"}, or as plain whole numbers (30) in
fields whose type is int64; bytes as {"$bytes":"BASE64"}.

The file is read as a stream, a line at a time, so memory does not grow
with its size (a stream that cannot be re-read, such as a pipe on standard
input, is first copied to a temporary file, since a transaction that loses
a serialization race is run again from the first line).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			table, path := args[0], args[1]
			src, done, err := openImport(path)
			if err != nil {
				return err
			}
			defer done()
			// One long write transaction: a smaller SQLite page cache
			// keeps an import's memory flat (storage/sqlite, cache_mib).
			db, err := a.openWith(cmd.Context(), "cache_mib", "16")
			if err != nil {
				return err
			}
			n := 0
			fields := tableFields(db, table)
			err = db.Mutation(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
				// A retried transaction starts again from the first line.
				if _, err := src.Seek(src.start, io.SeekStart); err != nil {
					return fmt.Errorf("import: %s: %w", path, err)
				}
				n = 0
				return eachJSONLine(src, path, table, func(line int, doc strata.Doc) error {
					doc, err := docForTable(fields, doc)
					if err != nil {
						return fmt.Errorf("import: %s:%d: %w", path, line, err)
					}
					if _, err := tx.Import(table, doc); err != nil {
						return fmt.Errorf("import: %s:%d: %w", path, line, err)
					}
					n++
					return nil
				})
			})
			if err != nil {
				return err
			}
			if a.json {
				fmt.Fprintf(a.stdout, "{\"table\":%q,\"imported\":%d}\n", table, n)
				return nil
			}
			fmt.Fprintf(a.stdout, "imported %d document(s) into %s\n", n, table)
			return nil
		},
	}
}

// importSource is the stream an import reads, and the offset at which it
// began, so that a retried transaction reads it again from there.
type importSource struct {
	io.ReadSeeker
	start int64
}

// openImport opens the file to import, "-" for standard input, as a
// stream that can be read again from where it stood. A stream that cannot
// seek (a pipe, standard input or a named one such as <(cmd)) is copied to
// a temporary file first. done closes (and removes) what openImport
// opened.
func openImport(path string) (importSource, func(), error) {
	f, closeF := os.Stdin, func() {}
	if path != "-" {
		var err error
		if f, err = os.Open(path); err != nil {
			return importSource{}, nil, fmt.Errorf("import: %w", err)
		}
		closeF = func() { f.Close() }
	}
	if off, err := f.Seek(0, io.SeekCurrent); err == nil {
		return importSource{f, off}, closeF, nil
	}
	name := path
	if path == "-" {
		name = "standard input"
	}
	tmp, err := os.CreateTemp("", "strata-import-*.jsonl")
	if err != nil {
		closeF()
		return importSource{}, nil, fmt.Errorf("import: spool %s: %w", name, err)
	}
	done := func() {
		tmp.Close()
		os.Remove(tmp.Name())
		closeF()
	}
	if _, err := io.Copy(tmp, f); err != nil {
		done()
		return importSource{}, nil, fmt.Errorf("import: spool %s to %s: %w", name, tmp.Name(), err)
	}
	return importSource{tmp, 0}, done, nil
}

// eachJSONLine parses r one line at a time and calls fn with each
// document and its line number, stopping at the first error. A line may
// carry "_table" (written by a multi-table export); it must then name
// table.
func eachJSONLine(r io.Reader, path, table string, fn func(line int, doc strata.Doc) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		m, err := value.ParseJSONDoc(line)
		if err != nil {
			return fmt.Errorf("import: %s:%d: %w", path, n, err)
		}
		if t, ok := m[tableField]; ok {
			if t != table {
				return fmt.Errorf("import: %s:%d: line belongs to table %v, not %q", path, n, t, table)
			}
			delete(m, tableField)
		}
		if err := fn(n, strata.Doc(m)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("import: %s:%d: line longer than %d bytes", path, n+1, maxLine)
		}
		return fmt.Errorf("import: %s: %w", path, err)
	}
	return nil
}
