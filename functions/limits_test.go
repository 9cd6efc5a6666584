package functions_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"
)

// TestLimitNamesFunction: a query or mutation that goes past a
// transaction limit fails with a *strata.LimitError naming the function
// that ran the transaction (the outermost one when calls nest), whether
// it is called directly or runs as a scheduled job; nothing is committed.
func TestLimitNamesFunction(t *testing.T) {
	t.Parallel()
	eachBackend(t, testLimitNamesFunction)
}

func testLimitNamesFunction(t *testing.T, b backend) {
	ctx := context.Background()
	url := dbURL(t, b)
	db, err := strata.Open(ctx, url, strata.WithLimits(strata.Limits{DocumentsRead: 3, DocumentsWritten: 3}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app := functions.NewApp()
	app.Mutation("items:insert", functions.Def{
		Args: v.Object{"n": v.Int64()},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			n, _ := args.Int("n")
			for i := range n {
				if _, err := c.Tx.Insert("items", strata.Doc{"i": i}); err != nil {
					return nil, err
				}
			}
			return nil, nil
		},
	})
	app.Mutation("items:outer", functions.Def{
		Args: v.Object{"n": v.Int64()},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			return c.RunMutation("items:insert", args)
		},
	})
	app.Query("items:read", functions.Def{
		Args: v.Object{"n": v.Int64()},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			n, _ := args.Int("n")
			_, err := c.Tx.Table("items").Take(int(n))
			return nil, err
		},
	})
	// Handlers that ignore the error of the limit: their transaction
	// fails all the same.
	app.Mutation("items:swallowWrite", functions.Def{
		Args: v.Object{"n": v.Int64()},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			n, _ := args.Int("n")
			for i := range n {
				_, _ = c.Tx.Insert("items", strata.Doc{"i": i})
			}
			return nil, nil
		},
	})
	app.Query("items:swallowRead", functions.Def{
		Args: v.Object{"n": v.Int64()},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			n, _ := args.Int("n")
			_, _ = c.Tx.Table("items").Take(int(n))
			return nil, nil
		},
	})
	app.Mutation("items:schedule", functions.Def{
		Args: v.Object{"n": v.Int64()},
		Handler: func(c *functions.Ctx, args strata.Doc) (any, error) {
			for _, name := range []string{"items:insert", "items:swallowWrite", "items:swallowRead"} {
				if _, err := c.Scheduler.RunAfter(0, name, args); err != nil {
					return nil, err
				}
			}
			return nil, nil
		},
	})
	count := func() int64 {
		var n int64
		if err := db.Query(ctx, func(tx *strata.Tx) error {
			var err error
			n, err = tx.Table("items").Count()
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := func(err error, name, kind, limit string) {
		t.Helper()
		var le *strata.LimitError
		if !errors.As(err, &le) {
			t.Fatalf("got %v, want a *strata.LimitError", err)
		}
		if le.Function != name || le.Kind != kind || le.Limit != limit || le.Count != 4 {
			t.Errorf("got %+v, want function %q kind %q limit %q count 4", le, name, kind, limit)
		}
		if !strings.Contains(err.Error(), kind+` "`+name+`"`) {
			t.Errorf("error %q does not name %s %q", err, kind, name)
		}
	}
	if _, err := app.Call(ctx, db, "items:insert", map[string]any{"n": int64(3)}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	_, err = app.Call(ctx, db, "items:insert", map[string]any{"n": int64(4)})
	want(err, "items:insert", "mutation", "documents written")
	_, err = app.Call(ctx, db, "items:outer", map[string]any{"n": int64(4)})
	want(err, "items:outer", "mutation", "documents written")
	if _, err := app.Call(ctx, db, "items:insert", map[string]any{"n": int64(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Call(ctx, db, "items:read", map[string]any{"n": int64(3)}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	_, err = app.Call(ctx, db, "items:read", map[string]any{"n": int64(4)})
	want(err, "items:read", "query", "documents read")
	if n := count(); n != 4 {
		t.Fatalf("%d items committed, want 4", n)
	}

	_, err = app.Call(ctx, db, "items:swallowWrite", map[string]any{"n": int64(4)})
	want(err, "items:swallowWrite", "mutation", "documents written")
	_, err = app.Call(ctx, db, "items:swallowRead", map[string]any{"n": int64(4)})
	want(err, "items:swallowRead", "query", "documents read")

	// As scheduled jobs: each fails (not retried), naming the function and
	// the limit, and writes nothing.
	if _, err := app.Call(ctx, db, "items:schedule", map[string]any{"n": int64(4)}); err != nil {
		t.Fatal(err)
	}
	startWorker(t, app, db, functions.WorkerOptions{})
	jobs := waitJobs(t, db, 30*time.Second)
	if len(jobs) != 3 {
		t.Fatalf("%d jobs, want 3", len(jobs))
	}
	for _, j := range jobs {
		limit := "documents written 4"
		if j.Name == "items:swallowRead" {
			limit = "documents read 4"
		}
		if j.State != functions.StateFailed || !strings.Contains(j.Error, `"`+j.Name+`"`) || !strings.Contains(j.Error, limit) {
			t.Errorf("job %s: %s %q, want failed naming it and %q", j.Name, j.State, j.Error, limit)
		}
	}
	if n := count(); n != 4 {
		t.Errorf("%d items committed, want 4", n)
	}
}
