package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
)

// yesFlag is the flag that confirms a destructive command in advance.
const yesFlag = "yes"

// addYesFlag adds --yes to a command that deletes data.
func addYesFlag(cmd *cobra.Command) {
	cmd.Flags().Bool(yesFlag, false, "delete without asking (needed when standard input is not a terminal)")
}

// confirmDropTables asks before a push with --drop-tables deletes
// documents: it runs the push as a dry run to count what would go and,
// unless --yes was given, asks on a terminal (showing the counts) and
// refuses otherwise, changing nothing. A push that drops only empty
// tables, or none, is not asked about.
func (a *app) confirmDropTables(cmd *cobra.Command, db *strata.DB, s *strata.Schema, opts strata.PushOptions) error {
	if !opts.DropTables || opts.DryRun {
		return nil
	}
	if yes, _ := cmd.Flags().GetBool(yesFlag); yes {
		return nil
	}
	dry := opts
	dry.DryRun, dry.Progress, dry.Wait = true, nil, false
	res, err := db.Push(cmd.Context(), s, dry)
	if err != nil {
		return err // the push itself would fail the same way
	}
	var tables []string
	var total int64
	for t, n := range res.DroppedTables {
		if n > 0 {
			tables = append(tables, fmt.Sprintf("%s (%d documents)", t, n))
			total += n
		}
	}
	if total == 0 {
		return nil
	}
	sort.Strings(tables)
	what := fmt.Sprintf("--drop-tables deletes %d documents: %s", total, strings.Join(tables, ", "))
	if !isTerminal(os.Stdin) || !isTerminal(a.stderr) {
		return fmt.Errorf("schema push: %s; nothing changed: add --yes to confirm (standard input is not a terminal to ask on)", what)
	}
	if !confirm(cmd.Context(), os.Stdin, a.stderr, "strata: "+what+". Delete them? Type yes to continue: ") {
		return fmt.Errorf("schema push: not confirmed: nothing changed")
	}
	return nil
}

// confirm writes prompt to out and reports whether the line read from in
// is "yes" or "y" (any case). End of input, an error, or a cancelled ctx
// is a no.
func confirm(ctx context.Context, in io.Reader, out io.Writer, prompt string) bool {
	fmt.Fprint(out, prompt)
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(in).ReadString('\n')
		line <- s
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(out)
		return false
	case s := <-line:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "yes", "y":
			return true
		}
		return false
	}
}
