package v

import (
	"bytes"
	"encoding/json"
	"slices"
)

func sortStrings(s []string) { slices.Sort(s) }

// duplicateKey reports the first object key that appears twice in one
// object of the valid JSON text data: the path of that object and the key.
// encoding/json silently keeps the last of duplicates; a validator file
// must not mean two things.
func duplicateKey(data []byte) (path, key string, dup bool) {
	type frame struct {
		keys    map[string]struct{}
		path    string
		cur     string
		idx     int
		isObj   bool
		wantKey bool
	}
	var st []*frame
	valueDone := func() {
		if n := len(st); n > 0 {
			if f := st[n-1]; f.isObj {
				f.wantKey = true
			} else {
				f.idx++
			}
		}
	}
	childPath := func() string {
		if len(st) == 0 {
			return ""
		}
		f := st[len(st)-1]
		if f.isObj {
			return joinPath(f.path, pathKey(f.cur))
		}
		return joinPath(f.path, pathIndex(f.idx))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", "", false
		}
		if n := len(st); n > 0 && st[n-1].isObj && st[n-1].wantKey {
			f := st[n-1]
			if tok == json.Delim('}') {
				st = st[:n-1]
				valueDone()
				continue
			}
			k, _ := tok.(string)
			if _, seen := f.keys[k]; seen {
				return f.path, k, true
			}
			f.keys[k] = struct{}{}
			f.cur = k
			f.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			st = append(st, &frame{keys: map[string]struct{}{}, path: childPath(), isObj: true, wantKey: true})
		case json.Delim('['):
			st = append(st, &frame{path: childPath()})
		case json.Delim(']'), json.Delim('}'):
			if len(st) > 0 {
				st = st[:len(st)-1]
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
