// Package dbcheck verifies the physical consistency of a strata database:
// every index entry points to a document whose key in that index is the
// entry's key, and every document has exactly one entry in each index of
// its table. Tests run it after each test; `strata check` runs it too.
package dbcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// Check verifies db in one read-only snapshot and returns every problem
// found, joined, or nil. An index still being built (an online build that
// is backfilling) must have only correct entries, but may lack some.
func Check(ctx context.Context, db *strata.DB) error {
	builds, err := db.IndexBuilds(ctx)
	if err != nil {
		return err
	}
	building := map[string]bool{}
	for _, b := range builds {
		if b.State == strata.BuildBackfilling {
			building[b.Table+"."+b.Index] = true
		}
	}
	tx, err := db.Backend().Begin(ctx, false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tables, err := tx.Tables()
	if err != nil {
		return err
	}
	s := db.Schema()
	var errs []error
	for _, table := range tables {
		// Every document, by the built-in index.
		docs, err := tx.Scan(storage.ScanRequest{Table: table, Index: "by_creation_time"})
		if err != nil {
			return err
		}
		byID := make(map[string]map[string]any, len(docs))
		for _, e := range docs {
			if e.Body == nil {
				errs = append(errs, fmt.Errorf("%s.by_creation_time: entry %x points to missing document %s", table, e.Key, e.ID))
				continue
			}
			m, err := value.DecodeDoc(e.Body)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: document %s: %w", table, e.ID, err))
				continue
			}
			byID[string(e.ID)] = m
		}
		indexes := []schema.Index{{Name: "by_creation_time"}}
		if s != nil && s.Tables[table] != nil {
			indexes = append(indexes, s.Tables[table].Indexes...)
		}
		for _, ix := range indexes {
			ents, err := tx.Scan(storage.ScanRequest{Table: table, Index: ix.Name, KeysOnly: true})
			if err != nil {
				return err
			}
			seen := make(map[string]bool, len(ents))
			for _, e := range ents {
				doc, ok := byID[string(e.ID)]
				if !ok {
					errs = append(errs, fmt.Errorf("%s.%s: entry %x points to missing document %s", table, ix.Name, e.Key, e.ID))
					continue
				}
				want, err := strata.IndexKey(ix, doc)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if !bytes.Equal(want, e.Key) {
					errs = append(errs, fmt.Errorf("%s.%s: entry %x of %s, want key %x", table, ix.Name, e.Key, e.ID, want))
				}
				if seen[string(e.ID)] {
					errs = append(errs, fmt.Errorf("%s.%s: document %s has more than one entry", table, ix.Name, e.ID))
				}
				seen[string(e.ID)] = true
			}
			for id := range byID {
				if !seen[id] && !building[table+"."+ix.Name] {
					errs = append(errs, fmt.Errorf("%s.%s: document %s has no entry", table, ix.Name, id))
				}
			}
		}
		// Every record must be reachable from by_creation_time.
		for id := range byID {
			if _, err := tx.Get(table, []byte(id)); err != nil {
				errs = append(errs, fmt.Errorf("%s: document %s listed in by_creation_time but get: %w", table, id, err))
			}
		}
	}
	return errors.Join(errs...)
}
