package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/value"
)

// The backup format written by `strata export --all` and read by `strata
// import --all` is JSON Lines, every value in strata's JSON form:
//
//	{"strata":"backup","version":1,"tables":{"_schemas":3,"users":2}}
//	{"table":"_schemas","doc":{"_id":"...","_creationTime":...,...},"ids":[["active"]]}
//	...
//	{"end":true,"tables":{"_schemas":3,"users":2}}
//
// The header names the format and its version; its table counts are read
// from the indexes and serve only to show progress. Then one line per
// document: _schemas first, then the other system tables, then the
// application's tables, each in _id order. "ids" lists the paths (object
// keys and array positions) of the values other than _id that are ids,
// which the JSON form writes as plain strings; it is left out when there
// are none. The end line holds the number of documents written per table:
// a file without it, or whose counts differ from its lines, is refused.
const (
	backupFormat  = "backup"
	backupVersion = 1
)

// backupTables orders tables for a backup: _schemas, the other system
// tables, then the application's, each group by name.
func backupTables(tables []string) []string {
	out := slices.Clone(tables)
	rank := func(t string) int {
		switch {
		case t == "_schemas":
			return 0
		case strings.HasPrefix(t, "_"):
			return 1
		}
		return 2
	}
	slices.SortFunc(out, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return out
}

// appendBackupHeader appends the header line.
func appendBackupHeader(dst []byte, counts map[string]int64) ([]byte, error) {
	return appendCountsLine(dst, map[string]any{"strata": backupFormat, "version": int64(backupVersion)}, counts)
}

// appendBackupEnd appends the end line.
func appendBackupEnd(dst []byte, counts map[string]int64) ([]byte, error) {
	return appendCountsLine(dst, map[string]any{"end": true}, counts)
}

func appendCountsLine(dst []byte, m map[string]any, counts map[string]int64) ([]byte, error) {
	t := make(map[string]any, len(counts))
	for k, n := range counts {
		t[k] = n
	}
	m["tables"] = t
	dst, err := value.AppendJSON(dst, m)
	return append(dst, '\n'), err
}

// appendBackupDoc appends the line of one document of table.
func appendBackupDoc(dst []byte, table string, d strata.Doc) ([]byte, error) {
	line := map[string]any{"table": table, "doc": map[string]any(d)}
	var ids []any
	for k, x := range d {
		if k != strata.FieldID {
			ids = idPaths(x, []any{k}, ids)
		}
	}
	if len(ids) > 0 {
		slices.SortFunc(ids, func(a, b any) int { return value.Compare(a, b) })
		line["ids"] = ids
	}
	dst, err := value.AppendJSON(dst, line)
	return append(dst, '\n'), err
}

// idPaths appends to out the path of every id within x, which is at path.
func idPaths(x any, path []any, out []any) []any {
	switch v := x.(type) {
	case strata.ID:
		return append(out, slices.Clone(path))
	case map[string]any:
		for k, y := range v {
			out = idPaths(y, append(path, k), out)
		}
	case []any:
		for i, y := range v {
			out = idPaths(y, append(path, int64(i)), out)
		}
	}
	return out
}

// markIDs turns the strings at paths within doc back into ids.
func markIDs(doc map[string]any, paths []any) error {
	for _, p := range paths {
		path, ok := p.([]any)
		if !ok || len(path) == 0 {
			return fmt.Errorf("ids: %v is not a path", p)
		}
		if err := markID(doc, path); err != nil {
			return fmt.Errorf("ids: %v: %w", path, err)
		}
	}
	return nil
}

func markID(x any, path []any) error {
	var next any
	var set func(any)
	switch v := x.(type) {
	case map[string]any:
		k, ok := path[0].(string)
		if !ok {
			return errors.New("an object key must be a string")
		}
		next, ok = v[k]
		if !ok {
			return fmt.Errorf("no field %q", k)
		}
		set = func(y any) { v[k] = y }
	case []any:
		i, ok := pathIndex(path[0])
		if !ok || i >= len(v) {
			return fmt.Errorf("no element %v", path[0])
		}
		next = v[i]
		set = func(y any) { v[i] = y }
	default:
		return errors.New("the path goes through a value that is neither an object nor an array")
	}
	if len(path) > 1 {
		return markID(next, path[1:])
	}
	s, ok := next.(string)
	if !ok {
		return fmt.Errorf("not a string but %s", value.TypeName(next))
	}
	set(strata.ID(s))
	return nil
}

// pathIndex reads an array position of an ids path: an int64 (as written)
// or an integral float64 (a plain JSON number).
func pathIndex(x any) (int, bool) {
	switch n := x.(type) {
	case int64:
		return int(n), n >= 0 && n < 1<<31
	case float64:
		return int(n), n >= 0 && n < 1<<31 && n == float64(int(n))
	}
	return 0, false
}

// readBackup reads a backup from r and calls put with each document in
// order. It checks the header, every line, and the end line's counts.
func readBackup(r io.Reader, path string, put func(table string, doc strata.Doc) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	var counts map[string]int64
	seen := map[string]int64{}
	ended := false
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, n)
		if ended {
			return fmt.Errorf("%s: a line after the end line", where)
		}
		m, err := value.ParseJSONDoc(line)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if counts == nil {
			if m["strata"] != backupFormat {
				return fmt.Errorf("%s: not a strata backup (it does not start with {\"strata\":\"backup\",...}); write one with strata export --all, or import one table's JSON Lines with strata import TABLE FILE", where)
			}
			if v, _ := m["version"].(int64); v != backupVersion {
				return fmt.Errorf("%s: backup version %v: this strata reads version %d", where, m["version"], backupVersion)
			}
			if counts, err = tableCounts(m["tables"]); err != nil {
				return fmt.Errorf("%s: header: %w", where, err)
			}
			continue
		}
		if m["end"] == true {
			want, err := tableCounts(m["tables"])
			if err != nil {
				return fmt.Errorf("%s: end line: %w", where, err)
			}
			if !maps.Equal(want, seen) {
				return fmt.Errorf("%s: the end line counts %v documents per table, the file holds %v: the backup is damaged", where, want, seen)
			}
			ended = true
			continue
		}
		table, ok := m["table"].(string)
		if !ok {
			return fmt.Errorf("%s: want {\"table\":...,\"doc\":{...}}", where)
		}
		doc, ok := m["doc"].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want {\"table\":...,\"doc\":{...}}", where)
		}
		if ids, ok := m["ids"]; ok {
			list, ok := ids.([]any)
			if !ok {
				return fmt.Errorf("%s: ids: want a list of paths", where)
			}
			if err := markIDs(doc, list); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		if err := put(table, strata.Doc(doc)); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		seen[table]++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: line longer than %d bytes", path, n+1, maxLine)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if counts == nil {
		return fmt.Errorf("%s: empty file: not a strata backup (write one with strata export --all)", path)
	}
	if !ended {
		return fmt.Errorf("%s: no end line after line %d: the backup is truncated", path, n)
	}
	return nil
}

// tableCounts reads the "tables" object of a header or end line.
func tableCounts(x any) (map[string]int64, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return nil, errors.New("want \"tables\": {TABLE: COUNT, ...}")
	}
	out := make(map[string]int64, len(m))
	for t, c := range m {
		n, ok := c.(int64)
		if !ok {
			if f, isF := c.(float64); isF && f >= 0 && f == float64(int64(f)) {
				n, ok = int64(f), true
			}
		}
		if !ok || n < 0 {
			return nil, fmt.Errorf("tables.%s: want a count", t)
		}
		out[t] = n
	}
	return out, nil
}
