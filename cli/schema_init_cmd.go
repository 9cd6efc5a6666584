package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// inferSample is how many documents of a table schema init reads to
// guess its fields when the database has no schema.
const inferSample = 1000

// schemaInitCommand is `schema init [FILE]`: a commented starter schema.
func (a *app) schemaInitCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [FILE.json]",
		Short: "write a commented starter schema file: the active schema, or one guessed from the documents, or an example",
		Long: `Write a schema file to start from (default schema.json; "-" for standard
output), with // comments that explain it (the format: docs/file-formats.md).

With a schema active, the file is that schema. Without one, each table that
holds documents gets the fields found in its first 1000 documents (a field
some documents lack is optional; a field with several types is a union):
check them before pushing. An empty database gets an example table, commented
out. Edit the file, then "strata schema push FILE.json". An existing file is
not overwritten without --force.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "schema.json"
			if len(args) == 1 {
				path = args[0]
			}
			// A SQLite file that does not exist is an empty database: the
			// starter schema needs no file, so none is created.
			var db *strata.DB
			if a.db != nil || mustExist(a.dbURL) == nil {
				var err error
				if db, err = a.open(cmd.Context()); err != nil {
					return err
				}
			}
			text, err := starterSchema(cmd, db)
			if err != nil {
				return fmt.Errorf("schema init: %w", err)
			}
			if _, err := schema.Parse(text); err != nil {
				return fmt.Errorf("schema init: the starter schema does not parse (a bug): %w", err)
			}
			if path == "-" {
				_, err := a.stdout.Write(text)
				return err
			}
			if err := writeNewFile(path, text, force); err != nil {
				return fmt.Errorf("schema init: %w", err)
			}
			fmt.Fprintf(a.stdout, "wrote %s: edit it, then run %s\n", path, a.command("schema", "push", path))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	return cmd
}

// writeNewFile writes data to path, refusing to replace a file unless
// force.
func writeNewFile(path string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: choose another name, or give --force to overwrite it", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// starterSchema returns the text of the starter schema for db (nil: an
// empty database).
func starterSchema(cmd *cobra.Command, db *strata.DB) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`// A strata schema file (docs/file-formats.md describes the format).
// Field types: "string", "number" (float64), "int64", "boolean", "null",
// "bytes", "any", {"id": "TABLE"}, {"literal": VALUE}, {"array": T},
// {"object": {"field": T}}, {"record": [KEY, T]}, {"union": [T, ...]},
// and {"optional": T} for a field documents may lack.
// Indexes list the fields they sort by: "by_email": ["email"].
// Apply it with: strata schema push FILE.json
`)
	tables := map[string]*schema.Table{}
	notes := map[string]string{}
	if db == nil {
		// An empty database: the example below.
	} else if s := db.Schema(); s != nil {
		b.WriteString("// This is the database's active schema.\n")
		tables = s.Tables
	} else {
		var names []string
		err := db.Query(system.Unlimited(cmd.Context()), func(tx *strata.Tx) error {
			all, err := tx.Tables()
			if err != nil {
				return err
			}
			for _, name := range all {
				if strings.HasPrefix(name, "_") {
					continue
				}
				docs, err := tx.Table(name).Take(inferSample)
				if err != nil {
					return err
				}
				names = append(names, name)
				tables[name] = &schema.Table{Name: name, Fields: inferFields(docs)}
				notes[name] = fmt.Sprintf("guessed from %d document(s): check each type", len(docs))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(names) > 0 {
			b.WriteString("// The database has no schema yet: its tables' fields are guessed from\n// their documents.\n")
		}
	}
	if len(tables) == 0 {
		b.WriteString(`// The database is empty: here is an example table to adapt (remove the //).
{
  "tables": {
    // "tasks": {
    //   "fields": {
    //     "title": "string",
    //     "done": "boolean",
    //     "priority": {"optional": "int64"},
    //     "owner": {"id": "users"}
    //   },
    //   "indexes": {"by_done": ["done"]}
    // }
  }
}
`)
		return b.Bytes(), nil
	}
	b.WriteString("{\n  \"tables\": {\n")
	names := make([]string, 0, len(tables))
	for name := range tables {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		t := tables[name]
		if n := notes[name]; n != "" {
			fmt.Fprintf(&b, "    // %s: %s\n", name, n)
		}
		fmt.Fprintf(&b, "    %s: {\n      \"fields\": {", jsonString(name))
		fields := make([]string, 0, len(t.Fields))
		for f := range t.Fields {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for j, f := range fields {
			typ, err := v.MarshalJSON(t.Fields[f])
			if err != nil {
				return nil, fmt.Errorf("table %s: field %s: %w", name, f, err)
			}
			fmt.Fprintf(&b, "\n        %s: %s%s", jsonString(f), typ, comma(j, len(fields)))
		}
		if len(fields) > 0 {
			b.WriteString("\n      ")
		}
		b.WriteString("},\n      \"indexes\": {")
		for j, ix := range t.Indexes {
			list := make([]string, len(ix.Fields))
			for k, f := range ix.Fields {
				list[k] = jsonString(f)
			}
			fmt.Fprintf(&b, "\n        %s: [%s]%s", jsonString(ix.Name), strings.Join(list, ", "), comma(j, len(t.Indexes)))
		}
		if len(t.Indexes) > 0 {
			b.WriteString("\n      ")
		}
		fmt.Fprintf(&b, "}\n    }%s\n", comma(i, len(names)))
	}
	b.WriteString("  }\n}\n")
	return b.Bytes(), nil
}

func comma(i, n int) string {
	if i < n-1 {
		return ","
	}
	return ""
}

func jsonString(s string) string {
	b, _ := value.MarshalJSON(s)
	return string(b)
}

// inferFields guesses the fields of a table from some of its documents:
// the union of the types each field holds, optional where a document
// lacks it.
func inferFields(docs []strata.Doc) v.Object {
	kinds := map[string][]v.Validator{}
	seen := map[string]int{}
	for _, d := range docs {
		for k, x := range d {
			if k == strata.FieldID || k == strata.FieldCreationTime {
				continue
			}
			seen[k]++
			t := inferType(x)
			if !slices.ContainsFunc(kinds[k], func(o v.Validator) bool { return v.Equal(o, t) }) {
				kinds[k] = append(kinds[k], t)
			}
		}
	}
	out := v.Object{}
	for k, ts := range kinds {
		var t v.Validator
		if len(ts) == 1 {
			t = ts[0]
		} else {
			slices.SortFunc(ts, func(a, b v.Validator) int { return strings.Compare(a.String(), b.String()) })
			t = v.Union(ts...)
		}
		if seen[k] < len(docs) {
			t = v.Optional(t)
		}
		out[k] = t
	}
	return out
}

// inferType is the type of one value: nested objects and arrays are "any"
// inside, for the reader to refine.
func inferType(x any) v.Validator {
	switch x.(type) {
	case string, value.ID:
		return v.String()
	case float64:
		return v.Number()
	case int64:
		return v.Int64()
	case bool:
		return v.Boolean()
	case nil:
		return v.Null()
	case []byte:
		return v.Bytes()
	case []any:
		return v.Array(v.Any())
	}
	return v.Any()
}
