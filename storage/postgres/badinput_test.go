package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/storage/postgres"
)

// TestOpenErrors checks that each way of failing to reach a database
// says what happened.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := pgtest.StartServer(t, pgtest.Options{PasswordUser: "app", Password: "right"})
	cases := []struct {
		name, url string
		want      []string
	}{
		{"unreachable", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", closedPort),
			[]string{"cannot connect", "unreachable"}},
		{"wrong password", fmt.Sprintf("postgres://app:wrong@127.0.0.1:%d/postgres?sslmode=disable", srv.Port),
			[]string{"cannot connect", "authentication failed", "xxxxx"}},
		{"wrong password parameter", fmt.Sprintf("postgres://app@127.0.0.1:%d/postgres?sslmode=disable&password=wrong", srv.Port),
			[]string{"cannot connect", "authentication failed", "password=xxxxx"}},
		{"unparsable URL", fmt.Sprintf("postgres://app:wrong@[::1:%d/postgres", srv.Port),
			[]string{"bad URL", "xxxxx"}},
		{"key=value string", fmt.Sprintf("host=127.0.0.1 port=%d user=app password=wrong dbname=postgres", srv.Port),
			[]string{"postgres://"}},
		{"missing database", pgtest.WithDatabase(srv.URL, "no_such_database"),
			[]string{"cannot connect", "database does not exist"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := postgres.Open(context.Background(), c.url)
			if err == nil {
				b.Close()
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "wrong") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	// The right password works.
	b := openAt(t, fmt.Sprintf("postgres://app:right@127.0.0.1:%d/postgres?sslmode=disable", srv.Port))
	update(t, b, func(tx storage.Tx) error { return tx.Put("t", []byte("a"), []byte("b")) })
}

// TestSessionTerminatedMidTransaction ends the server session of an open
// write transaction (as a restart or failover does): the transaction fails
// with an error saying so, nothing of it is visible, and the backend
// carries on with new connections.
func TestSessionTerminatedMidTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.WithParam(pgtest.URL(t), "application_name", "strata-terminate-test")
	b := openAt(t, url)
	update(t, b, func(tx storage.Tx) error { return tx.Put("t", []byte("keep"), []byte("1")) })
	for _, flushed := range []bool{false, true} {
		tx, err := b.Begin(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Get("t", []byte("keep")); err != nil { // BEGIN is sent
			t.Fatal(err)
		}
		must(t, tx.Put("t", []byte("keep"), []byte("changed")))
		must(t, tx.Put("t", []byte("new"), []byte("x")))
		if flushed { // the writes reach the server
			if _, err := tx.Scan(storage.ScanRequest{Table: "t", Index: "i"}); err != nil {
				t.Fatal(err)
			}
		}
		admin := rawConn(t, pgtest.AdminURL(t))
		var n int
		err = admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity
			WHERE application_name = 'strata-terminate-test' AND state LIKE 'idle in transaction%'`).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("terminated %d sessions, want 1: %v", n, err)
		}
		err = tx.Commit() // the session is gone: pg_terminate_backend waited for it

		if err == nil {
			t.Fatal("Commit after the session was terminated: no error")
		}
		if errors.Is(err, storage.ErrConflict) {
			t.Errorf("a terminated session is reported as a conflict: %v", err)
		}
		if !strings.Contains(err.Error(), "server ended the session") && !strings.Contains(err.Error(), "connection to the server was lost") {
			t.Errorf("commit error does not say the session ended: %v", err)
		}
		if !strings.Contains(err.Error(), "nothing was committed") {
			t.Errorf("commit error does not say nothing was committed: %v", err)
		}
		t.Logf("flushed=%v: %v", flushed, err)
		r, err := b.Begin(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.Get("t", []byte("keep")); err != nil || string(got) != "1" {
			t.Errorf("after the failed commit: %q, %v", got, err)
		}
		if _, err := r.Get("t", []byte("new")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a write of the failed transaction is visible: %v", err)
		}
		must(t, r.Rollback())
	}
}

// TestStatementTimeout sets statement_timeout in the URL and blocks a
// write behind a lock held by another session.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	base := pgtest.URL(t)
	// Create the tables without the timeout, which a loaded machine could
	// exceed; then reopen with it.
	update(t, openAt(t, base), func(tx storage.Tx) error { return tx.Put("t", []byte("a"), []byte("1")) })
	b := openAt(t, pgtest.WithParam(base, "statement_timeout", "1s"))
	locker := rawConn(t, base)
	if _, err := locker.Exec(ctx, "BEGIN; SELECT * FROM strata_documents FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	defer locker.Exec(ctx, "ROLLBACK")
	tx, err := b.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	must(t, tx.Put("t", []byte("a"), []byte("2")))
	start := time.Now()
	err = tx.Commit()
	if err == nil || !strings.Contains(err.Error(), "statement timeout exceeded") {
		t.Fatalf("Commit blocked past statement_timeout: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("timeout took %v", d)
	}
	t.Log(err)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
