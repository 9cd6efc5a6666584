package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallDisk mounts a tmpfs of size bytes on a new directory and unmounts
// it when t ends. It skips t, saying why, when that is not possible (not
// root, no mount permission, not Linux).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: a full disk is simulated with a small tmpfs mount, which needs root")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: cannot mount a tmpfs to simulate a full disk: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// freeBytes returns the space left on the file system holding dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// fill writes a file of n bytes into dir.
func fill(t *testing.T, dir string, n int64) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for n > 0 {
		w := min(n, int64(len(chunk)))
		if _, err := f.Write(chunk[:w]); err != nil {
			t.Fatal(err)
		}
		n -= w
	}
}

// TestCommittedWorkSucceedsOnFullDisk imports into a SQLite database on a
// disk with room for the import's write-ahead log but not for the
// checkpoint that copies it into the database file: the import commits,
// so it exits 0 and says so, with the failed checkpoint as a warning on
// stderr; read-only commands afterwards print everything and exit 0
// likewise; nothing was lost.
func TestCommittedWorkSucceedsOnFullDisk(t *testing.T) {
	t.Parallel()
	disk := smallDisk(t, 16<<20)
	var lines strings.Builder
	const n = 3000
	for i := range n {
		fmt.Fprintf(&lines, "{\"name\":\"user %05d %s\"}\n", i, strings.Repeat("x", 200))
	}
	data := filepath.Join(t.TempDir(), "users.jsonl") // not on the small disk
	if err := os.WriteFile(data, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(schemaFile, []byte(usersSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	newDB := func(name string) *env {
		e := &env{t: t, dir: disk, db: "sqlite:" + filepath.Join(disk, name)}
		e.ok("schema", "set", schemaFile)
		return e
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	// A trial import on the roomy disk measures how much the database
	// file grows when the import is checkpointed into it.
	trial := newDB("trial.db")
	before := size(filepath.Join(disk, "trial.db"))
	trial.ok("import", "users", data)
	growth := size(filepath.Join(disk, "trial.db")) - before
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(disk, "trial.db"+suffix))
	}
	if growth < 512<<10 {
		t.Fatalf("the trial import grew the file by only %d bytes", growth)
	}

	e := newDB("full.db")
	// Leave room for the log of the import (about growth) and half as
	// much again: not for the checkpoint's copy of it into the file.
	fill(t, disk, freeBytes(t, disk)-growth*3/2)

	out, errOut, err := e.run("import", "users", data)
	if err != nil {
		t.Fatalf("import whose commit succeeded failed: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, fmt.Sprintf("imported %d document(s)", n)) {
		t.Errorf("import output: %q", out)
	}
	if !strings.Contains(errOut, "strata: warning:") || !strings.Contains(errOut, "checkpoint") {
		t.Errorf("the failed checkpoint is not a warning on stderr: %q", errOut)
	}
	for _, args := range [][]string{{"export", "users"}, {"data", "users", "--limit", "5000", "--json"}} {
		out, errOut, err := e.run(args...)
		if err != nil {
			t.Fatalf("strata %v after a failed checkpoint: %v\n%s", args, err, errOut)
		}
		if got := strings.Count(out, `"user `); got != n {
			t.Errorf("strata %v printed %d documents, want %d", args, got, n)
		}
		if !strings.Contains(errOut, "strata: warning:") {
			t.Errorf("strata %v: no warning for the failed checkpoint: %q", args, errOut)
		}
	}
	// Once there is room again, everything is there and checkpoints.
	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	out = e.ok("export", "users")
	if got := strings.Count(out, `"user `); got != n {
		t.Errorf("export with room again: %d documents, want %d", got, n)
	}
}
