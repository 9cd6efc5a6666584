package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/value"
)

// maxLine is the longest JSONL line import accepts.
const maxLine = 16 << 20

func (a *app) importCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "import TABLE FILE.jsonl | import --all BACKUP.jsonl",
		Short: "insert the documents of a JSON Lines file (all or nothing), or restore a backup",
		Long: `Insert one document per line of FILE.jsonl ("-" for standard input) into
TABLE, in one transaction: if any line is not a valid document for the
table, the error names its line number and nothing is imported.
_id and _creationTime are kept when present (as written by export).
Each line is a document in strata's JSON value form (docs/file-formats.md):
int64 values as {"$integer":"30"}, or as plain whole numbers (30) in
fields whose type is int64; bytes as {"$bytes":"BASE64"}.
With a schema active, TABLE must be one it declares.

--all BACKUP.jsonl restores a backup written by strata export --all into
an empty database (a new SQLite file, or a PostgreSQL database without
strata data): every table, system tables included, with the schema, its
indexes, migrations and scheduled functions, every _id and _creationTime
kept; all or nothing, in one transaction. A database that holds documents
is refused, as is a truncated or damaged backup.

The file is read as a stream, a line at a time, so memory does not grow
with its size (a stream that cannot be re-read, such as a pipe on standard
input, is first copied to a temporary file, since a transaction that loses
a serialization race is run again from the first line). Progress goes to
stderr.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if all && len(args) != 1 {
				return usageErrorf("import --all takes one file, the backup: strata import --all BACKUP.jsonl")
			}
			if !all && len(args) != 2 {
				return usageErrorf("import takes a table and a file: strata import TABLE FILE.jsonl (or --all BACKUP.jsonl to restore a backup)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if all {
				return a.restore(cmd.Context(), args[0])
			}
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
			p := a.newProgress("import "+table, "bytes", src.size())
			n := 0
			fields := tableFields(db, table)
			p.detail = func() string { return fmt.Sprintf("%d documents", n) }
			err = db.Mutation(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
				// A retried transaction starts again from the first line.
				if _, err := src.Seek(src.start, io.SeekStart); err != nil {
					return fmt.Errorf("import: %s: %w", path, err)
				}
				n = 0
				if err := declaredForImport(tx, table); err != nil {
					return err
				}
				return eachJSONLine(src.tracked(p), path, table, func(line int, doc strata.Doc) error {
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
			p.Finish()
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
	cmd.Flags().BoolVar(&all, "all", false, "restore a backup written by strata export --all into an empty database")
	return cmd
}

// restore runs strata import --all: strata.DB.Restore fed by readBackup.
func (a *app) restore(ctx context.Context, path string) error {
	src, done, err := openImport(path)
	if err != nil {
		return err
	}
	defer done()
	db, err := a.openWith(ctx, "cache_mib", "16")
	if err != nil {
		return err
	}
	p := a.newProgress("restore", "bytes", src.size())
	n := 0
	p.detail = func() string { return fmt.Sprintf("%d documents", n) }
	counts, err := db.Restore(ctx, func(put func(string, strata.Doc) error) error {
		if _, err := src.Seek(src.start, io.SeekStart); err != nil {
			return fmt.Errorf("import: %s: %w", path, err)
		}
		n = 0
		return readBackup(src.tracked(p), path, func(table string, doc strata.Doc) error {
			n++
			return put(table, doc)
		})
	})
	p.Finish()
	if err != nil {
		if errors.Is(err, strata.ErrRestoreNotEmpty) {
			return fmt.Errorf("import --all: %w; restore into a new database (a new sqlite:PATH, or an empty PostgreSQL database)", err)
		}
		return fmt.Errorf("import --all: %w", err)
	}
	if a.json {
		return a.printJSON(counts)
	}
	tables := make([]string, 0, len(counts))
	var total int64
	for t, n := range counts {
		tables = append(tables, t)
		total += n
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(a.stdout, "restored %s: %d document(s)\n", t, counts[t])
	}
	fmt.Fprintf(a.stdout, "restored %d document(s) in %d table(s)\n", total, len(tables))
	return nil
}

// importSource is the stream an import reads, and the offset at which it
// began, so that a retried transaction reads it again from there.
type importSource struct {
	io.ReadSeeker
	start int64
}

// size returns the number of bytes from the start to the end of the
// stream, or -1 if it cannot tell; it leaves the stream at its start.
func (s importSource) size() int64 {
	end, err := s.Seek(0, io.SeekEnd)
	if _, serr := s.Seek(s.start, io.SeekStart); err != nil || serr != nil {
		return -1
	}
	return end - s.start
}

// tracked returns the stream, reporting to p how many bytes of it were
// read.
func (s importSource) tracked(p *progress) io.Reader {
	return &progressReader{r: s, p: p}
}

// progressReader reports the bytes read through it to a progress.
type progressReader struct {
	r io.Reader
	p *progress
	n int64
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.n += int64(n)
	r.p.Set(r.n)
	return n, err
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

// declaredForImport refuses an import into a table that the active
// schema does not declare before any line is read, as the engine would
// refuse its first document (an empty file would otherwise succeed).
func declaredForImport(tx *strata.Tx, table string) error {
	s := tx.Schema()
	if s == nil || s.Tables[table] != nil || strings.HasPrefix(table, "_") {
		return nil
	}
	names := make([]string, 0, len(s.Tables))
	for t := range s.Tables {
		names = append(names, t)
	}
	sort.Strings(names)
	return fmt.Errorf("import: %w: table %q is not in the active schema (it declares %s): push a schema that declares it first, or check the table's name", strata.ErrUnknownTable, table, strings.Join(names, ", "))
}
