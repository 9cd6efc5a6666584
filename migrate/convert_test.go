package migrate_test

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestChangeTypeWithConversion: a change_type file computing a number
// from a string field ("convert": "to_number", a default for what does
// not parse) runs start and complete: every document ends with the
// number, none with the string, and the schema requires the new field.
func TestChangeTypeWithConversion(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		s, _ := strata.NewSchema(strata.Table("items", v.Object{"price": v.String()}))
		if err := db.SetSchema(ctx, s); err != nil {
			t.Fatal(err)
		}
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := range 250 {
				p := fmt.Sprintf("%d.5", i)
				if i%50 == 0 {
					p = "ask us"
				}
				if _, err := tx.Insert("items", strata.Doc{"price": p}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f := parseFile(t, `{"name":"020_price","operations":[{"change_type":{"table":"items","from":"price","to":"priceNum","type":"number","convert":"to_number","reverse_convert":"to_string","default":-1}}]}`)
		m := migrate.New(db)
		if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
			t.Fatalf("start: %+v %v", st, err)
		}
		if st, err := m.Complete(ctx, "020_price"); err != nil || st.State != migrate.Completed {
			t.Fatalf("complete: %+v %v", st, err)
		}
		unparsed := 0
		err = db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("items").Each(func(d strata.Doc) error {
				n, ok := d["priceNum"].(float64)
				if !ok || d.Has("price") {
					t.Errorf("document %s after complete: %v", d.ID(), d)
				}
				if n == -1 {
					unparsed++
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if unparsed != 5 {
			t.Errorf("%d documents took the default, want 5", unparsed)
		}
		if db.Schema().Tables["items"].Fields["priceNum"] == nil || db.Schema().Tables["items"].Fields["price"] != nil {
			t.Errorf("final schema: %v", db.Schema())
		}
	})
}
