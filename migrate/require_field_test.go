package migrate_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestRequireFieldLifecycle: require_field through start, complete and
// rollback on a real database. Documents that lack the field get the
// default or the value converted from another field; an insert without
// it while the migration is active gets it too; complete makes the field
// required; rollback leaves it optional with the filled values kept.
// Options.BatchSize and MaxBatchSize bound the batches of every step.
func TestRequireFieldLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, testRequireFieldLifecycle)
}

func testRequireFieldLifecycle(t *testing.T, db *strata.DB) {
	for _, end := range []string{"complete", "rollback"} {
		table := "people_" + end
		s, _ := strata.NewSchema(strata.Table(table, v.Object{"name": v.String(), "age": v.Optional(v.Int64()), "ageText": v.Optional(v.String())}))
		if err := db.SetSchema(ctx, s); err != nil {
			t.Fatal(err)
		}
		docs := []strata.Doc{
			{"name": "has", "age": int64(7)},
			{"name": "text", "ageText": "42"},
			{"name": "junk", "ageText": "old"},
			{"name": "none"},
		}
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := 0; i < 60; i++ { // several batches
				if _, err := tx.Insert(table, docs[i%len(docs)]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f := parseFile(t, `{"name": "require_age_`+end+`", "operations": [{"require_field": {"table": "`+table+`", "field": "age", "type": "int64", "from": "ageText", "convert": "to_int64", "default": 0}}]}`)
		// Options' batch settings apply to declarative steps: 60
		// documents in batches of at most 10.
		batches, biggest := 0, 0
		m := migrate.New(db, migrate.Options{Rewrite: true, BatchSize: 10, MaxBatchSize: 10, OnProgress: func(p migrate.Progress) {
			batches++
			biggest = max(biggest, p.BatchSize)
		}})
		if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
			t.Fatalf("%s: start: %+v %v", end, st, err)
		}
		if batches < 6 || biggest > 10 {
			t.Errorf("%s: start ran %d batches of at most %d documents, want at least 6 of at most 10", end, batches, biggest)
		}
		if isRequired(db, table, "age") {
			t.Fatalf("%s: age is required before complete", end)
		}
		// A writer that does not know the field yet.
		err = db.Mutation(ctx, func(tx *strata.Tx) error {
			_, err := tx.Insert(table, strata.Doc{"name": "late", "ageText": "5"})
			return err
		})
		if err != nil {
			t.Fatalf("%s: insert while ready: %v", end, err)
		}
		want := map[string]int64{"has": 7, "text": 42, "junk": 0, "none": 0, "late": 5}
		check := func(phase string) {
			t.Helper()
			err := db.Query(ctx, func(tx *strata.Tx) error {
				all, err := tx.Table(table).Collect()
				if err != nil {
					return err
				}
				for _, d := range all {
					if got, ok := d["age"].(int64); !ok || got != want[d["name"].(string)] {
						t.Errorf("%s %s: %v has age %v, want %d", end, phase, d["name"], d["age"], want[d["name"].(string)])
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		check("ready")
		name := "require_age_" + end
		if end == "complete" {
			if st, err := m.Complete(ctx, name); err != nil || st.State != migrate.Completed {
				t.Fatalf("complete: %+v %v", st, err)
			}
			if !isRequired(db, table, "age") {
				t.Errorf("after complete age is not required: %v", db.Schema().Tables[table])
			}
			err := db.Mutation(ctx, func(tx *strata.Tx) error {
				_, err := tx.Insert(table, strata.Doc{"name": "after"})
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "age") {
				t.Errorf("an insert without age after complete: %v, want refused", err)
			}
		} else {
			if st, err := m.Rollback(ctx, name); err != nil || st.State != migrate.RolledBack {
				t.Fatalf("rollback: %+v %v", st, err)
			}
			if isRequired(db, table, "age") {
				t.Errorf("after rollback age is required")
			}
		}
		check("after " + end)
	}
}
