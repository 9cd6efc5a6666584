// Command strata is the strata command line: inspect and change a strata
// database's schema and data, import and export documents, and run the
// demo. Run `strata --help` for the commands.
package main

import "github.com/strata-db/strata/cli"

func main() { cli.Main() }
