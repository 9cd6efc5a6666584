package backfill_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/examples/backfill"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/internal/pgtest"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestBackfillAvatarURL runs the seed's self-scheduling backfill over a
// 10,000-document table to completion, on SQLite and PostgreSQL.
func TestBackfillAvatarURL(t *testing.T) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "app.db") + "?synchronous=normal"
			if b == "postgres" {
				url = pgtest.URL(t)
			}
			testBackfill(t, url)
		})
	}
}

func testBackfill(t *testing.T, url string) {
	ctx := context.Background()
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := backfill.SetUp(ctx, db); err != nil {
		t.Fatal(err)
	}
	app := functions.NewApp()
	backfill.Register(app)
	const n = 10000
	if _, err := app.Call(ctx, db, "users:seed", map[string]any{"count": int64(n)}); err != nil {
		t.Fatal(err)
	}
	w, err := app.StartWorker(ctx, db, functions.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(ctx)
	first, err := app.Call(ctx, db, "migrations:backfillAvatarUrl", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := first.(map[string]any); m["hasMore"] != true {
		t.Fatalf("first batch: %v", first)
	}
	// Wait for the chain of scheduled batches to finish.
	var jobs []functions.Job
	deadline := time.Now().Add(60 * time.Second)
	for {
		jobs, err = functions.ListJobs(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) > 0 && jobs[len(jobs)-1].State.Final() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backfill did not finish: %d jobs, last %+v", len(jobs), jobs[len(jobs)-1])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if want := n/backfill.BatchSize - 1; len(jobs) != want {
		t.Errorf("%d scheduled batches, want %d", len(jobs), want)
	}
	processed := first.(map[string]any)["processed"].(int64)
	for i, j := range jobs {
		if j.State != functions.StateSuccess {
			t.Fatalf("batch %d: %+v", i, j)
		}
		r := j.Result.(map[string]any)
		processed += r["processed"].(int64)
		if last := i == len(jobs)-1; r["hasMore"] == last {
			t.Errorf("batch %d of %d: hasMore = %v", i, len(jobs), r["hasMore"])
		}
	}
	custom := 0
	err = db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(u strata.Doc) error {
			a := u.StringOr("avatarUrl", "")
			switch {
			case strings.HasPrefix(a, "https://example.com/custom/"):
				custom++
			case a != backfill.DefaultAvatar(u.StringOr("name", "")):
				t.Fatalf("user %v: avatarUrl %q", u.ID(), a)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (n + 2) / 3; custom != want {
		t.Errorf("%d users kept their own avatarUrl, want %d", custom, want)
	}
	if processed != int64(n-custom) {
		t.Errorf("processed %d, want %d", processed, n-custom)
	}
}
