package strata

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// Schema is a database schema: tables with document validators and
// indexes. Build one with NewSchema and Table, or parse a schema file with
// schema.Parse.
type Schema = schema.Schema

// NewSchema builds a schema from table definitions and checks it (names,
// index limits, id references), returning every problem found.
func NewSchema(tables ...*schema.Table) (*Schema, error) {
	return schema.New(tables...)
}

// Table defines a table whose documents must satisfy fields. Chain Index
// calls to add indexes: strata.Table("users", v.Object{...}).Index("by_email", "email").
func Table(name string, fields v.Object) *schema.Table {
	return schema.Define(name, fields)
}

// SetSchema makes s the active schema in one transaction: every existing
// document of every table in s is checked against it, indexes that s adds
// or changes are built, and indexes it drops are removed. If any document
// does not satisfy s, nothing changes and the error names it. Tables that
// s does not mention keep their data and are no longer validated.
//
// SetSchema rebuilds indexes inside one transaction and blocks writers
// while it runs; it suits small databases and tests.
func (db *DB) SetSchema(ctx context.Context, s *Schema) error {
	if s == nil {
		return fmt.Errorf("strata: set schema: nil schema")
	}
	if err := s.Check(); err != nil {
		return fmt.Errorf("strata: set schema: %w", err)
	}
	text, err := s.MarshalJSON()
	if err != nil {
		return fmt.Errorf("strata: set schema: %w", err)
	}
	err = db.Mutation(ctx, func(tx *Tx) error {
		old := tx.schema
		for name, t := range s.Tables {
			if err := tx.checkTable(s, name); err != nil {
				return err
			}
			var oldIdx []schema.Index
			if old != nil && old.Tables[name] != nil {
				oldIdx = old.Tables[name].Indexes
			}
			if err := tx.rebuildIndexes(name, oldIdx, t.Indexes); err != nil {
				return err
			}
		}
		if old != nil {
			for name, t := range old.Tables {
				if s.Tables[name] != nil {
					continue
				}
				for _, ix := range t.Indexes {
					if err := tx.st.DropIndex(name, ix.Name); err != nil {
						return err
					}
				}
			}
		}
		ct, err := tx.nextCreationTime(schemasTable)
		if err != nil {
			return err
		}
		id := value.NewID(schemasTable)
		doc := Doc{
			FieldID:           id,
			FieldCreationTime: ct,
			"schema":          string(text),
			"state":           "active",
			"activatedAt":     float64(time.Now().UnixMilli()),
		}
		return tx.write(schemasTable, id, nil, doc)
	})
	if err != nil {
		return fmt.Errorf("strata: set schema: %w", err)
	}
	return db.refreshSchema(ctx)
}

// checkTable validates every document of table against s.
func (tx *Tx) checkTable(s *Schema, table string) error {
	var bad error
	err := tx.scanAll(table, func(d Doc) bool {
		if err := s.ValidateDocument(table, d.Fields()); err != nil {
			bad = &WriteError{Op: "validate", Table: table, ID: d.ID(), Err: err}
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	return bad
}

// rebuildIndexes drops the indexes of table that are in oldIdx but not
// identical in newIdx, and builds those of newIdx that are new or changed.
func (tx *Tx) rebuildIndexes(table string, oldIdx, newIdx []schema.Index) error {
	same := func(a schema.Index, list []schema.Index) bool {
		for _, b := range list {
			if a.Name == b.Name && fmt.Sprint(a.Fields) == fmt.Sprint(b.Fields) {
				return true
			}
		}
		return false
	}
	for _, ix := range oldIdx {
		if !same(ix, newIdx) {
			if err := tx.st.DropIndex(table, ix.Name); err != nil {
				return err
			}
		}
	}
	var build []schema.Index
	for _, ix := range newIdx {
		if !same(ix, oldIdx) {
			build = append(build, ix)
		}
	}
	if len(build) == 0 {
		return nil
	}
	var werr error
	err := tx.scanAll(table, func(d Doc) bool {
		for _, ix := range build {
			k, err := indexKey(nil, ix, d)
			if err == nil {
				err = tx.st.PutIndex(table, ix.Name, k, []byte(d.ID()))
			}
			if err != nil {
				werr = err
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return werr
}

// scanAll calls fn for every document of table in _creationTime order
// until fn returns false.
func (tx *Tx) scanAll(table string, fn func(Doc) bool) error {
	var start []byte
	for {
		ents, err := tx.st.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Range: storage.Range{Start: start}, Limit: 512})
		if err != nil {
			return err
		}
		for _, e := range ents {
			m, err := value.DecodeDoc(e.Body)
			if err != nil {
				return fmt.Errorf("table %s: corrupt record %s: %w", table, e.ID, err)
			}
			if !fn(Doc(m)) {
				return nil
			}
		}
		if len(ents) < 512 {
			return nil
		}
		start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}

// loadSchema makes tx use the schema that is active in its snapshot,
// parsing it only when it differs from the DB's cached one.
func (tx *Tx) loadSchema() error {
	ents, err := tx.st.Scan(storage.ScanRequest{Table: schemasTable, Index: indexByCreationTime, Reverse: true, Limit: 1, KeysOnly: true})
	if err != nil {
		return fmt.Errorf("strata: load schema: %w", err)
	}
	if len(ents) == 0 {
		tx.schema = nil
		return nil
	}
	key := ents[0].Key
	db := tx.db
	db.mu.RLock()
	cached, at := db.schema, db.schemaAt
	db.mu.RUnlock()
	if bytes.Equal(key, at) {
		tx.schema = cached
		return nil
	}
	doc, err := tx.get(schemasTable, ID(ents[0].ID))
	if err != nil || doc == nil {
		return fmt.Errorf("strata: load schema %s: %v", ents[0].ID, err)
	}
	s, err := schema.Parse([]byte(doc.String("schema")))
	if err != nil {
		return fmt.Errorf("strata: load schema %s: %w", ents[0].ID, err)
	}
	tx.schema = s
	db.mu.Lock()
	if bytes.Compare(key, db.schemaAt) > 0 {
		db.schema, db.schemaAt = s, key
	}
	db.mu.Unlock()
	return nil
}
