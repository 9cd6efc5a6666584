package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/internal/pgtest"
)

// childEnv, when set to a JSON array of arguments, makes the test binary
// run the command line with them and exit: a fresh process whose peak
// memory is the command's own.
const childEnv = "STRATA_CLI_TEST_CHILD"

func childMain(args string) int {
	var a []string
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err := cli.Run(context.Background(), a, os.Stdout, os.Stderr)
	if p := os.Getenv(childHeapEnv); p != "" {
		// HeapSys only grows: it is the Go heap's high-water mark.
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = os.WriteFile(p, []byte(strconv.FormatUint(ms.HeapSys, 10)), 0o644)
	}
	if err != nil {
		return 1
	}
	return 0
}

// childHeapEnv names a file where the child writes its peak Go heap.
const childHeapEnv = "STRATA_CLI_TEST_CHILD_HEAP"

// usage is the peak memory of a child process.
type usage struct {
	rss  int64 // peak resident set size
	heap int64 // peak Go heap (runtime.MemStats.HeapSys)
}

// runChild runs the command line in a new process and returns its
// stdout and peak memory.
func runChild(t *testing.T, stdin []byte, args ...string) (string, usage) {
	t.Helper()
	enc, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	heapFile := filepath.Join(t.TempDir(), "heap")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(enc), childHeapEnv+"="+heapFile)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin) // a pipe: it cannot seek
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("strata %v: %v\n%s", args, err, errOut.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("SKIPPED: no rusage on this system to measure peak memory")
	}
	heap, err := os.ReadFile(heapFile)
	if err != nil {
		t.Fatal(err)
	}
	h, err := strconv.ParseInt(string(heap), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), usage{rss: ru.Maxrss << 10, heap: h} // Maxrss: kilobytes on Linux
}

// writeUsers writes n JSON lines of users of about 100 bytes each.
func writeUsers(t testing.TB, path string, n int, last string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bytes.NewBuffer(make([]byte, 0, 1<<20))
	for i := range n {
		fmt.Fprintf(w, "{\"name\":\"user %08d %s\",\"age\":{\"$integer\":\"%d\"}}\n", i, strings.Repeat("y", 48), i)
		if w.Len() > 1<<20 {
			if _, err := f.Write(w.Bytes()); err != nil {
				t.Fatal(err)
			}
			w.Reset()
		}
	}
	w.WriteString(last)
	if _, err := f.Write(w.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestImportMemoryFlat imports a file of N lines and one of 4N lines, each
// in a new process, on both backends: the larger file must not take
// proportionally more memory (reading the whole file first took about 25
// bytes of memory per byte of file). The Go heap must stay flat; the
// resident set may also grow by what the SQLite page cache takes as the
// transaction writes pages (64 MiB of pages, about twice that as
// allocated), a bound independent of the file.
func TestImportMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 50,000 documents")
	}
	t.Parallel() // the imports run in child processes, measured there
	const n = 10_000
	dir := t.TempDir()
	small, large := filepath.Join(dir, "small.jsonl"), filepath.Join(dir, "large.jsonl")
	writeUsers(t, small, n, "")
	writeUsers(t, large, 4*n, "")
	st, err := os.Stat(large)
	if err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(dir, "s.json")
	if err := os.WriteFile(schemaFile, []byte(usersSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			fresh := func() string {
				if backend == "postgres" {
					return pgtest.URL(t)
				}
				return "sqlite:" + filepath.Join(t.TempDir(), "x.db")
			}
			measure := func(file string, lines int) usage {
				db := fresh()
				runChild(t, nil, "--db", db, "schema", "set", schemaFile)
				out, u := runChild(t, nil, "--db", db, "import", "users", file)
				if !strings.Contains(out, fmt.Sprintf("imported %d document(s)", lines)) {
					t.Fatalf("import: %q", out)
				}
				return u
			}
			u1 := measure(small, n)
			u4 := measure(large, 4*n)
			t.Logf("%s: %d lines: peak RSS %.1f MiB, Go heap %.1f MiB; %d lines (%.1f MiB file): peak RSS %.1f MiB, Go heap %.1f MiB",
				backend, n, mib(u1.rss), mib(u1.heap), 4*n, mib(st.Size()), mib(u4.rss), mib(u4.heap))
			// Reading the whole file first took 25 times the file: over
			// 100 MiB more for the larger one. 16 MiB absorbs the
			// garbage collector's pacing.
			const slack = 16 << 20
			if g := u4.heap - u1.heap; g > slack {
				t.Errorf("importing 4x the lines took %.1f MiB more Go heap (limit %.1f MiB): the import does not stream", mib(g), mib(slack))
			}
			limit := int64(slack)
			if backend == "sqlite" {
				limit += 128 << 20
			}
			if g := u4.rss - u1.rss; g > limit {
				t.Errorf("importing 4x the lines took %.1f MiB more memory (limit %.1f MiB): the import does not stream", mib(g), mib(limit))
			}
		})
	}
}

// TestImportAllOrNothing imports files whose last line is bad, in every
// way a line can be, on both backends: the error names the line and the
// table is untouched. Standard input that is a pipe imports too.
func TestImportAllOrNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	schemaFile := filepath.Join(dir, "s.json")
	if err := os.WriteFile(schemaFile, []byte(usersSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	bad := []struct{ name, line, want string }{
		{"not JSON", "{nope\n", ":3002:"},
		{"validator", "{\"name\":7}\n", ":3002:"},
		{"other table", "{\"_table\":\"posts\",\"name\":\"x\"}\n", ":3002: line belongs to table posts"},
		{"duplicate _id", "", ":3002:"}, // filled in below
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
			if backend == "postgres" {
				db = pgtest.URL(t)
			}
			var out, errOut bytes.Buffer
			if err := runCLI(db, &out, &errOut, "schema", "set", schemaFile); err != nil {
				t.Fatal(err, errOut.String())
			}
			if err := runCLI(db, &out, &errOut, "import", "users", writeFile(t, "{\"name\":\"first\"}\n")); err != nil {
				t.Fatal(err, errOut.String())
			}
			before := exportOf(t, db)
			firstID := before[strings.Index(before, `"_id":"`)+7:]
			firstID = firstID[:strings.Index(firstID, `"`)]
			for _, c := range bad {
				line := c.line
				if line == "" {
					line = fmt.Sprintf("{\"_id\":%q,\"name\":\"again\"}\n", firstID)
				}
				file := filepath.Join(t.TempDir(), "bad.jsonl")
				writeUsers(t, file, n, "\n"+line) // line n+1 is empty: the bad one is n+2
				err := runCLI(db, &out, &errOut, "import", "users", file)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: import of a file whose line %d is bad: %v", c.name, n+2, err)
				}
				if got := exportOf(t, db); got != before {
					t.Fatalf("%s: a failed import changed the table", c.name)
				}
			}
			// A pipe on standard input is read (and re-read on a retry)
			// like a file.
			out2, _ := runChild(t, []byte("{\"name\":\"piped\"}\n{\"name\":\"piped too\"}\n"), "--db", db, "import", "users", "-")
			if !strings.Contains(out2, "imported 2 document(s)") {
				t.Errorf("import from a pipe: %q", out2)
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.jsonl")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
