package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/storage/postgres"
	"github.com/strata-db/strata/storage/storagetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" { // a child process of TestMultiProcessCounters
		os.Exit(counterHelper())
	}
	if os.Getenv(clockHelperEnv) != "" { // a child process of TestClockManyProcesses
		os.Exit(clockHelper())
	}
	pgtest.Main(m)
}

func openAt(t testing.TB, url string) *postgres.Backend {
	t.Helper()
	b, err := postgres.Open(context.Background(), url)
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
		return openAt(t, pgtest.URL(t))
	})
}

func TestRegisteredScheme(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	for _, u := range []string{url, "postgresql" + strings.TrimPrefix(url, "postgres")} {
		b, err := storage.Open(context.Background(), u)
		if err != nil {
			t.Fatalf("storage.Open(%q): %v", u, err)
		}
		if _, ok := b.(*postgres.Backend); !ok {
			t.Fatalf("storage.Open returned %T", b)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
}

func rawConn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestFormatVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	b := openAt(t, url)
	b.Close()
	c := rawConn(t, url)
	var v int
	if err := c.QueryRow(ctx, `SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != postgres.FormatVersion {
		t.Fatalf("format = %d, want %d", v, postgres.FormatVersion)
	}
	// A newer format is refused with both versions named.
	if _, err := c.Exec(ctx, `UPDATE strata_meta SET value = 99 WHERE name = 'format'`); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(ctx, url)
	if err == nil || !strings.Contains(err.Error(), "format version 99 is newer") || !strings.Contains(err.Error(), "upgrade strata") {
		t.Fatalf("open of a newer format: %v", err)
	}
	// An older format (0: no strata tables but a meta row) is upgraded.
	if _, err := c.Exec(ctx, `DROP TABLE strata_documents, strata_index, strata_clock; UPDATE strata_meta SET value = 0`); err != nil {
		t.Fatal(err)
	}
	b = openAt(t, url)
	update(t, b, func(tx storage.Tx) error { return tx.Put("t", []byte("a"), []byte("b")) })
	if err := c.QueryRow(ctx, `SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&v); err != nil || v != postgres.FormatVersion {
		t.Fatalf("after upgrade: format %d, %v", v, err)
	}
}

// TestDatabaseKey: a new database gets a random secret
// (storage.KeyHolder) that every later open reads back; another database
// gets another; a database of format 1, from before the secret, gets one
// by the upgrade.
func TestDatabaseKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyOf := func(url string) []byte {
		b := openAt(t, url)
		k := bytes.Clone(b.DatabaseKey())
		b.Close()
		if len(k) != 32 || bytes.Equal(k, make([]byte, 32)) {
			t.Fatalf("key %x, want 32 random bytes", k)
		}
		return k
	}
	a := pgtest.URL(t)
	ka := keyOf(a)
	if again := keyOf(a); !bytes.Equal(again, ka) {
		t.Errorf("reopened: key %x, want %x", again, ka)
	}
	if kb := keyOf(pgtest.URL(t)); bytes.Equal(kb, ka) {
		t.Error("two databases share a key")
	}
	c := rawConn(t, a)
	if _, err := c.Exec(ctx, `DELETE FROM strata_meta WHERE name LIKE 'key%'; UPDATE strata_meta SET value = 1 WHERE name = 'format'`); err != nil {
		t.Fatal(err)
	}
	if up := keyOf(a); bytes.Equal(up, ka) {
		t.Error("the upgrade did not make a new key")
	}
	var v int
	if err := c.QueryRow(ctx, `SELECT value FROM strata_meta WHERE name = 'format'`).Scan(&v); err != nil || v != postgres.FormatVersion {
		t.Fatalf("after upgrade: format %d, %v", v, err)
	}
}

// TestConcurrentOpen opens one fresh database from many goroutines at
// once: creating the tables races and every open must still succeed.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			b, err := postgres.Open(context.Background(), url)
			if err == nil {
				err = b.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func update(t testing.TB, b storage.Backend, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := storagetest.Retry(context.Background(), b, true, fn); err != nil {
		t.Fatal(err)
	}
}

func TestBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"postgres://x@127.0.0.1:1/db?statement_timeout=soon",
		"mysql://x",
		"postgres://x@127.0.0.1:1/db?pool_max_conns=zero",
	} {
		if b, err := postgres.Open(context.Background(), u); err == nil {
			b.Close()
			t.Errorf("Open(%q): no error", u)
		} else {
			t.Logf("%s: %v", u, err)
		}
	}
}

func TestCloseAbortsOpenTransactions(t *testing.T) {
	t.Parallel()
	b, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("t", []byte("a"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, err := b.Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tx := range []storage.Tx{w, r} {
		if _, err := tx.Get("t", []byte("a")); !errors.Is(err, storage.ErrTxDone) || !errors.Is(err, storage.ErrClosed) {
			t.Errorf("Get after Close: %v", err)
		}
	}
	if _, err := b.Begin(context.Background(), false); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Begin after Close: %v", err)
	}
}
