package strata

import (
	"fmt"

	"github.com/strata-db/strata/value"
)

// A WriteTransform rewrites a document as it is written: old is the stored
// document an update replaces (nil for an insert) and next the document
// about to be stored, system fields included. It returns the document to
// store instead. It must be deterministic and idempotent, must not change
// _id or _creationTime, and must not keep next.
//
// The migration engine installs one per active migration, so documents
// written by code that predates a migration arrive already migrated.
type WriteTransform func(old, next Doc) (Doc, error)

type transformEntry struct{ fn WriteTransform }

// transformSet is an immutable snapshot: writers read it without locks.
type transformSet map[string][]*transformEntry

// AddWriteTransform makes every write to table in this process (Insert,
// Patch, Replace, Import) pass through fn before it is validated, until
// the returned function is called. Transforms run in the order they were
// added. A transform's error refuses the write.
func (db *DB) AddWriteTransform(table string, fn WriteTransform) (remove func()) {
	e := &transformEntry{fn}
	db.editTransforms(func(s transformSet) { s[table] = append(s[table], e) })
	return func() {
		db.editTransforms(func(s transformSet) {
			list := s[table]
			out := make([]*transformEntry, 0, len(list))
			for _, x := range list {
				if x != e {
					out = append(out, x)
				}
			}
			if len(out) == 0 {
				delete(s, table)
			} else {
				s[table] = out
			}
		})
	}
}

func (db *DB) editTransforms(edit func(transformSet)) {
	db.mu.Lock()
	defer db.mu.Unlock()
	cur := db.transforms.Load()
	next := transformSet{}
	if cur != nil {
		for k, list := range *cur {
			next[k] = list
		}
	}
	edit(next)
	db.transforms.Store(&next)
}

// transform runs the write transforms of table over next.
func (tx *Tx) transform(table string, old, next Doc) (Doc, error) {
	next, err := tx.applyOps(table, old, next)
	if err != nil {
		return nil, fmt.Errorf("write transform: %w", err)
	}
	set := tx.db.transforms.Load()
	if set == nil {
		return next, nil
	}
	list := (*set)[table]
	for _, e := range list {
		id, ct := next[FieldID], next[FieldCreationTime]
		out, err := e.fn(old, next)
		if err != nil {
			return nil, fmt.Errorf("write transform: %w", err)
		}
		if out == nil {
			return nil, fmt.Errorf("write transform returned no document")
		}
		if !value.Equal(out[FieldID], id) || !value.Equal(out[FieldCreationTime], ct) {
			return nil, fmt.Errorf("write transform changed a system field")
		}
		next = out
	}
	return next, nil
}
