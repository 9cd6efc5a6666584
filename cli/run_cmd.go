package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// errNoFunctions is the error of the function commands in a binary that
// has no functions (cmd/strata).
var errNoFunctions = errors.New("this binary has no functions: `run` and `scheduled work` need an application binary that embeds the strata command line with cli.MainWith(app)")

func (a *app) runCommand() *cobra.Command {
	var list bool
	cmd := &cobra.Command{
		Use:   "run NAME [JSON-ARGS]",
		Short: "call a function of the application and print its result",
		Long: `Call the query or mutation NAME with JSON-ARGS, an object in strata's JSON
value form (docs/file-formats.md; default {}; int64 as {"$integer":"5"}, or
as a plain whole number where the argument's type is int64; bytes as
{"$bytes":"..."}),
and print its result as JSON, like "npx convex run". A mutation runs in one
serializable transaction. Internal functions may be run: this is an operator
tool. Jobs the function schedules run in the application's workers, or in
"scheduled work".

--list prints the functions instead.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.RangeArgs(1, 2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.fns == nil {
				return errNoFunctions
			}
			if list {
				return a.listFunctions()
			}
			var fargs any = map[string]any{}
			if len(args) == 2 {
				x, err := value.ParseJSON([]byte(args[1]))
				if err != nil {
					return usageErrorf("JSON-ARGS: %v", err)
				}
				if x == nil {
					return usageErrorf("JSON-ARGS must be an object, not null")
				}
				fargs = x
			}
			fargs, err := a.wholeArgs(args[0], fargs)
			if err != nil {
				return usageErrorf("JSON-ARGS: %v", err)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			res, err := a.fns.Call(cmd.Context(), db, args[0], fargs)
			if err != nil {
				return err
			}
			b, err := value.MarshalJSON(res)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "%s\n", b)
			return err
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list the functions")
	return cmd
}

// wholeArgs reads whole numbers in args as int64 where the arguments of
// function name take int64 (see whole.go).
func (a *app) wholeArgs(name string, args any) (any, error) {
	for _, f := range a.fns.Functions() {
		if f.Name == name && f.Args != nil {
			return v.WholeNumbers(f.Args, args)
		}
	}
	return args, nil
}

func (a *app) listFunctions() error {
	fs := a.fns.Functions()
	if a.json {
		b := []byte{'['}
		for i, f := range fs {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			b, err = value.AppendJSON(b, map[string]any{"name": f.Name, "kind": f.Kind.String(), "internal": f.Internal})
			if err != nil {
				return err
			}
		}
		b = append(b, "]\n"...)
		_, err := a.stdout.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tVISIBILITY")
	for _, f := range fs {
		vis := "public"
		if f.Internal {
			vis = "internal"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Kind, vis)
	}
	return tw.Flush()
}
