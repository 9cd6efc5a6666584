package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/seed"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/migrate/op"
	"github.com/strata-db/strata/v"
)

// demoMigrations is the second half of the demo: the seed's schema
// changes done with the engine while simulated application traffic —
// writers of the old and of the new version — keeps running, ending with
// a summary that shows nothing was lost.
func demoMigrations(ctx context.Context, db *strata.DB, say func(string, ...any)) error {
	var (
		stop               sync.WaitGroup
		done               = make(chan struct{})
		inserted, refused  atomic.Int64
		oldPosts, newPosts atomic.Int64
		firstRefusal       atomic.Value
		phase              atomic.Int32 // 0: before the rename, 1: rename active, 2: completed
	)
	users, err := userIDs(ctx, db)
	if err != nil {
		return err
	}
	write := func(fn func(tx *strata.Tx) error) {
		if err := db.Mutation(ctx, fn); err != nil {
			if refused.Add(1) == 1 {
				firstRefusal.Store(err.Error())
			}
			return
		}
		inserted.Add(1)
	}
	// The old version of the application writes posts with "content" and
	// users without avatarUrl; the new version writes "body".
	stop.Add(2)
	go func() {
		defer stop.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if phase.Load() == 2 {
				continue // the old version is retired once the rename completes
			}
			write(func(tx *strata.Tx) error {
				now := float64(time.Now().UnixMilli())
				if i%2 == 0 {
					_, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("late user %d", i), "email": fmt.Sprintf("late%d@example.com", i), "createdAt": now, "updatedAt": now})
					return err
				}
				oldPosts.Add(1)
				_, err := tx.Insert("posts", strata.Doc{"title": "old version", "content": "written by v1", "authorId": users[i%len(users)], "status": "draft", "createdAt": now, "updatedAt": now})
				return err
			})
		}
	}()
	go func() {
		defer stop.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(3 * time.Millisecond):
			}
			if phase.Load() == 0 {
				continue // the new version ships with the rename
			}
			write(func(tx *strata.Tx) error {
				now := float64(time.Now().UnixMilli())
				newPosts.Add(1)
				_, err := tx.Insert("posts", strata.Doc{"title": "new version", "body": "written by v2", "authorId": users[i%len(users)], "status": "draft", "createdAt": now, "updatedAt": now})
				return err
			})
		}
	}()
	finish := func() { close(done); stop.Wait() }

	// 7. The seed's avatarUrl: making it required is refused while documents lack it.
	required, err := seed.FinalSchema()
	if err != nil {
		finish()
		return err
	}
	required.Tables["users"].Fields["avatarUrl"] = v.String()
	_, err = db.Push(ctx, required, strata.PushOptions{DryRun: true})
	var refusedPush *strata.PushRefusedError
	if !errors.As(err, &refusedPush) {
		finish()
		return fmt.Errorf("demo: expected the push of a required avatarUrl to be refused, got %v", err)
	}
	say("7. push avatarUrl required → refused: %d documents lack it (%s)", refusedPush.Count, refusedPush.Violations[0].Message)

	// Old writers keep inserting users without avatarUrl: the application
	// fills it in on write from now until the schema requires it (the
	// seed's step 4), so no insert slips in between the backfill and the push.
	remove := db.AddWriteTransform("users", func(old, next strata.Doc) (strata.Doc, error) {
		if next.Has("avatarUrl") {
			return next, nil
		}
		out := next.Fields()
		out[strata.FieldID], out[strata.FieldCreationTime] = next.ID(), next.CreationTime()
		out["avatarUrl"] = seed.DefaultAvatar(next.String("name"))
		return out, nil
	})
	defer remove()
	m := migrate.New(db)
	m.Define(migrate.Migration{
		Name: "backfill_avatar_url", Table: "users", TransformWrites: true,
		MigrateOne: func(u strata.Doc) (strata.Patch, error) {
			if u.Has("avatarUrl") {
				return nil, nil
			}
			return strata.Patch{"avatarUrl": seed.DefaultAvatar(u.String("name"))}, nil
		},
	})
	st, err := m.Run(ctx, "backfill_avatar_url")
	if err != nil {
		finish()
		return err
	}
	say("8. tracked backfill %s: %s, %d visited, %d changed in %d batches; old-version inserts during it arrived migrated", st.Name, st.State, st.Processed, st.Changed, st.Batches)
	if _, err := db.Push(ctx, required, strata.PushOptions{Wait: true}); err != nil {
		finish()
		return fmt.Errorf("demo: push after the backfill: %w", err)
	}
	say("9. push avatarUrl required after the backfill → accepted")

	// 10. Rename posts.content → body with the declarative engine while v1
	// writes content and v2 writes body.
	f, err := op.ParseFile([]byte(`{"name":"004_rename_post_content","operations":[{"rename_field":{"table":"posts","from":"content","to":"body"}}]}`))
	if err != nil {
		finish()
		return err
	}
	// v2 ships once the expanded schema is live (the first batch runs
	// after it was pushed).
	m2 := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) { phase.CompareAndSwap(0, 1) }})
	if st, err = m2.Start(ctx, f); err != nil {
		finish()
		return err
	}
	say("10. migrate start %s: %s after %d documents (v1 writes content, v2 writes body; both kept in step)", f.Name, st.State, st.Processed)
	time.Sleep(50 * time.Millisecond)
	phase.Store(2)
	if st, err = m2.Complete(ctx, f.Name); err != nil {
		finish()
		return err
	}
	say("11. migrate complete: %s; every post now has body and none has content", st.State)
	time.Sleep(30 * time.Millisecond)
	finish()

	// Summary: counts, the final schema satisfied by every document, and the
	// consistency of every index.
	var posts, withContent, usersN, noAvatar int
	err = db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error { // a check of everything, not application work
		if err := tx.Table("posts").Each(func(d strata.Doc) error {
			posts++
			if d.Has("content") || !d.Has("body") {
				withContent++
			}
			return db.Schema().ValidateDocument("posts", d.Fields())
		}); err != nil {
			return err
		}
		return tx.Table("users").Each(func(d strata.Doc) error {
			usersN++
			if !d.Has("avatarUrl") {
				noAvatar++
			}
			return db.Schema().ValidateDocument("users", d.Fields())
		})
	})
	if err != nil {
		return fmt.Errorf("demo: final check: %w", err)
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		return fmt.Errorf("demo: consistency: %w", err)
	}
	say("12. summary: %d application writes during the migrations (%d by v1, %d by v2), %d refused; %d users (%d without avatarUrl), %d posts (%d in the old shape); every document satisfies the final schema; every index entry matches its document",
		inserted.Load(), oldPosts.Load(), newPosts.Load(), refused.Load(), usersN, noAvatar, posts, withContent)
	if refused.Load() > 0 {
		return fmt.Errorf("demo: %d application writes were refused, first: %v", refused.Load(), firstRefusal.Load())
	}
	if noAvatar > 0 || withContent > 0 {
		return errors.New("demo: documents left in the old shape")
	}
	return nil
}

func userIDs(ctx context.Context, db *strata.DB) ([]strata.ID, error) {
	var ids []strata.ID
	err := db.Query(ctx, func(tx *strata.Tx) error {
		docs, err := tx.Table("users").Take(100)
		for _, d := range docs {
			ids = append(ids, d.ID())
		}
		return err
	})
	return ids, err
}
