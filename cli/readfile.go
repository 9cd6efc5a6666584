package cli

import (
	"fmt"
	"io"
	"os"
)

// MaxDefinitionFile is the largest schema or migration file the command
// line reads (16 MiB). A larger file, or an endless one such as
// /dev/zero, is refused after reading one byte past the cap, so that a
// wrong argument costs at most that much memory.
const MaxDefinitionFile = 16 << 20

// readDefinitionFile reads a schema or migration file of at most
// MaxDefinitionFile bytes.
func readDefinitionFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxDefinitionFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDefinitionFile {
		return nil, fmt.Errorf("%s: larger than %d MiB, the limit for schema and migration files", path, MaxDefinitionFile>>20)
	}
	return data, nil
}
