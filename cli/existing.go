package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/storage"
)

// readOnlyCommands are the commands that only read a database: they open
// an existing one and never create it, so a mistyped --db path is an
// error instead of a new empty file left behind. Keyed by the command's
// path below the root ("data", "schema show").
var readOnlyCommands = map[string]bool{
	"data":            true,
	"export":          true,
	"tables":          true,
	"check":           true,
	"schema show":     true,
	"schema diff":     true,
	"schema status":   true,
	"schema plan":     true,
	"schema wait":     true,
	"migrate status":  true,
	"migrate dry-run": true,
	"scheduled list":  true,
}

// isReadOnly reports whether cmd is one of readOnlyCommands.
func isReadOnly(cmd *cobra.Command) bool {
	path := cmd.CommandPath()
	if i := strings.IndexByte(path, ' '); i >= 0 {
		path = path[i+1:]
	} else {
		path = ""
	}
	return readOnlyCommands[path]
}

// ErrNoDatabase is wrapped by the error of a command that only reads a
// database when --db names a SQLite file that does not exist.
var ErrNoDatabase = errors.New("no database")

// sqliteFile returns the file a SQLite database URL names (a bare path
// is a SQLite file, as strata.Open takes it), and false for any other
// URL. It does not check the path; opening the database does.
func sqliteFile(u string) (string, bool) {
	if strings.Contains(u, ":") && !strings.HasPrefix(u, "/") && !strings.HasPrefix(u, ".") {
		if !strings.HasPrefix(u, "sqlite:") {
			return "", false
		}
		u = strings.TrimPrefix(u, "sqlite:")
		u = strings.TrimPrefix(u, "//")
	}
	if storage.IsKeyValueConnString(u) {
		return "", false // opening refuses it, saying how to write a URL
	}
	path, _, _ := strings.Cut(u, "?")
	if path == "" {
		return "", false
	}
	return path, true
}

// mustExist returns an error wrapping ErrNoDatabase if u names a SQLite
// file that does not exist. A PostgreSQL database always exists as far
// as strata is concerned: its tables are created on first open, which
// leaves no stray file behind.
func mustExist(u string) error {
	path, ok := sqliteFile(u)
	if !ok {
		return nil
	}
	_, err := os.Stat(path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open %s: %w", path, err)
	}
	shown := path
	if abs, err := filepath.Abs(path); err == nil {
		shown = abs
	}
	return fmt.Errorf("%w at %s; create it with strata --db sqlite:%s schema push FILE.json (or strata import TABLE FILE.jsonl), or give --db the path of an existing one", ErrNoDatabase, shown, path)
}
