package functions

import (
	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

// sys is strata's privileged surface, bound to the one system table this
// package owns: _scheduled_functions.
var sys = system.Open[*strata.DB, *strata.Tx]()
