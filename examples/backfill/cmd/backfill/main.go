// Command backfill is the strata command line with the backfill example's
// functions: run them with `backfill run NAME 'JSON-ARGS'` and execute the
// jobs they schedule with `backfill scheduled work`.
package main

import (
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/examples/backfill"
	"github.com/strata-db/strata/functions"
)

func main() {
	app := functions.NewApp()
	backfill.Register(app)
	cli.MainWith(app)
}
