package migrate_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestPartialMapChecksDocuments: a change_type map without a default
// from a string field is not known total from the schema; start reads
// every document (writing nothing) and refuses, with the count and a
// sample, when one holds a value the map lacks — on the instant and the
// rewriting path — and goes through once every value is mapped.
func TestPartialMapChecksDocuments(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		s, _ := strata.NewSchema(strata.Table("tasks", v.Object{"priority": v.String()}))
		if err := db.SetSchema(ctx, s); err != nil {
			t.Fatal(err)
		}
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for _, p := range []string{"low", "high", "low", "urgent", "urgent"} {
				if _, err := tx.Insert("tasks", strata.Doc{"priority": p}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		file := `{"name":"prio","operations":[{"change_type":{"table":"tasks","from":"priority","to":"level","type":"int64","map":{"low":1,"high":3}}}]}`
		for _, rewrite := range []bool{false, true} {
			m := migrate.New(db, migrate.Options{Rewrite: rewrite})
			_, err := m.Start(ctx, parseFile(t, file))
			t.Logf("rewrite=%v: %v", rewrite, err)
			if err == nil || !strings.Contains(err.Error(), "2 document") || !strings.Contains(err.Error(), "urgent") || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("rewrite=%v: start with a value the map lacks: %v", rewrite, err)
			}
			if _, err := migrate.StatusOf(ctx, db, "prio"); err == nil {
				t.Errorf("rewrite=%v: the refused migration is still tracked", rewrite)
			}
			if db.Schema().Tables["tasks"].Fields["level"] != nil {
				t.Errorf("rewrite=%v: the schema changed: %v", rewrite, db.Schema().Tables["tasks"])
			}
		}
		mapped := strings.Replace(file, `"high":3}`, `"high":3,"urgent":4}`, 1)
		m := migrate.New(db)
		if st, err := m.Start(ctx, parseFile(t, mapped)); err != nil || st.State != migrate.Ready {
			t.Fatalf("start with every value mapped: %+v %v", st, err)
		}
		if _, err := m.Complete(ctx, "prio"); err != nil {
			t.Fatal(err)
		}
		levels := map[int64]int{}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("tasks").Each(func(d strata.Doc) error {
				n, _ := d.Int("level")
				levels[n]++
				return nil
			})
		})
		if err != nil || levels[1] != 2 || levels[3] != 1 || levels[4] != 2 {
			t.Fatalf("levels %v %v", levels, err)
		}
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
