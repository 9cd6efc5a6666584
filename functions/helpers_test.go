package functions_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/functions/internal/jobproc"
	"github.com/strata-db/strata/internal/pgtest"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

var quiet = slog.New(slog.DiscardHandler)

// TestMain runs the tests through pgtest, or, with JOBPROC=1 in the
// environment, runs the binary as the helper application of the
// multi-process tests (helperCmd): the strata command line with
// jobproc.App's functions.
func TestMain(m *testing.M) {
	if os.Getenv(jobprocEnv) == "1" {
		cli.MainWith(jobproc.App()) // exits 1 on an error
		os.Exit(0)
	}
	pgtest.Main(m)
}

// backend names a storage backend tests run on.
type backend string

const (
	sqliteBackend   backend = "sqlite"
	postgresBackend backend = "postgres"
	// sqliteFull is SQLite with its default synchronous=full (each
	// commit synced to disk), for benchmarks; tests use synchronous=normal.
	sqliteFull backend = "sqlite-full"
)

// eachBackend runs fn as parallel subtests on SQLite and on PostgreSQL
// (skipped, loudly, when no PostgreSQL server is available); each opens
// its own database (dbURL).
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range []backend{sqliteBackend, postgresBackend} {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// dbURL returns the URL of a fresh, empty database on b.
func dbURL(t testing.TB, b backend) string {
	t.Helper()
	switch b {
	case postgresBackend:
		return pgtest.URL(t)
	case sqliteFull:
		return "sqlite:" + filepath.Join(t.TempDir(), "fn.db")
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "fn.db") + "?synchronous=normal"
}

// openDB opens a fresh database on b.
func openDB(t testing.TB, b backend) (*strata.DB, string) {
	t.Helper()
	url := dbURL(t, b)
	db, err := strata.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

func mutate(t testing.TB, db *strata.DB, fn func(tx *strata.Tx) error) {
	t.Helper()
	if err := db.Mutation(context.Background(), fn); err != nil {
		t.Fatalf("mutation: %v", err)
	}
}

// startWorker starts a worker that is stopped when the test ends.
func startWorker(t testing.TB, app *functions.App, db *strata.DB, opts functions.WorkerOptions) *functions.Worker {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	w, err := app.StartWorker(context.Background(), db, opts)
	if err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Stop(context.Background()); err != nil {
			t.Errorf("stop worker: %v", err)
		}
	})
	return w
}

// waitJobs waits until no job of db is pending and returns all jobs. It
// polls: tests wait for outcomes, they do not assert timings.
func waitJobs(t testing.TB, db *strata.DB, timeout time.Duration) []functions.Job {
	t.Helper()
	return waitPending(t, db, 0, timeout)
}

// waitPending waits until at most left jobs of db are pending.
func waitPending(t testing.TB, db *strata.DB, left int, timeout time.Duration) []functions.Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		jobs, err := functions.ListJobs(context.Background(), db)
		if err != nil {
			t.Fatalf("list jobs: %v", err)
		}
		pending := 0
		for _, j := range jobs {
			if j.State == functions.StatePending {
				pending++
			}
		}
		if pending <= left {
			return jobs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs still pending after %v", pending, len(jobs), timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func jobByID(t testing.TB, db *strata.DB, id strata.ID) functions.Job {
	t.Helper()
	var j functions.Job
	err := db.Query(context.Background(), func(tx *strata.Tx) error {
		var err error
		j, err = functions.GetJob(tx, id)
		return err
	})
	if err != nil {
		t.Fatalf("get job %s: %v", id, err)
	}
	return j
}
