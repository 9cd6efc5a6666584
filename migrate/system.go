package migrate

import (
	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

// sys is strata's privileged surface, bound to the system tables this
// package owns (_migrations, _migrations_moved) and allowed to push a
// schema with its active migrations.
var sys = system.Open[*strata.DB, *strata.Tx]()
