package strata_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/strata-db/strata"
)

// FuzzCursor feeds arbitrary cursors to Paginate: each must be rejected
// with ErrInvalidCursor, or be exactly one of the cursors the database
// handed out for the query (the cursors carry an integrity check, so a
// changed one is never accepted), and never panic.
func FuzzCursor(f *testing.F) {
	db, all := postsDB(f, 40)
	build := func(tx *strata.Tx) *strata.Query {
		return tx.Table("posts").WithIndex("by_rank", strata.Gte("rank", int64(-5)), strata.Lt("rank", int64(5)))
	}
	var seeds []string
	query(f, db, func(tx *strata.Tx) error {
		p, err := build(tx).Paginate(3, "")
		seeds = append(seeds, p.ContinueCursor)
		p, err2 := tx.Table("posts").Paginate(3, "")
		seeds = append(seeds, p.ContinueCursor)
		return errors.Join(err, err2)
	})
	for _, s := range seeds {
		f.Add(s)
		b, _ := base64.RawURLEncoding.DecodeString(s)
		if len(b) > 12 {
			b[len(b)-3] ^= 0xff
			f.Add(base64.RawURLEncoding.EncodeToString(b))
		}
	}
	f.Add("")
	f.Add("AQ")
	// Every cursor the database can hand out for the query: the one after
	// each document of its range.
	valid := map[string]bool{"": true}
	query(f, db, func(tx *strata.Tx) error {
		p, err := build(tx).Paginate(1000, "")
		for i := range p.Page {
			valid[p.CursorAfter(i)] = true
			f.Add(p.CursorAfter(i))
		}
		return err
	})
	inRange := map[strata.ID]bool{}
	for _, d := range all {
		if r, _ := d.Int("rank"); r >= -5 && r < 5 {
			inRange[d.ID()] = true
		}
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		err := db.Query(ctx, func(tx *strata.Tx) error {
			p, err := build(tx).Paginate(5, cursor)
			if err != nil {
				return err
			}
			if !valid[cursor] {
				t.Errorf("cursor %q was accepted but the database never handed it out", cursor)
			}
			for _, d := range p.Page {
				if !inRange[d.ID()] {
					t.Errorf("cursor %q resumed outside the query's range: %v", cursor, d)
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, strata.ErrInvalidCursor) {
			t.Errorf("cursor %q: error %v is not ErrInvalidCursor", cursor, err)
		}
	})
}
