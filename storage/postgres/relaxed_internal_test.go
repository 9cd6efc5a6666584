package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata/internal/pgtest"
)

// TestRelaxedTurnsOffSynchronousCommit: a relaxed transaction runs with
// synchronous_commit off, an ordinary one with the server's setting, and
// the setting does not outlive the transaction on its pooled connection.
func TestRelaxedTurnsOffSynchronousCommit(t *testing.T) {
	ctx := context.Background()
	// Ordinary commits are synchronous (pgtest turns them off by default).
	b, err := Open(ctx, pgtest.WithParam(pgtest.URL(t), "synchronous_commit", "on"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	setting := func(tx *tx) string {
		t.Helper()
		var v string
		err := tx.query("show", "SHOW synchronous_commit", nil, func(rows pgx.Rows) error {
			for rows.Next() {
				if err := rows.Scan(&v); err != nil {
					return err
				}
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		relaxed bool
		want    string
	}{{true, "off"}, {false, "on"}, {true, "off"}, {false, "on"}} {
		var st any
		if c.relaxed {
			st, err = b.BeginRelaxed(ctx)
		} else {
			st, err = b.Begin(ctx, true)
		}
		if err != nil {
			t.Fatal(err)
		}
		x := st.(*tx)
		if err := x.Put("t", []byte("a"), []byte("b")); err != nil {
			t.Fatal(err)
		}
		if got := setting(x); got != c.want {
			t.Errorf("relaxed %v: synchronous_commit = %s, want %s", c.relaxed, got, c.want)
		}
		if err := x.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}
