package pgtest

import (
	"os"
	"sync"
)

var (
	sharedMu   sync.Mutex
	sharedDirs []string
)

// SharedDir creates a new directory (its name starting with prefix) for
// files that several tests of one binary share and that outlive any one
// test, such as a helper program built once or a benchmark fixture. Main
// removes it, with everything in it, when the tests end; a binary not
// run through Main leaves it behind.
func SharedDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	sharedMu.Lock()
	sharedDirs = append(sharedDirs, dir)
	sharedMu.Unlock()
	return dir, nil
}

// removeSharedDirs removes the directories SharedDir created.
func removeSharedDirs() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for _, dir := range sharedDirs {
		_ = os.RemoveAll(dir)
	}
	sharedDirs = nil
}
