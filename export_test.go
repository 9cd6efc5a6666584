package strata

import "time"

// PushOptionsBeforePending returns o with a hook called just before Push
// registers its pending schema, for tests that force an interleaving.
func PushOptionsBeforePending(o PushOptions, f func()) PushOptions {
	o.beforePending = f
	return o
}

// PushOptionsOnIndexed returns o with a hook called in an index build's
// transaction after each document it indexed.
func PushOptionsOnIndexed(o PushOptions, f func()) PushOptions {
	o.onIndexed = f
	return o
}

// SetBuildLease sets how long an index build runner's lease lasts after
// its last batch, for the helper processes of the kill tests (never in a
// process running other tests).
func SetBuildLease(d time.Duration) { buildLease = d }
