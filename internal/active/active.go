// Package active encodes the set of declarative migrations recorded with
// the active schema in _schemas, and applies their write transforms.
// Every process reads the set with the schema head at the start of a
// write transaction, so a switch of phase takes effect everywhere at
// once. Package strata decodes and applies the set; package migrate
// records it.
package active

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/strata-db/strata/schema/op"
)

// Phases of an active migration: while it is expanding (started,
// backfilling, ready) writes pass through Transform; while it completes,
// through Finalize; while it rolls back, through Transform then Revert.
const (
	Expand   = "expand"
	Contract = "contract"
	Rollback = "rollback"
)

// entry is the stored form of one active migration.
type entry struct {
	Phase string          `json:"phase"`
	File  json.RawMessage `json:"file"`
}

// Encode returns the stored form of the migration file in phase.
func Encode(phase string, file []byte) (string, error) {
	if !known(phase) {
		return "", fmt.Errorf("migration phase %q", phase)
	}
	b, err := json.Marshal(entry{Phase: phase, File: json.RawMessage(file)})
	return string(b), err
}

// Decode parses an entry written by Encode.
func Decode(s string) (phase string, f *op.File, err error) {
	var e entry
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return "", nil, fmt.Errorf("active migration: invalid JSON: %w", err)
	}
	if dec.More() {
		return "", nil, fmt.Errorf("active migration: invalid JSON: trailing data after the object")
	}
	if !known(e.Phase) {
		return "", nil, fmt.Errorf("active migration: unknown phase %q", e.Phase)
	}
	f, err = op.ParseRecorded(e.File)
	return e.Phase, f, err
}

func known(phase string) bool {
	return phase == Expand || phase == Contract || phase == Rollback
}

// Apply runs the write transform of o in phase: Transform while
// expanding, Finalize while completing, and Transform followed by Revert
// while rolling back. It does not modify doc.
func Apply(o op.Operation, phase string, old, doc op.Doc) (op.Doc, error) {
	switch phase {
	case Contract:
		return o.Finalize(old, doc)
	case Rollback:
		out, err := o.Transform(old, doc)
		if err != nil {
			return nil, err
		}
		p := o.Revert(out)
		if len(p) == 0 {
			return out, nil
		}
		next := make(op.Doc, len(out)+len(p))
		for k, x := range out {
			next[k] = x
		}
		for k, x := range p {
			if x == op.Unset {
				delete(next, k)
			} else {
				next[k] = x
			}
		}
		return next, nil
	}
	return o.Transform(old, doc)
}

// ApplyOwned is Apply with no old document for a document the caller
// owns (freshly decoded): it may modify doc in place instead of copying
// it, and returns the result, equal to Apply(o, phase, nil, doc).
func ApplyOwned(o op.Operation, phase string, doc op.Doc) (op.Doc, error) {
	ip, ok := o.(op.InPlacer)
	if !ok {
		return Apply(o, phase, nil, doc)
	}
	var err error
	switch phase {
	case Contract:
		err = ip.FinalizeInPlace(doc)
	case Rollback:
		if err = ip.TransformInPlace(doc); err == nil {
			for k, x := range o.Revert(doc) {
				if x == op.Unset {
					delete(doc, k)
				} else {
					doc[k] = x
				}
			}
		}
	default:
		err = ip.TransformInPlace(doc)
	}
	if err != nil {
		return nil, err
	}
	return doc, nil
}
