package strata_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

// TestPushWriterAcrossPending forces the interleaving in which a write
// transaction reads the schema from before a push registers its pending
// schema and commits a document the pending schema refuses only after
// the push's check has read the end of the table. The push must not
// activate over that document: the writer conflicts and, retried under
// the pending schema, makes the push refuse it by name.
//
// On PostgreSQL the writer is held open across the registration and the
// whole check. On SQLite, whose write transactions run one at a time,
// the writer begins just before the registration and is held until the
// registration waits behind it, the closest interleaving it allows.
func TestPushWriterAcrossPending(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		db := open(t)
		push(t, db, mustSchema(t, usersV1()), strata.PushOptions{})
		const seeded = 600
		for lo := 0; lo < seeded; lo += 100 {
			var docs []strata.Doc
			for i := lo; i < lo+100; i++ {
				docs = append(docs, strata.Doc{"name": fmt.Sprint("u", i), "avatarUrl": "a.png"})
			}
			insert(t, db, "users", docs...)
		}
		required := mustSchema(t, strata.Table("users", v.Object{"name": v.String(), "avatarUrl": v.String()}))

		var turns bool
		mutate(t, db, func(tx *strata.Tx) error { turns = strata.TakesTurns(tx); return nil })
		began, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		attempts := 0
		var late strata.ID
		startWriter := func() {
			go func() {
				done <- db.Mutation(ctx, func(tx *strata.Tx) error {
					attempts++
					if attempts == 1 {
						close(began) // the schema head is read
						if turns {
							for !tx.WritersWaiting() {
								time.Sleep(time.Millisecond)
							}
						} else {
							<-release
						}
					}
					var err error
					late, err = tx.Insert("users", strata.Doc{"name": "late, no avatar"})
					return err
				})
			}()
			<-began
		}
		if !turns {
			startWriter()
		}
		var werr error
		opts := strata.PushOptions{BatchSize: 70, Progress: func(p strata.Progress) {
			if p.Phase == "check" && p.Done == seeded {
				// The check has read the end of the table.
				if !turns {
					close(release)
				}
				werr = <-done
			}
		}}
		opts = strata.PushOptionsBeforePending(opts, func() {
			if turns {
				startWriter()
			}
		})
		_, err := db.Push(ctx, required, opts)
		if werr != nil {
			t.Fatalf("writer: %v", werr)
		}
		// Refused by the check (SQLite: the document committed before it)
		// or by the write itself (PostgreSQL: retried under the pending
		// schema); either way naming the document.
		var re *strata.PushRefusedError
		if !errors.As(err, &re) || !refusalNames(re, late) {
			t.Fatalf("push over a late violating write (document %s): %v", late, err)
		}
		if !turns && attempts < 2 {
			t.Errorf("the writer committed across the check without a conflict")
		}
		if s := db.Schema(); s.Tables["users"].Fields["avatarUrl"].Kind() != v.KindOptional {
			t.Errorf("schema changed by a refused push: %v", s.Tables["users"].Fields)
		}
	})
}

// refusalNames reports whether a refused push names document id, as the
// write that broke the pending schema or as an offending document.
func refusalNames(re *strata.PushRefusedError, id strata.ID) bool {
	if re.Document == id {
		return true
	}
	for _, o := range re.Samples {
		if o.ID == id {
			return true
		}
	}
	return false
}
