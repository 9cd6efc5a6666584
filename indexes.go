package strata

import (
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/value"
)

// creationTimeIndex is the built-in index every table has: documents in
// _creationTime order.
var creationTimeIndex = schema.Index{Name: indexByCreationTime}

// indexes returns the physical indexes of table: by_creation_time first,
// then the schema's indexes.
func (tx *Tx) indexes(table string) []schema.Index {
	if tx.schema != nil {
		if t := tx.schema.Tables[table]; t != nil && len(t.Indexes) > 0 {
			out := make([]schema.Index, 0, len(t.Indexes)+1)
			out = append(out, creationTimeIndex)
			return append(out, t.Indexes...)
		}
	}
	return []schema.Index{creationTimeIndex}
}

// indexKeys computes the key of doc in each index.
func indexKeys(idx []schema.Index, doc Doc) ([][]byte, error) {
	keys := make([][]byte, len(idx))
	for i, ix := range idx {
		k, err := indexKey(nil, ix, doc)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
}

// indexKey appends doc's key in index ix: the values of the index's fields
// (undefined where missing), then _creationTime and _id, so every key is
// unique and ties keep creation order.
func indexKey(dst []byte, ix schema.Index, doc Doc) ([]byte, error) {
	var err error
	for _, f := range ix.Fields {
		x, ok := lookupPath(doc, f)
		if !ok {
			x = value.Undef
		}
		if dst, err = value.AppendKey(dst, x); err != nil {
			return nil, fmt.Errorf("index %s: field %s: %w", ix.Name, f, err)
		}
	}
	if dst, err = value.AppendKey(dst, doc[FieldCreationTime]); err != nil {
		return nil, fmt.Errorf("index %s: _creationTime: %w", ix.Name, err)
	}
	id, _ := doc[FieldID].(ID)
	return value.AppendKey(dst, string(id))
}

// IndexKey returns the key of doc (a stored document, with its system
// fields) in index ix, as strata writes it to storage. It is exported for
// consistency checkers and tools; applications never need it.
func IndexKey(ix schema.Index, doc map[string]any) ([]byte, error) {
	if ix.Name == indexByCreationTime {
		ix.Fields = nil
	}
	return indexKey(nil, ix, Doc(doc))
}
