package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-db/strata/storage"
)

// TestOpenNamesMissingImport: this test binary links no backend, so Open
// of a known scheme names the package to import, and an unknown scheme
// says what is registered.
func TestOpenNamesMissingImport(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"sqlite:" + t.TempDir() + "/x.db", `add import _ "github.com/strata-db/strata/storage/sqlite"`},
		{"postgres://u:secret@h/db", `add import _ "github.com/strata-db/strata/storage/postgres"`},
		{"postgresql://h/db", `storage/postgres"`},
		{"nosuch:x", `unknown scheme "nosuch" (registered: none)`},
	} {
		_, err := storage.Open(context.Background(), tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error containing %s", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q): the error shows the password: %v", tc.url, err)
		}
	}
}
