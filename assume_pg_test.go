package strata_test

import (
	"context"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/v"
)

// TestWriteUnderSchemaChangedElsewhere: on PostgreSQL a write transaction
// starts with the process's cached schema and the backend checks it with
// the first round trip. After another process (a second handle) changed
// the schema, a write that the new schema accepts and the cached one
// refuses succeeds, one that the new schema refuses fails, and a write
// that reads first validates against the new schema too.
func TestWriteUnderSchemaChangedElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	db1, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	s1, err := strata.NewSchema(strata.Table("items", v.Object{"name": v.String()}))
	setSchema(t, db1, s1, err)
	db2, err := strata.Open(ctx, url) // caches s1
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	ids := insert(t, db2, "items", strata.Doc{"name": "a"})

	s2, err := strata.NewSchema(strata.Table("items", v.Object{"name": v.String(), "tag": v.Optional(v.String())}))
	setSchema(t, db1, s2, err)

	tests := []struct {
		name string
		fn   func(tx *strata.Tx) error
		ok   bool
	}{
		{"blind insert the new schema accepts", func(tx *strata.Tx) error {
			_, err := tx.Insert("items", strata.Doc{"name": "b", "tag": "new"})
			return err
		}, true},
		{"blind insert the new schema refuses", func(tx *strata.Tx) error {
			_, err := tx.Insert("items", strata.Doc{"name": "c", "other": "x"})
			return err
		}, false},
		{"read, then a patch the new schema accepts", func(tx *strata.Tx) error {
			if _, err := tx.Get(ids[0]); err != nil {
				return err
			}
			return tx.Patch(ids[0], strata.Patch{"tag": "set"})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db2.Mutation(ctx, tt.fn)
			if (err == nil) != tt.ok {
				t.Fatalf("mutation: %v, want success %v", err, tt.ok)
			}
		})
	}
}
