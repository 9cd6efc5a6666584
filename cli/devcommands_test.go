package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/strata-db/strata/cli"
)

// mainEnv makes the test binary run cli.Main or cli.MainWith(nil) (the
// variable's value) with the arguments in mainArgsEnv, as an application
// binary would, instead of the tests.
const (
	mainEnv     = "STRATA_CLI_TEST_MAIN"
	mainArgsEnv = "STRATA_CLI_TEST_MAIN_ARGS"
)

// mainChild runs the entry point named by mainEnv and returns the exit
// code (Main exits 1 itself on an error).
func mainChild(entry string) int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(mainArgsEnv)), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	os.Args = append([]string{"strata"}, args...)
	switch entry {
	case "Main":
		cli.Main()
	case "MainWith":
		cli.MainWith(nil)
	default:
		fmt.Fprintf(os.Stderr, "unknown entry point %q\n", entry)
		return 2
	}
	return 0
}

// runEntry runs one way of starting the command line with args and
// returns its stdout and stderr, and whether it failed.
type runEntry func(t *testing.T, args ...string) (stdout, stderr string, err error)

// inProcess runs cfg's command line in this process.
func inProcess(cfg cli.Config) runEntry {
	return func(t *testing.T, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := cli.RunConfig(context.Background(), cfg, args, &out, &errOut)
		return out.String(), errOut.String(), err
	}
}

// inChild runs cli.Main or cli.MainWith (entry) in a new process of the
// test binary, as cmd/strata and application binaries do.
func inChild(entry string) runEntry {
	return func(t *testing.T, args ...string) (string, string, error) {
		t.Helper()
		a, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), mainEnv+"="+entry, mainArgsEnv+"="+string(a))
		cmd.Dir = t.TempDir()
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		if _, exited := err.(*exec.ExitError); err != nil && !exited {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), err
	}
}

// TestDevCommands: the plain strata command (cli.Main as cmd/strata runs
// it, cli.Run, Config.DevCommands) lists demo and bench and runs them; an
// application's command line (cli.MainWith, cli.RunWith, a Config without
// DevCommands) lists neither and refuses both as unknown commands, while
// keeping the commands that operate a database.
func TestDevCommands(t *testing.T) {
	t.Parallel()
	run := func(ctx context.Context, args []string, out, errOut *bytes.Buffer) error {
		return cli.Run(ctx, args, out, errOut)
	}
	runWith := func(ctx context.Context, args []string, out, errOut *bytes.Buffer) error {
		return cli.RunWith(ctx, fnApp(), args, out, errOut)
	}
	wrap := func(f func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error) runEntry {
		return func(t *testing.T, args ...string) (string, string, error) {
			var out, errOut bytes.Buffer
			err := f(context.Background(), args, &out, &errOut)
			return out.String(), errOut.String(), err
		}
	}
	tests := []struct {
		name string
		run  runEntry
		dev  bool
	}{
		{"Main", inChild("Main"), true},
		{"Run", wrap(run), true},
		{"Config{DevCommands}", inProcess(cli.Config{DevCommands: true, Functions: fnApp()}), true},
		{"MainWith", inChild("MainWith"), false},
		{"RunWith", wrap(runWith), false},
		{"Config{}", inProcess(cli.Config{}), false},
		{"Config{Functions}", inProcess(cli.Config{Functions: fnApp()}), false},
	}
	listed := func(help, name string) bool {
		return regexp.MustCompile(`(?m)^\s+` + name + `\s`).MatchString(help)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			help, errOut, err := tc.run(t, "--help")
			if err != nil {
				t.Fatalf("--help: %v\n%s", err, errOut)
			}
			for _, c := range []string{"copy", "export", "import", "migrate", "run", "schema"} {
				if !listed(help, c) {
					t.Errorf("--help does not list %s:\n%s", c, help)
				}
			}
			// A usage error of the command itself when it is there; an
			// unknown command when it is not. Neither touches a database.
			for _, args := range [][]string{
				{"demo", "--users", "0"},
				{"bench", "migrate", "--docs", "0"},
			} {
				c := args[0]
				if got := listed(help, c); got != tc.dev {
					t.Errorf("--help lists %s: %v, want %v:\n%s", c, got, tc.dev, help)
				}
				_, errOut, err := tc.run(t, args...)
				if err == nil {
					t.Errorf("%s: no error", strings.Join(args, " "))
					continue
				}
				unknown := strings.Contains(errOut, `unknown command "`+c+`"`)
				if unknown == tc.dev {
					t.Errorf("%s: unknown command %v, want %v: %s", strings.Join(args, " "), unknown, !tc.dev, errOut)
				}
			}
		})
	}
}
