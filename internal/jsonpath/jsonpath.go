// Package jsonpath renders paths inside JSON documents ("settings.theme",
// "tags[3]", `meta["a b"]`) for error messages, and finds the duplicate
// object keys encoding/json silently accepts. Packages v and schema share
// it so that their errors read alike.
package jsonpath

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Join appends rest to seg: "a" + "b" is "a.b", "a" + "[1]" is "a[1]".
func Join(seg, rest string) string {
	switch {
	case rest == "":
		return seg
	case seg == "":
		return rest
	case rest[0] == '[':
		return seg + rest
	}
	return seg + "." + rest
}

// Key renders an object key as a path segment: plain when that is
// unambiguous, else as ["quoted"].
func Key(k string) string {
	if isPlain(k) {
		return k
	}
	return "[" + strconv.Quote(k) + "]"
}

// Index renders an array index as a path segment: "[3]".
func Index(i int) string { return "[" + strconv.Itoa(i) + "]" }

func isPlain(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r == '.' || r == '[' || r == ']' || r == '"' || r == ' ' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// DuplicateKey reports the first object key that appears twice in one
// object of the valid JSON text data: the path of that object and the key.
// encoding/json silently keeps the last of duplicates; a file
// must not mean two things.
func DuplicateKey(data []byte) (path, key string, dup bool) {
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
			return Join(f.path, Key(f.cur))
		}
		return Join(f.path, Index(f.idx))
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
