// Command seedmigrations runs Convex's migration patterns (package
// seedmigrations) with strata's migration engine on a fresh embedded
// database.
package main

import (
	"context"
	"log"
	"os"
	"path/filepath"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/examples/seedmigrations"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

func main() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "strata-seed-")
	if err != nil {
		log.Fatal(err)
	}
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "seed.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := seedmigrations.Run(ctx, db, 1000, os.Stdout); err != nil {
		log.Fatal(err)
	}
}
