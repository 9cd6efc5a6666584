package strata

import "strings"

// storageURL normalizes a database URL as Open and Copy take it: a bare
// path (no scheme, or one starting with "/" or ".") is a SQLite file.
func storageURL(u string) string {
	if !strings.Contains(u, ":") || strings.HasPrefix(u, "/") || strings.HasPrefix(u, ".") {
		return "sqlite:" + u
	}
	return u
}
