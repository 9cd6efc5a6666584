package migrate_test

import (
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestStartRecordsOnce: a start that found no tracking document and meets
// one recorded meanwhile by another start of the same file continues that
// migration instead of recording a second one.
func TestStartRecordsOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		s, err := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String()}))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetSchema(ctx, s); err != nil {
			t.Fatal(err)
		}
		f := parseFile(t, `{"name":"rename","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)
		first, other := migrate.New(db), migrate.New(db)
		migrate.SetTrackHook(first, func() {
			if st, err := other.Start(ctx, f); err != nil || st.State != migrate.Ready {
				t.Errorf("the other start: %+v %v", st, err)
			}
		})
		if st, err := first.Start(ctx, f); err != nil || st.State != migrate.Ready {
			t.Fatalf("start: %+v %v", st, err)
		}
		n := 0
		err = db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
			return tx.Table(migrate.Table).Each(func(d strata.Doc) error {
				if d.StringOr("name", "") == "rename" {
					n++
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d tracking documents for one migration, want 1", n)
		}
	})
}
