package migrate_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestWriterAcrossSwitch forces the interleaving in which an application
// write transaction reads the schema (and so the write transforms) from
// before a migration's switch, and commits only after the switch and
// after the pass's high-water mark was taken, with a document created
// above that mark. The pass skips documents above the mark (they were
// written transformed), so such a write must either commit in time for
// the mark to see it or fail and be retried under the new transforms.
//
// On PostgreSQL the writer is held open across the switch and the mark.
// On SQLite, whose write transactions run one at a time, that cannot
// happen: the writer begins just before the switch and is held until the
// switch's push waits behind it, the closest interleaving the backend
// allows.
func TestWriterAcrossSwitch(t *testing.T) {
	t.Parallel()
	for _, rewriting := range []bool{true, false} {
		for _, phase := range []string{"expand", "contract"} {
			name := phase
			if !rewriting {
				name += "/instant"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				eachBackend(t, func(t *testing.T, db *strata.DB) {
					testWriterAcrossSwitch(t, db, phase, rewriting)
				})
			})
		}
	}
}

// On the instant path the writer's record carries the shape it was
// written under, so a writer that commits across the switch needs no
// retry: its document is read in the new shape either way.
func testWriterAcrossSwitch(t *testing.T, db *strata.DB, phase string, rewriting bool) {
	s, err := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	// Enough documents that on PostgreSQL the table's newest index
	// entries sit on other B-tree pages than the system tables' (whose
	// page-level predicate locks would otherwise make the writer conflict
	// by accident).
	for lo := 0; lo < 2000; lo += 500 {
		err = db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < lo+500; i++ {
				if _, err := tx.Insert("users", strata.Doc{"userName": fmt.Sprintf("seed-%d", i), "email": "s@x"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	m := migrate.New(db, migrate.Options{Rewrite: rewriting})
	f := parseFile(t, `{"name":"rename","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)
	if phase == "contract" {
		if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
			t.Fatalf("start: %+v %v", st, err)
		}
	}

	var turns bool // write transactions run one at a time
	if err := db.Mutation(ctx, func(tx *strata.Tx) error { turns = migrate.Sys.TakesTurns(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	began, marked := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	attempts := 0
	startWriter := func() {
		go func() {
			done <- db.Mutation(ctx, func(tx *strata.Tx) error {
				attempts++
				if attempts == 1 {
					// The transaction has read the schema before the switch.
					close(began)
					if turns {
						for !tx.WritersWaiting() {
							time.Sleep(time.Millisecond)
						}
					} else {
						<-marked
					}
				}
				// Old code: writes the old field only. On the instant
				// path a complete's switch goes straight to the final
				// schema, which refuses old-shape writes (complete runs
				// once no code writes the old shape): new code writes.
				doc := strata.Doc{"userName": "late", "email": "w@x"}
				if !rewriting && phase == "contract" {
					doc = strata.Doc{"displayName": "late", "email": "w@x"}
				}
				_, err := tx.Insert("users", doc)
				return err
			})
		}()
		<-began
	}
	if !turns {
		startWriter()
	}
	var werr error
	migrate.SetHooks(m, func(p string) {
		if p == phase && turns {
			startWriter()
		}
	}, func(p string) {
		if p == phase {
			close(marked)
			werr = <-done
		}
	})
	if phase == "expand" {
		st, err := m.Start(ctx, f)
		if err != nil || st.State != migrate.Ready {
			t.Fatalf("start: %+v %v", st, err)
		}
		if werr != nil {
			t.Fatalf("writer: %v", werr)
		}
		// Ready: every document has both fields, equal.
		err = db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				if !d.Has("displayName") || d.StringOr("displayName", "") != d.StringOr("userName", "") {
					t.Errorf("after start: document not migrated: %v", d)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		st, err := m.Complete(ctx, f.Name)
		if err != nil || st.State != migrate.Completed {
			t.Fatalf("complete: %+v %v", st, err)
		}
		if werr != nil {
			t.Fatalf("writer: %v", werr)
		}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				if d.Has("userName") || !d.Has("displayName") {
					t.Errorf("after complete: document not in the final shape: %v", d)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if rewriting && !turns && attempts < 2 {
		t.Errorf("the writer committed across the switch without a conflict")
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Fatal(err)
	}
}
