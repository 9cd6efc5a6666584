package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/storage/sqlite"
	"github.com/strata-db/strata/storage/storagetest"
)

func openAt(t testing.TB, url string) *sqlite.Backend {
	t.Helper()
	b, err := sqlite.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t testing.TB) storage.Backend {
		return openAt(t, "sqlite:"+filepath.Join(t.TempDir(), "conformance.db"))
	})
}

func TestRegisteredScheme(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "reg.db")
	b, err := storage.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.(*sqlite.Backend); !ok {
		t.Fatalf("storage.Open returned %T", b)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFormatVersionWritten(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f.db")
	b := openAt(t, "sqlite:"+path)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := rawDB(t, path).QueryRow(`SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != sqlite.FormatVersion {
		t.Fatalf("format = %d, want %d", v, sqlite.FormatVersion)
	}
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	// Reopening an up-to-date file keeps the data and the version.
	b = openAt(t, "sqlite:"+path)
	tx, err := b.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Put("t", []byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestDatabaseKey: a new file gets a random secret (storage.KeyHolder)
// that every later open reads back; another file gets another; a file of
// format 1, from before the secret, gets one by the upgrade, keeping its
// data.
func TestDatabaseKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyOf := func(path string) []byte {
		b := openAt(t, "sqlite:"+path)
		k := bytes.Clone(b.DatabaseKey())
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if len(k) != 32 || bytes.Equal(k, make([]byte, 32)) {
			t.Fatalf("%s: key %x, want 32 random bytes", path, k)
		}
		return k
	}
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	ka := keyOf(a)
	if again := keyOf(a); !bytes.Equal(again, ka) {
		t.Errorf("reopened: key %x, want %x", again, ka)
	}
	if kb := keyOf(b); bytes.Equal(kb, ka) {
		t.Error("two databases share a key")
	}
	// Back to format 1: no key rows.
	raw := rawDB(t, a)
	if _, err := raw.Exec(`INSERT INTO strata_documents (tbl, id, body) VALUES ('t', x'01', x'02')`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM strata_meta WHERE name LIKE 'key%'; UPDATE strata_meta SET value = 1 WHERE name = 'format'`); err != nil {
		t.Fatal(err)
	}
	if up := keyOf(a); bytes.Equal(up, ka) {
		t.Error("the upgrade did not make a new key")
	}
	var v, rows int
	if err := raw.QueryRow(`SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&v); err != nil || v != sqlite.FormatVersion {
		t.Fatalf("after upgrade: format %d, %v", v, err)
	}
	if err := raw.QueryRow(`SELECT count(*) FROM strata_documents`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("after upgrade: %d documents, %v", rows, err)
	}
}

func TestNewerFormatRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "newer.db")
	b := openAt(t, "sqlite:"+path)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`UPDATE strata_meta SET value = 7 WHERE name = 'format'`); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(context.Background(), "sqlite:"+path)
	if err == nil {
		t.Fatal("opened a file with a newer format")
	}
	msg := err.Error()
	for _, want := range []string{path, "format version 7", fmt.Sprintf("format version %d", sqlite.FormatVersion), "upgrade strata"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	// The refused open changed nothing.
	var v int
	if err := rawDB(t, path).QueryRow(`SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&v); err != nil || v != 7 {
		t.Fatalf("format after refused open = %d, %v", v, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is not a database ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ url, want string }{
		{"sqlite:", "empty path"},
		{"sqlite:" + dir + "/x.db?bogus=1", `unknown parameter "bogus"`},
		{"sqlite:" + dir + "/x.db?synchronous=sometimes", "synchronous"},
		{"sqlite:" + dir + "/x.db?busy_timeout=soon", "busy_timeout"},
		{"sqlite:" + dir + "/x.db?readers=0", "readers"},
		{"sqlite:" + dir + "/x.db?checkpoint_pages=0", "checkpoint_pages"},
		{"sqlite:" + dir + "/x.db?cache_mib=0", "cache_mib"},
		{"sqlite:" + dir + "/x.db?cache_mib=lots", "cache_mib"},
		{"sqlite:" + dir + "/x.db?checkpoint_pages=many", "checkpoint_pages"},
		{"sqlite::memory:", "file path"},
		{"sqlite:" + dir + "/missing/dir/x.db", dir + "/missing/dir/x.db"},
		{"sqlite:" + notDB, notDB},
	}
	for _, c := range cases {
		b, err := sqlite.Open(context.Background(), c.url)
		if err == nil {
			b.Close()
			t.Errorf("Open(%q): no error", c.url)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "sqlite: ") {
			t.Errorf("Open(%q) = %q, want an error starting with \"sqlite: \" mentioning %q", c.url, err, c.want)
		}
	}
}

func TestURLForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	b := openAt(t, "sqlite:rel.db?synchronous=full&busy_timeout=2s&readers=2&checkpoint_interval=100ms")
	if want := filepath.Join(dir, "rel.db"); b.Path() != want {
		t.Errorf("Path() = %q, want %q", b.Path(), want)
	}
	abs := filepath.Join(dir, "abs.db")
	b2 := openAt(t, "sqlite://"+abs)
	if b2.Path() != abs {
		t.Errorf("Path() = %q, want %q", b2.Path(), abs)
	}
}

func put(t testing.TB, b storage.Backend, table, id, body string) {
	t.Helper()
	if err := storagetest.Retry(context.Background(), b, true, func(tx storage.Tx) error {
		return tx.Put(table, []byte(id), []byte(body))
	}); err != nil {
		t.Fatal(err)
	}
}

func getBody(t testing.TB, b storage.Backend, table, id string) string {
	t.Helper()
	var out string
	if err := storagetest.Retry(context.Background(), b, false, func(tx storage.Tx) error {
		v, err := tx.Get(table, []byte(id))
		if errors.Is(err, storage.ErrNotFound) {
			out = "<missing>"
			return nil
		}
		out = string(v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTwoHandlesSameFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	b1 := openAt(t, "sqlite:"+path)
	b2 := openAt(t, "sqlite:"+path)
	put(t, b1, "t", "a", "from b1")
	if got := getBody(t, b2, "t", "a"); got != "from b1" {
		t.Fatalf("b2 reads %q", got)
	}
	put(t, b2, "t", "a", "from b2")
	if got := getBody(t, b1, "t", "a"); got != "from b2" {
		t.Fatalf("b1 reads %q", got)
	}
	// Concurrent increments through both handles: they serialize through
	// SQLite's lock and busy_timeout, and none is lost.
	const perHandle = 50
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, b := range []*sqlite.Backend{b1, b2, b1, b2} {
		wg.Go(func() {
			for range perHandle {
				err := storagetest.Retry(context.Background(), b, true, func(tx storage.Tx) error {
					v, err := tx.Get("t", []byte("n"))
					n := 0
					if err == nil {
						n, _ = strconv.Atoi(string(v))
					} else if !errors.Is(err, storage.ErrNotFound) {
						return err
					}
					return tx.Put("t", []byte("n"), []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := getBody(t, b2, "t", "n"); got != strconv.Itoa(4*perHandle) {
		t.Fatalf("counter = %s, want %d", got, 4*perHandle)
	}
}

func TestBusyIsConflict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	b := openAt(t, "sqlite:"+path+"?busy_timeout=50ms")
	// Another "process" holds the write lock.
	conn, err := rawDB(t, path).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = b.Begin(context.Background(), true)
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("Begin while another connection writes: %v, want ErrConflict", err)
	}
	if !strings.Contains(err.Error(), "locked") || !strings.HasPrefix(err.Error(), "sqlite: begin") {
		t.Errorf("error is not clear: %q", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("Begin gave up after %v, before busy_timeout", d)
	}
	// Reads still work, and the writer recovers once the lock is free.
	if got := getBody(t, b, "t", "x"); got != "<missing>" {
		t.Fatalf("read: %q", got)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "t", "x", "ok")
}

// TestOpenDoesNotTakeWriteLock: opening a database that exists and is
// current, and reading it, never waits for a writer holding the write
// lock; a write waits its turn (busy_timeout) and proceeds once the lock
// is free.
func TestOpenDoesNotTakeWriteLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "open.db")
	first := openAt(t, "sqlite:"+path)
	put(t, first, "t", "x", "before")
	// Another "process" holds the write lock, for longer than busy_timeout.
	conn, err := rawDB(t, path).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	b, err := sqlite.Open(context.Background(), "sqlite:"+path+"?busy_timeout=100ms")
	if err != nil {
		t.Fatalf("Open while another connection holds the write lock: %v", err)
	}
	defer b.Close()
	if got := getBody(t, b, "t", "x"); got != "before" {
		t.Fatalf("read while another connection writes: %q", got)
	}
	if _, err := b.Begin(context.Background(), true); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("write Begin past busy_timeout: %v, want ErrConflict", err)
	}
	// Once the lock is free, the write proceeds.
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "t", "x", "after")
	if got := getBody(t, first, "t", "x"); got != "after" {
		t.Fatalf("first handle reads %q", got)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "close.db")
	b, err := sqlite.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("t", []byte("a"), []byte("uncommitted")); err != nil {
		t.Fatal(err)
	}
	r, err := b.Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for name, tx := range map[string]storage.Tx{"write": w, "read": r} {
		_, err := tx.Get("t", []byte("a"))
		if !errors.Is(err, storage.ErrClosed) || !errors.Is(err, storage.ErrTxDone) {
			t.Errorf("%s tx after Close: %v, want ErrClosed and ErrTxDone", name, err)
		}
		if err := tx.Commit(); !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s Commit after Close: %v, want ErrClosed", name, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Errorf("%s Rollback after Close: %v", name, err)
		}
	}
	for _, writable := range []bool{true, false} {
		if _, err := b.Begin(context.Background(), writable); !errors.Is(err, storage.ErrClosed) {
			t.Errorf("Begin(writable=%v) after Close: %v, want ErrClosed", writable, err)
		}
	}
	// The aborted write left nothing.
	b2 := openAt(t, "sqlite:"+path)
	if got := getBody(t, b2, "t", "a"); got != "<missing>" {
		t.Fatalf("aborted write is visible: %q", got)
	}
}

func TestCloseWakesQueuedWriters(t *testing.T) {
	b, err := sqlite.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	done := make(chan error)
	go func() {
		_, err := b.Begin(context.Background(), true)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, storage.ErrClosed) {
			t.Fatalf("queued Begin: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a queued writer was not woken by Close")
	}
}

func TestContextCancelMidTransaction(t *testing.T) {
	t.Parallel()
	b := openAt(t, "sqlite:"+filepath.Join(t.TempDir(), "cancel.db"))
	ctx, cancel := context.WithCancel(context.Background())
	tx, err := b.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Put("t", []byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := tx.Put("t", []byte("b"), []byte("2")); err == nil {
		t.Fatal("Put after cancel: no error")
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("Commit after a failed statement: no error")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := getBody(t, b, "t", "a"); got != "<missing>" {
		t.Fatalf("a canceled transaction committed: %q", got)
	}
	// The write connection is usable again.
	put(t, b, "t", "c", "3")
	if got := getBody(t, b, "t", "c"); got != "3" {
		t.Fatalf("after recovery: %q", got)
	}
}

func TestWaitForWriteQueueHonorsContext(t *testing.T) {
	t.Parallel()
	b := openAt(t, "sqlite:"+filepath.Join(t.TempDir(), "wq.db"))
	w, err := b.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := b.Begin(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Begin behind an open writer: %v, want DeadlineExceeded", err)
	}
}

func TestBackgroundCheckpoint(t *testing.T) {
	cases := []struct {
		name     string
		interval string
		rows     int
		bodySize int
		minSize  int64
	}{
		// The timer fires.
		{"timer", "20ms", 1000, 100, 100_000},
		// More than checkpoint_pages pages wake the checkpointer at once.
		{"pages", "1h&checkpoint_pages=1000", 3000, 2000, 6_000_000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ckpt.db")
			b := openAt(t, "sqlite:"+path+"?checkpoint_interval="+c.interval)
			if err := storagetest.Retry(context.Background(), b, true, func(tx storage.Tx) error {
				for i := range c.rows {
					if err := tx.Put("t", []byte(strconv.Itoa(i)), []byte(strings.Repeat("x", c.bodySize))); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			// Automatic checkpoints are off; the background checkpointer
			// copies the WAL into the database file soon after.
			deadline := time.Now().Add(5 * time.Second)
			for {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() >= c.minSize {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("database file is %d bytes: the WAL was not checkpointed", fi.Size())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
