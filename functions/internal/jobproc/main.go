// Command jobproc is a test helper: an application binary that embeds the
// strata command line with the functions the multi-process and kill -9
// tests of package functions schedule. Run its scheduled jobs with
//
//	jobproc --db URL scheduled work [--until-idle]
package main

import (
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

// App returns the helper's functions. The tests register the same names
// with the same validators to schedule jobs.
func App() *functions.App {
	app := functions.NewApp()
	app.InternalMutation("counter:inc", functions.Def{
		Args:    v.Object{"id": v.ID("counters"), "sleepMs": v.Optional(v.Int64())},
		Returns: v.Int64(),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			id := strata.ID(args.StringOr("id", ""))
			d, err := ctx.Tx.Get(id)
			if err != nil {
				return nil, err
			}
			n, _ := d.Int("n")
			if ms, ok := args.Int("sleepMs"); ok {
				time.Sleep(time.Duration(ms) * time.Millisecond)
			}
			return n + 1, ctx.Tx.Patch(id, strata.Patch{"n": n + 1})
		},
	})
	return app
}

func main() { cli.MainWith(App()) }
