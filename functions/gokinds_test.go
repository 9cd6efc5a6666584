package functions_test

import (
	"context"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
)

type userName string

// TestGoKindArgs: function arguments, scheduler arguments and results may
// hold Go kinds (int, named strings, []string, pointers); handlers and
// stored jobs see strata's values.
func TestGoKindArgs(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		db, _ := openDB(t, b)
		app := testApp(t)
		age := 36
		id, err := app.Call(context.Background(), db, "users:create", map[string]any{"name": userName("Ada"), "age": &age})
		if err != nil {
			t.Fatal(err)
		}
		var got strata.Doc
		if err := db.Query(context.Background(), func(tx *strata.Tx) error {
			got, err = tx.Get(id.(strata.ID))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got.StringOr("name", "") != "Ada" {
			t.Fatalf("stored %v", got)
		}
		if n, ok := got.Int("age"); !ok || n != 36 {
			t.Fatalf("stored %v", got)
		}
		var jobID strata.ID
		mutate(t, db, func(tx *strata.Tx) error {
			jobID, err = app.Scheduler(tx).RunAfter(0, "users:create", map[string]any{"name": "Grace", "age": uint8(40)})
			return err
		})
		job := jobByID(t, db, jobID)
		if n, ok := strata.Doc(job.Args).Int("age"); !ok || n != 40 {
			t.Fatalf("scheduled args %v", job.Args)
		}
		n, err := functions.CallAs[int64](context.Background(), app, db, "users:count", nil)
		if err != nil || n != 1 {
			t.Fatalf("count = %d, %v", n, err)
		}
	})
}
