package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

// Table states printed by strata tables.
const (
	tableDeclared = "in schema"
	tableKept     = "not in schema" // a push removed it and kept its documents
	tableFree     = "no schema"     // no schema is set: any document is accepted
	tableSystem   = "system"
)

// tableInfo is one line of strata tables.
type tableInfo struct {
	Table     string      `json:"table"`
	Documents int64       `json:"documents"`
	State     string      `json:"state"`
	Indexes   []indexInfo `json:"indexes"`
}

// indexInfo is one user index of a table and its state: "ready", or
// "building" with how far its build is.
type indexInfo struct {
	Name      string   `json:"name"`
	Fields    []string `json:"fields"`
	State     string   `json:"state"`
	Processed int64    `json:"processed,omitempty"`
	Total     int64    `json:"total,omitempty"`
}

func (a *app) tablesCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "tables",
		Short: "list the tables with their document counts, indexes and state",
		Long: `List every table the active schema declares and every table that holds
documents, with its number of documents, its state and its indexes:

  in schema       the active schema declares it: writes are validated
  not in schema   it holds documents but the schema does not declare it
                  (a push removed it without --drop-tables): it can be
                  read and its documents deleted, not written
  no schema       no schema is set: the table accepts any document
  system          strata's own bookkeeping (listed with --all)

An index is "ready", or "building" with how many of the table's documents
its build has indexed. The counts are of one consistent snapshot.` + remoteHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if c, err := a.remote(); c != nil || err != nil {
				if err != nil {
					return err
				}
				return a.remoteTables(cmd.Context(), c, all)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			builds, err := db.IndexBuilds(cmd.Context())
			if err != nil {
				return err
			}
			var infos []tableInfo
			err = db.Query(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
				var err error
				infos, err = listTables(tx, builds, all)
				return err
			})
			if err != nil {
				return err
			}
			if a.json {
				if infos == nil {
					infos = []tableInfo{}
				}
				b, err := json.Marshal(infos)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", b)
				return nil
			}
			return a.printTables(infos)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list system tables too")
	return cmd
}

// listTables describes the tables declared by tx's schema and those
// holding documents (system tables only with all), sorted by name.
func listTables(tx *strata.Tx, builds []strata.IndexBuild, all bool) ([]tableInfo, error) {
	stored, err := tx.Tables()
	if err != nil {
		return nil, err
	}
	s := tx.Schema()
	names := slices.Clone(stored)
	if s != nil {
		for t := range s.Tables {
			if !slices.Contains(names, t) {
				names = append(names, t)
			}
		}
	}
	slices.Sort(names)
	// The newest build of each index says its state.
	latest := map[string]strata.IndexBuild{}
	for _, b := range builds {
		latest[b.Table+"."+b.Index] = b
	}
	var out []tableInfo
	for _, t := range names {
		info := tableInfo{Table: t, State: tableKept, Indexes: []indexInfo{}}
		switch {
		case strings.HasPrefix(t, "_"):
			if !all {
				continue
			}
			info.State = tableSystem
		case s == nil || len(s.Tables) == 0:
			info.State = tableFree
		case s.Tables[t] != nil:
			info.State = tableDeclared
			for _, ix := range s.Tables[t].Indexes {
				ii := indexInfo{Name: ix.Name, Fields: ix.Fields, State: strata.BuildReady}
				if b, ok := latest[t+"."+ix.Name]; ok && b.State == strata.BuildBackfilling {
					ii.State, ii.Processed, ii.Total = "building", b.Processed, b.Total
				}
				info.Indexes = append(info.Indexes, ii)
			}
		}
		if slices.Contains(stored, t) {
			if info.Documents, err = tx.Table(t).Count(); err != nil {
				return nil, err
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// printTables prints the tables as aligned columns.
func (a *app) printTables(infos []tableInfo) error {
	if len(infos) == 0 {
		fmt.Fprintln(a.stdout, "(no tables: push a schema with strata schema push FILE.json, or import documents with strata import TABLE FILE.jsonl)")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tDOCUMENTS\tSTATE\tINDEXES")
	for _, t := range infos {
		ixs := make([]string, 0, len(t.Indexes))
		for _, ix := range t.Indexes {
			s := fmt.Sprintf("%s(%s)", ix.Name, strings.Join(ix.Fields, ","))
			if ix.State != strata.BuildReady {
				s += fmt.Sprintf(" building %d/%d", ix.Processed, ix.Total)
			}
			ixs = append(ixs, s)
		}
		list := strings.Join(ixs, ", ")
		if list == "" {
			list = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", t.Table, t.Documents, t.State, list)
	}
	return tw.Flush()
}

// knownTable returns an error wrapping strata.ErrUnknownTable if table
// is neither declared by tx's schema nor holding documents, naming the
// tables there are. With a schema that declares tables the engine
// refuses such a read itself; this covers a database without one, where
// a table exists once it holds a document.
func knownTable(tx *strata.Tx, table string) error {
	if strings.HasPrefix(table, "_") {
		return nil
	}
	if s := tx.Schema(); s != nil && len(s.Tables) > 0 {
		return nil // the engine refuses the read, naming the declared tables
	}
	stored, err := tx.Tables()
	if err != nil {
		return err
	}
	if slices.Contains(stored, table) {
		return nil
	}
	var names []string
	if s := tx.Schema(); s != nil {
		for t := range s.Tables {
			names = append(names, t)
		}
	}
	for _, t := range stored {
		if !strings.HasPrefix(t, "_") && !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	slices.Sort(names)
	list := "none"
	if len(names) > 0 {
		list = strings.Join(names, ", ")
	}
	return fmt.Errorf("%w: no table %q in this database (its tables: %s; strata tables lists them)", strata.ErrUnknownTable, table, list)
}
