package strata

// PushOptionsBeforePending returns o with a hook called just before Push
// registers its pending schema, for tests that force an interleaving.
func PushOptionsBeforePending(o PushOptions, f func()) PushOptions {
	o.beforePending = f
	return o
}
