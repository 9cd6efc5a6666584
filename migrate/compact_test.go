package migrate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/migrate"
)

// TestInstantThenCompact: start and complete of a rename rewrite no
// document (the shape chain grows), the documents read in the final
// shape throughout, and Compact rewrites each old record once and empties
// the chain; a second Compact has nothing to do.
func TestInstantThenCompact(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		renameUsers(t, db, 300)
		m := migrate.New(db)
		st, err := m.Start(ctx, parseFile(t, renameFile))
		if err != nil || st.State != migrate.Ready || st.Changed != 0 {
			t.Fatalf("start: %+v %v", st, err)
		}
		if _, err := m.Complete(ctx, "010_rename"); err != nil {
			t.Fatal(err)
		}
		info, err := migrate.Shapes(ctx, db, "users")
		if err != nil || info.Pending() != 2 {
			t.Fatalf("shapes after complete: %+v %v", info, err)
		}
		final := func() {
			t.Helper()
			n := 0
			eachUser(t, db, func(d strata.Doc) {
				n++
				if d.Has("userName") || !strings.HasPrefix(d.StringOr("displayName", ""), "u") {
					t.Errorf("not in the final shape: %v", d)
				}
			})
			if n != 300 {
				t.Errorf("%d documents, want 300", n)
			}
			if err := dbcheck.Check(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		final()
		// Typed reads decode current-shape records straight into the
		// struct; these are of the oldest shape and take the steps.
		type user struct {
			DisplayName string  `strata:"displayName"`
			UserName    *string `strata:"userName"`
		}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			us, err := strata.Collect[user](tx.Table("users"))
			if err != nil {
				return err
			}
			if len(us) != 300 || us[0].DisplayName == "" || us[0].UserName != nil {
				t.Errorf("typed read of old-shape records: %d, %+v", len(us), us[0])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A document written in the final shape is not rewritten.
		if err := db.Mutation(ctx, func(tx *strata.Tx) error {
			_, err := tx.Insert("users", strata.Doc{"displayName": "u-new", "email": "e"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		st, err = m.Compact(ctx, "users")
		if err != nil || st.State != migrate.Completed || st.Changed != 300 {
			t.Fatalf("compact: %+v %v", st, err)
		}
		if info, err := migrate.Shapes(ctx, db, "users"); err != nil || info.Pending() != 0 || info.Current != 2 {
			t.Fatalf("shapes after compact: %+v %v", info, err)
		}
		n := 0
		eachUser(t, db, func(strata.Doc) { n++ })
		if n != 301 {
			t.Fatalf("%d documents after compact", n)
		}
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Fatal(err)
		}
		if st, err := m.Compact(ctx, "users"); err != nil || !strings.Contains(st.Message, "nothing to compact") {
			t.Fatalf("second compact: %+v %v", st, err)
		}
	})
}

// TestShapeCap: a table's chain holds at most strata.MaxShapeSteps steps;
// the next migration compacts the table first, and says so.
func TestShapeCap(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	renameUsers(t, db, 20)
	m := migrate.New(db)
	add := func(i int) (migrate.Status, error) {
		f := parseFile(t, fmt.Sprintf(`{"name":"add%d","operations":[{"add_field":{"table":"users","field":"f%d","type":"string","default":"x"}}]}`, i, i))
		st, err := m.Start(ctx, f)
		if err != nil {
			return st, err
		}
		return m.Complete(ctx, f.Name)
	}
	for i := 0; i < strata.MaxShapeSteps; i++ {
		if st, err := add(i); err != nil || st.State != migrate.Completed {
			t.Fatalf("migration %d: %+v %v", i, st, err)
		}
	}
	if info, err := migrate.Shapes(ctx, db, "users"); err != nil || info.Pending() != strata.MaxShapeSteps {
		t.Fatalf("shapes at the cap: %+v %v", info, err)
	}
	f := parseFile(t, fmt.Sprintf(`{"name":"add%d","operations":[{"add_field":{"table":"users","field":"f%d","type":"string","default":"x"}}]}`, strata.MaxShapeSteps, strata.MaxShapeSteps))
	st, err := m.Start(ctx, f)
	if err != nil || st.State != migrate.Ready || !strings.Contains(st.Message, "compacted it first (20 records rewritten)") {
		t.Fatalf("past the cap: %+v %v", st, err)
	}
	if info, err := migrate.Shapes(ctx, db, "users"); err != nil || info.Pending() != 1 {
		t.Fatalf("shapes after the compaction and the step: %+v %v", info, err)
	}
	if _, err := m.Complete(ctx, f.Name); err != nil {
		t.Fatal(err)
	}
	eachUser(t, db, func(d strata.Doc) {
		if d.StringOr("f0", "") != "x" || d.StringOr(fmt.Sprintf("f%d", strata.MaxShapeSteps), "") != "x" {
			t.Errorf("document: %v", d)
		}
	})
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Fatal(err)
	}
}
