package migrate_test

import (
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// TestInterruptedCompleteReleasesLease: a Complete whose context ends
// keeps the migration completing but gives up its lease, so another
// process continues it at once instead of waiting for the lease to
// expire.
func TestInterruptedCompleteReleasesLease(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		renameUsers(t, db, 450)
		if st, err := migrate.New(db, rewrite).Start(ctx, parseFile(t, renameFile)); err != nil || st.State != migrate.Ready {
			t.Fatalf("start: %+v %v", st, err)
		}
		cctx, stop := contextAfterBatches(2)
		st, err := migrate.New(db, migrate.Options{Rewrite: true, OnProgress: stop}).Complete(cctx, "010_rename")
		if err == nil {
			t.Fatalf("complete ran to the end despite its context: %+v", st)
		}
		st, err = migrate.StatusOf(ctx, db, "010_rename")
		if err != nil {
			t.Fatal(err)
		}
		if st.State != migrate.Completing || st.LeaseOwner != "" {
			t.Fatalf("after the interruption: state %s, lease owner %q; want completing with no lease", st.State, st.LeaseOwner)
		}
		other := migrate.New(db, rewrite) // another process: another owner
		if st, err = other.Continue(ctx, "010_rename"); err != nil || st.State != migrate.Completed {
			t.Fatalf("continue elsewhere: %+v %v", st, err)
		}
		eachUser(t, db, func(d strata.Doc) {
			if !d.Has("displayName") || d.Has("userName") {
				t.Errorf("document %s after complete: %v", d.ID(), d)
			}
		})
	})
}
