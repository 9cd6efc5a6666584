// Package jobproc is the application of the functions package's
// multi-process and kill -9 tests: the functions they schedule. The test
// binary runs itself as the application's command line (cli.MainWith
// with App) in the helper processes, so no helper program is built:
//
//	functions.test --db URL scheduled work [--until-idle]
//
// with JOBPROC=1 in its environment (see TestMain).
package jobproc

import (
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"
)

// App returns the helper application's functions; the tests schedule
// jobs through the same App. counter:inc adds one to the document id's
// field n (after sleeping sleepMs milliseconds, if given) and returns the
// new value.
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
