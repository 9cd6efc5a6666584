package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/strata-db/strata/cli"
)

// TestImportSources: an import reads the stream it is given from where
// the stream stands, and can read it again on a retry whatever it is: a
// named pipe (as <(cmd) gives) is spooled like a pipe on standard input,
// and standard input that is a file read part-way (`{ read hdr; strata
// import users -; } < f`) is imported from its current offset, not from
// the start of the file.
func TestImportSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lines := "{\"name\":\"a\"}\n{\"name\":\"b\"}\n{\"name\":\"c\"}\n"

	t.Run("named pipe", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("SKIPPED: no named pipes here: %v", err)
		}
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			f.WriteString(lines)
			f.Close()
		}()
		db := "sqlite:" + filepath.Join(dir, "fifo.db")
		var out, errOut bytes.Buffer
		if err := cli.Run(context.Background(), []string{"--db", db, "import", "users", fifo}, &out, &errOut); err != nil {
			t.Fatalf("import from a named pipe: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(out.String(), "imported 3 document(s)") {
			t.Errorf("import from a named pipe: %q", out.String())
		}
	})

	t.Run("stdin part-read", func(t *testing.T) {
		src := filepath.Join(dir, "users.jsonl")
		if err := os.WriteFile(src, []byte("{\"header\":true}\n"+lines), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Seek(int64(len("{\"header\":true}\n")), 0); err != nil {
			t.Fatal(err)
		}
		db := "sqlite:" + filepath.Join(dir, "stdin.db")
		enc, err := json.Marshal([]string{"--db", db, "import", "users", "-"})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(enc))
		cmd.Stdin = f // the child's standard input is this file, at this offset
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "imported 3 document(s)") {
			t.Errorf("import of standard input read part-way: %q (want the 3 lines after the header)", out)
		}
	})
}
