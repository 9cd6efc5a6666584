package functions_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	app := functions.NewApp()
	app.Mutation("notes:add", functions.Def{
		Args:    v.Object{"text": v.String()},
		Returns: v.ID("notes"),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			id, err := ctx.Tx.Insert("notes", args)
			if err != nil {
				return nil, err
			}
			// Count the notes later, in a job that exists only if this
			// mutation commits.
			_, err = ctx.Scheduler.RunAfter(0, "notes:count", nil)
			return id, err
		},
	})
	app.InternalMutation("notes:count", functions.Def{
		Returns: v.Int64(),
		Handler: func(ctx *functions.Ctx, _ strata.Doc) (any, error) {
			docs, err := ctx.Tx.Table("notes").Collect()
			return int64(len(docs)), err
		},
	})

	w, err := app.StartWorker(ctx, db, functions.WorkerOptions{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := app.Call(ctx, db, "notes:add", map[string]any{"text": "hello"}); err != nil {
		log.Fatal(err)
	}
	_, err = app.Call(ctx, db, "notes:add", map[string]any{"text": 42.0})
	fmt.Println(err)

	for {
		jobs, err := functions.ListJobs(ctx, db)
		if err != nil {
			log.Fatal(err)
		}
		if len(jobs) == 1 && jobs[0].State.Final() {
			fmt.Println(jobs[0].Name, jobs[0].State, jobs[0].Result)
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := w.Stop(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// functions: notes:add: invalid args: text: expected string, found number
	// notes:count success 1
}
