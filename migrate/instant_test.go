package migrate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// countBuilds returns the number of index builds ever staged.
func countBuilds(t testing.TB, db *strata.DB) int {
	t.Helper()
	n := 0
	err := db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("_index_builds").Each(func(strata.Doc) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestInstantIndexes: an index over a renamed field keeps its entries
// (no build is staged; its keys are the same) and answers on the new
// field; an index added on the new field while old records are pending
// is built from the logical documents.
func TestInstantIndexes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		s, _ := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}).Index("by_name", "userName"))
		if err := db.SetSchema(ctx, s); err != nil {
			t.Fatal(err)
		}
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for _, n := range []string{"ada", "bob", "cy", "ada"} {
				if _, err := tx.Insert("users", strata.Doc{"userName": n, "email": n + "@x"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		builds := countBuilds(t, db)
		m := migrate.New(db)
		if _, err := m.Start(ctx, parseFile(t, `{"name":"rn","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}},{"add_index":{"table":"users","name":"by_email","fields":["email"]}}]}`)); err != nil {
			t.Fatal(err)
		}
		// An index on the new field, pushed by hand while every record is
		// of the old shape.
		withIdx, _ := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "displayName": v.String(), "email": v.String()}).
			Index("by_name", "userName").Index("by_email", "email").Index("by_display", "displayName"))
		if _, err := db.Push(ctx, withIdx, strata.PushOptions{Wait: true}); err == nil {
			t.Log("pushed by_display during the migration")
		} else if !strings.Contains(err.Error(), "migration") {
			t.Fatalf("push: %v", err)
		}
		if _, err := m.Complete(ctx, "rn"); err != nil {
			t.Fatal(err)
		}
		if got := countBuilds(t, db) - builds; got != 1 && got != 2 {
			t.Errorf("%d index builds staged, want 1 (by_email; by_name kept its entries) or 2 (with by_display)", got)
		}
		var adas int
		err = db.Query(ctx, func(tx *strata.Tx) error {
			docs, err := tx.Table("users").WithIndex("by_name", strata.Eq("displayName", "ada")).Collect()
			adas = len(docs)
			return err
		})
		if err != nil || adas != 2 {
			t.Fatalf("by_name on displayName: %d %v", adas, err)
		}
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestGoMigrationOverShapes: a Go migration (its code is not recorded)
// runs over records of older shapes: it reads the logical documents and
// its patches write the current shape.
func TestGoMigrationOverShapes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		renameUsers(t, db, 150)
		m := migrate.New(db)
		if _, err := m.Start(ctx, parseFile(t, renameFile)); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Complete(ctx, "010_rename"); err != nil {
			t.Fatal(err)
		}
		err := m.Define(migrate.Migration{Name: "upper", Table: "users", MigrateOne: func(d strata.Doc) (strata.Patch, error) {
			name := d.StringOr("displayName", "")
			if name == "" || d.Has("userName") {
				t.Errorf("the Go migration read %v", d)
			}
			return strata.Patch{"displayName": strings.ToUpper(name)}, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := m.Run(ctx, "upper"); err != nil || st.Changed != 150 {
			t.Fatalf("run: %+v %v", st, err)
		}
		eachUser(t, db, func(d strata.Doc) {
			if n := d.StringOr("displayName", ""); n != strings.ToUpper(n) || d.Has("userName") {
				t.Errorf("after the Go migration: %v", d)
			}
		})
		if st, err := m.Compact(ctx, "users"); err != nil || st.Changed != 0 {
			t.Errorf("compact after the Go migration rewrote every record: %+v %v", st, err)
		}
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestInstantRollbackChecks: rolling back the removal of a required
// field is refused, naming the documents written without it meanwhile,
// and changes nothing; once they are gone it goes through, and the
// documents read with the field again.
func TestInstantRollbackChecks(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		renameUsers(t, db, 30)
		m := migrate.New(db)
		if _, err := m.Start(ctx, parseFile(t, `{"name":"rm","operations":[{"remove_field":{"table":"users","field":"email"}}]}`)); err != nil {
			t.Fatal(err)
		}
		var id strata.ID
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			var err error
			id, err = tx.Insert("users", strata.Doc{"userName": "new code"}) // no email: the new shape
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Rollback(ctx, "rm")
		if err == nil || !strings.Contains(err.Error(), string(id)) || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("rollback with a document lacking the field: %v", err)
		}
		if st, _ := migrate.StatusOf(ctx, db, "rm"); st.State != migrate.Ready {
			t.Fatalf("after the refused rollback: %+v", st)
		}
		if err := db.Mutation(ctx, func(tx *strata.Tx) error { return tx.Delete(id) }); err != nil {
			t.Fatal(err)
		}
		if st, err := m.Rollback(ctx, "rm"); err != nil || st.State != migrate.RolledBack {
			t.Fatalf("rollback: %+v %v", st, err)
		}
		eachUser(t, db, func(d strata.Doc) {
			if d.StringOr("email", "") == "" {
				t.Errorf("after rollback: %v", d)
			}
		})
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestServeCompacts: a serving Migrator compacts a table whose migration
// has ended, by itself.
func TestServeCompacts(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	renameUsers(t, db, 200)
	m := migrate.New(db)
	if _, err := m.Start(ctx, parseFile(t, renameFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(ctx, "010_rename"); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Serve(sctx, 20*time.Millisecond) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := migrate.Shapes(ctx, db, "users")
		if err != nil {
			t.Fatal(err)
		}
		if info.Pending() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Serve did not compact: %+v", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Fatal(err)
	}
}

// TestStaleReaderSeesNewShape: a process whose cached schema predates an
// instant migration reads old records in the new shape, whether its
// read-only transaction starts with a Get (the PostgreSQL backend's
// direct read path) or a query.
func TestStaleReaderSeesNewShape(t *testing.T) {
	t.Parallel()
	eachProcBackend(t, func(t *testing.T, b procBackend) {
		db, url := procDB(t, b)
		renameUsers(t, db, 20)
		other, err := strata.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		var id strata.ID
		err = other.Query(ctx, func(tx *strata.Tx) error { // caches the schema
			d, err := tx.Table("users").First()
			id = d.ID()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		m := migrate.New(db)
		if _, err := m.Start(ctx, parseFile(t, renameFile)); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Complete(ctx, "010_rename"); err != nil {
			t.Fatal(err)
		}
		err = other.Query(ctx, func(tx *strata.Tx) error {
			d, err := tx.Get(id)
			if err == nil && (d.Has("userName") || !d.Has("displayName")) {
				t.Errorf("a Get in a stale process read %v", d)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = other.Query(ctx, func(tx *strata.Tx) error {
			docs, err := tx.Table("users").Take(5)
			for _, d := range docs {
				if d.Has("userName") || !d.Has("displayName") {
					t.Errorf("a query in a stale process read %v", d)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
