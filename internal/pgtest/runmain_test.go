package pgtest_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/pgtest"
)

// childEnv, set to 1, makes TestReportAsChild report what a test binary run
// through Main sees.
const childEnv = "PGTEST_MAIN_CHILD"

// TestReportAsChild, in a child started by TestRunThroughMain, creates a
// SharedDir holding a file and prints its path and -test.parallel.
func TestReportAsChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("runs in a child process of TestRunThroughMain")
	}
	dir, err := pgtest.SharedDir("pgtest-child-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "helper"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("dir=%s\nparallel=%s\n", dir, flag.Lookup("test.parallel").Value)
}

// TestRunThroughMain runs the test binary through Main in a child process:
// a SharedDir and its files are gone when the binary ends, and
// -test.parallel is ParallelPerCPU × GOMAXPROCS unless the command line
// sets it.
func TestRunThroughMain(t *testing.T) {
	t.Parallel()
	procs := runtime.GOMAXPROCS(0)
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"default", nil, pgtest.ParallelPerCPU * procs},
		{"given", []string{"-test.parallel=1"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-test.run=^TestReportAsChild$", "-test.v"}, tc.args...)
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), childEnv+"=1", "GOMAXPROCS="+strconv.Itoa(procs))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var dir, parallel string
			for l := range strings.Lines(string(out)) {
				l = strings.TrimSpace(l)
				if v, ok := strings.CutPrefix(l, "dir="); ok {
					dir = v
				}
				if v, ok := strings.CutPrefix(l, "parallel="); ok {
					parallel = v
				}
			}
			if dir == "" {
				t.Fatalf("the child printed no directory:\n%s", out)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				os.RemoveAll(dir)
				t.Errorf("the shared directory %s outlived the test binary (stat: %v)", dir, err)
			}
			if parallel != strconv.Itoa(tc.want) {
				t.Errorf("-test.parallel = %q, want %d", parallel, tc.want)
			}
		})
	}
}
