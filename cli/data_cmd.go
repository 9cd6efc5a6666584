package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/value"
)

func (a *app) dataCommand() *cobra.Command {
	var (
		limit int
		index string
		eqs   []string
		order string
	)
	cmd := &cobra.Command{
		Use:   "data TABLE",
		Short: "print documents of a table",
		Long: `Print documents of TABLE in _creationTime order, or in the order of an index.

When the listing covers the whole table (no --eq, and fewer documents than
--limit), the documents are also counted from their records, and a count
that differs from the listing's (a damaged index) is an error: nothing is
printed and the exit code is non-zero.

--eq field=value restricts an index range with equalities on the index's
leading fields, in order. A value is read in strata's JSON value form when
it is valid JSON (5 is a number, {"$integer":"5"} an int64, true a boolean;
5 is an int64 too when the field's type is int64) and as a string
otherwise.

The table view prints strings as they are, int64 values as plain whole
numbers and other values in the JSON value form; --json prints the
documents in the JSON value form (int64 as {"$integer":"5"}), losslessly.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			table := args[0]
			if limit < 0 {
				return usageErrorf("--limit must not be negative")
			}
			if len(eqs) > 0 && index == "" {
				return usageErrorf("--eq needs --index NAME")
			}
			var ord strata.Order
			switch order {
			case "asc", "":
				ord = strata.Asc
			case "desc":
				ord = strata.Desc
			default:
				return usageErrorf("--order must be asc or desc, not %q", order)
			}
			type eq struct {
				field string
				x     any
			}
			var parsed []eq
			for _, e := range eqs {
				field, raw, ok := strings.Cut(e, "=")
				if !ok || field == "" {
					return usageErrorf("--eq %q: want field=value", e)
				}
				parsed = append(parsed, eq{field, parseCLIValue(raw)})
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			var rng []strata.RangeExpr
			for _, e := range parsed {
				x, err := eqValue(db, table, e.field, e.x)
				if err != nil {
					return usageErrorf("--eq %s: %v", e.field, err)
				}
				rng = append(rng, strata.Eq(e.field, x))
			}
			var docs []strata.Doc
			err = db.Query(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
				if err := knownTable(tx, table); err != nil {
					return err
				}
				q := tx.Table(table).Order(ord)
				if index != "" {
					q = q.WithIndex(index, rng...)
				}
				var err error
				if limit > 0 {
					docs, err = q.Take(limit)
				} else {
					docs, err = q.Collect()
				}
				if err != nil || len(eqs) > 0 || limit > 0 && len(docs) == limit {
					return err
				}
				return checkListing(tx, table, index, len(docs))
			})
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSONArray(docs)
			}
			return a.printTable(docs)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "print at most N documents (0: all)")
	cmd.Flags().StringVar(&index, "index", "", "read through this index")
	cmd.Flags().StringArrayVar(&eqs, "eq", nil, "field=value equality on the index's next field (repeatable)")
	cmd.Flags().StringVar(&order, "order", "asc", "asc or desc")
	return cmd
}

// parseCLIValue reads a command-line value: strata's JSON form if it is
// valid JSON, else the raw string.
func parseCLIValue(raw string) any {
	if x, err := value.ParseJSON([]byte(raw)); err == nil {
		return x
	}
	return raw
}

func (a *app) printJSONArray(docs []strata.Doc) error {
	var b []byte
	b = append(b, '[')
	for i, d := range docs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = value.AppendJSON(b, map[string]any(d)); err != nil {
			return err
		}
	}
	b = append(b, "]\n"...)
	_, err := a.stdout.Write(b)
	return err
}

// printTable prints documents as aligned columns: _id, then the other
// fields sorted, values in JSON form, long values cut.
func (a *app) printTable(docs []strata.Doc) error {
	if len(docs) == 0 {
		fmt.Fprintln(a.stdout, "(no documents)")
		return nil
	}
	cols := map[string]bool{}
	for _, d := range docs {
		for k := range d {
			if k != strata.FieldID && k != strata.FieldCreationTime {
				cols[k] = true
			}
		}
	}
	names := make([]string, 0, len(cols))
	for k := range cols {
		names = append(names, k)
	}
	sort.Strings(names)
	names = append([]string{strata.FieldID}, names...)
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	for _, d := range docs {
		cells := make([]string, len(names))
		for i, k := range names {
			x, ok := d[k]
			if !ok {
				cells[i] = "-"
				continue
			}
			if s, isStr := x.(string); isStr {
				cells[i] = s
			} else if id, isID := x.(strata.ID); isID {
				cells[i] = string(id)
			} else {
				b, err := appendCell(nil, x)
				if err != nil {
					return err
				}
				cells[i] = string(b)
			}
			if len(cells[i]) > 40 {
				cells[i] = cells[i][:37] + "..."
			}
			cells[i] = strings.ReplaceAll(cells[i], "\t", " ")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "(%d document(s))\n", len(docs))
	return nil
}

// appendCell appends x as the table view shows it: the JSON value form,
// except that an int64, at any depth, is a plain whole number (the view is
// for reading; --json is the lossless form).
func appendCell(dst []byte, x any) ([]byte, error) {
	switch t := x.(type) {
	case int64:
		return strconv.AppendInt(dst, t, 10), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendCell(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = value.AppendJSON(dst, k); err != nil {
				return nil, err
			}
			dst = append(dst, ':')
			if dst, err = appendCell(dst, t[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	return value.AppendJSON(dst, x)
}

// checkListing counts the documents of table from their records, not an
// index, and returns an error if the listing through index (""
// meaning by_creation_time) that reached the end of the table returned
// another number: the index is damaged.
func checkListing(tx *strata.Tx, table, index string, listed int) error {
	n := 0
	if err := tx.EachDocument(table, func(strata.Doc) error { n++; return nil }); err != nil {
		return err
	}
	if n == listed {
		return nil
	}
	if index == "" {
		index = "by_creation_time"
	}
	return fmt.Errorf("data: index %s of table %q lists %d document(s) but the table holds %d: %w: the index is damaged (strata check --repair-indexes rebuilds it)", index, table, listed, n, strata.ErrCorrupt)
}
