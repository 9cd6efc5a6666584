//go:build strata_purego

package value

// boxer is plainBoxer in the strata_purego build: no package unsafe.
type boxer = plainBoxer

// newPlainBoxer returns a boxer that boxes the ordinary way; in this build
// every boxer does.
func newPlainBoxer() boxer { return boxer{} }

// transientString returns b as a string for a short-lived use.
func transientString(b []byte) string { return string(b) }
