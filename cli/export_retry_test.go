package cli_test

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/internal/pgtest"
)

// TestExportNeverWritesADocumentTwice: an export's snapshot that fails
// with a conflict after part of the export reached the output (here: a
// PostgreSQL server out of lock memory, SQLSTATE 53200, which is retried
// like a serialization failure) ends the export with an error that says to
// run it again, instead of taking a new snapshot and writing the first
// documents a second time.
func TestExportNeverWritesADocumentTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Room for the locks of a page or two of the export (pages of 512
	// documents; about 1,500 locks), not for those of the whole table.
	settings := maps.Clone(pgtest.TinyPredicateLocks)
	settings["max_connections"] = "120"
	srv := pgtest.StartServer(t, pgtest.Options{Settings: settings})
	db, err := strata.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 4000)
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range 4000 {
			if _, err := tx.Insert("items", strata.Doc{"n": int64(i), "pad": pad}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A serializable read-write transaction stays open: the export's
	// read-only snapshot is then not safe, so it locks what it reads, and
	// 4000 documents are more than the server can lock.
	c, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	// Fresh statistics: the export's pages are then read in index order,
	// locking what each page reads, not the whole table at once.
	if _, err := c.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT count(*) FROM strata_meta"); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = cli.Run(ctx, []string{"--db", srv.URL, "export", "items"}, &out, &errOut)
	if err == nil {
		t.Fatalf("export succeeded: the test server did not run out of lock memory")
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		if seen[line] {
			t.Fatalf("export wrote a document twice: %.80s...", line)
		}
		seen[line] = true
	}
	if !strings.Contains(errOut.String(), "run the export again") {
		t.Errorf("error does not say to run the export again: %s", errOut.String())
	}
	t.Logf("%d documents written before the error: %s", len(seen), strings.TrimSpace(errOut.String()))
}
