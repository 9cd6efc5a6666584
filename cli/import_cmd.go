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
_id and _creationTime are kept when present (as written by export).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			table, path := args[0], args[1]
			var r io.Reader = os.Stdin
			if path != "-" {
				f, err := os.Open(path)
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				defer f.Close()
				r = f
			}
			docs, err := readJSONL(r, path, table)
			if err != nil {
				return err
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			err = db.Mutation(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
				for _, d := range docs {
					if _, err := tx.Import(table, d.doc); err != nil {
						return fmt.Errorf("import: %s:%d: %w", path, d.line, err)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if a.json {
				fmt.Fprintf(a.stdout, "{\"table\":%q,\"imported\":%d}\n", table, len(docs))
				return nil
			}
			fmt.Fprintf(a.stdout, "imported %d document(s) into %s\n", len(docs), table)
			return nil
		},
	}
}

type lineDoc struct {
	line int
	doc  strata.Doc
}

// readJSONL parses every line before anything is written, so a bad line
// fails the import without a transaction. A line may carry "_table"
// (written by a multi-table export); it must then name table.
func readJSONL(r io.Reader, path, table string) ([]lineDoc, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var docs []lineDoc
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		m, err := value.ParseJSONDoc(line)
		if err != nil {
			return nil, fmt.Errorf("import: %s:%d: %w", path, n, err)
		}
		if t, ok := m[tableField]; ok {
			if t != table {
				return nil, fmt.Errorf("import: %s:%d: line belongs to table %v, not %q", path, n, t, table)
			}
			delete(m, tableField)
		}
		docs = append(docs, lineDoc{n, strata.Doc(m)})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("import: %s:%d: line longer than %d bytes", path, n+1, maxLine)
		}
		return nil, fmt.Errorf("import: %s: %w", path, err)
	}
	return docs, nil
}
