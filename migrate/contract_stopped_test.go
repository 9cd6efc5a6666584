package migrate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestContractPassStopped: a complete whose contract pass stopped part-way
// and was then recorded failed (a batch failed) or paused is still
// completing, whatever its state says: some documents have lost the old field. Start must refuse it
// (before, it pushed the expanded schema again and reported ready while
// documents lacked the old field), and complete must finish it.
func TestContractPassStopped(t *testing.T) {
	t.Parallel()
	for _, state := range []migrate.State{migrate.Paused, migrate.Failed} {
		t.Run(string(state), func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, db *strata.DB) {
				testContractPassStopped(t, db, state)
			})
		})
	}
}

func testContractPassStopped(t *testing.T, db *strata.DB, state migrate.State) {
	s, err := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range 1000 {
			if _, err := tx.Insert("users", strata.Doc{"userName": fmt.Sprintf("u%d", i), "email": "e"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	contracting := false
	m := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: func(p migrate.Progress) {
		if contracting {
			cancel() // stop the contract pass after its first batch
		}
	}})
	f := parseFile(t, `{"name":"rename","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)
	if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
		t.Fatalf("start: %+v %v", st, err)
	}
	migrate.SetHooks(m, nil, func(p string) { contracting = p == "contract" })
	if _, err := m.Complete(cctx, "rename"); err == nil {
		t.Fatal("complete was not interrupted")
	}
	migrate.SetHooks(m, nil, nil)
	contracting = false
	st, err := m.Status(ctx, "rename")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != migrate.Completing {
		t.Fatalf("interrupted complete left %s, want completing", st.State)
	}
	// What a contract batch that fails records (failed), or what an
	// operator's pause records (paused).
	err = db.Mutation(system.Unlimited(ctx), func(tx *strata.Tx) error {
		return migrate.Sys.Patch(tx, st.ID, map[string]any{"state": string(state), "error": "a batch failed"})
	})
	if err != nil {
		t.Fatal(err)
	}
	lost := func() int {
		n := 0
		err := db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				if !d.Has("userName") {
					n++
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := lost(); n == 0 || n == 1000 {
		t.Fatalf("the contract pass stopped with %d of 1000 documents contracted; want part of them", n)
	}
	if st, err := m.Start(ctx, f); err == nil || !strings.Contains(err.Error(), "completing") {
		t.Fatalf("start of a migration whose contract pass stopped: %+v %v; want a refusal saying it is completing", st, err)
	}
	st, err = m.Complete(ctx, "rename")
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("complete after the contract pass stopped: %+v %v", st, err)
	}
	if n := lost(); n != 1000 {
		t.Errorf("after complete %d of 1000 documents lack userName; want all", n)
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Fatal(err)
	}
}
