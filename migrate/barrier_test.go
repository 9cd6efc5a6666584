package migrate_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
)

// TestTransformWritesWaitsForWritersInFlight: a write transaction of the
// process that inserted before a TransformWrites migration installed its
// transform, and commits while the migration starts, is waited for before
// the high-water mark is taken, so its document is migrated by the scan.
func TestTransformWritesWaitsForWritersInFlight(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		addUsers(t, db, 300)
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		var inserted strata.ID
		wrote := make(chan error, 1)
		go func() {
			wrote <- db.Mutation(ctx, func(tx *strata.Tx) error {
				id, err := tx.Insert("users", strata.Doc{"name": "in flight", "visits": int64(0)})
				if err != nil {
					return err
				}
				inserted = id
				once.Do(func() { close(started) })
				<-release
				return nil
			})
		}()
		<-started
		m := migrate.New(db)
		err := m.Define(migrate.Migration{
			Name: "mark", Table: "users", TransformWrites: true,
			MigrateOne: func(d strata.Doc) (strata.Patch, error) {
				if d.Has("marked") {
					return nil, nil
				}
				return strata.Patch{"marked": true}, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		ran := make(chan error, 1)
		go func() {
			_, err := m.Run(ctx, "mark")
			ran <- err
		}()
		time.Sleep(200 * time.Millisecond)
		select {
		case err := <-ran:
			t.Fatalf("the migration ran while a writer that wrote before its transform was in flight: %v", err)
		default:
		}
		if _, err := migrate.StatusOf(ctx, db, "mark"); !errors.Is(err, migrate.ErrUnknown) {
			t.Fatalf("the migration started before the writer in flight ended: %v", err)
		}
		close(release)
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
		if err := <-ran; err != nil {
			t.Fatal(err)
		}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				if !d.Has("marked") {
					t.Errorf("document %s (in flight: %v) was not migrated", d.ID(), d.ID() == inserted)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
