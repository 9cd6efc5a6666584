package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/seed"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// demoMigrations is the second half of the demo: schema changes done with
// the engine while simulated application traffic — writers of the old and
// of the new version — keeps running, ending with a summary that shows
// nothing was lost.
func demoMigrations(ctx context.Context, db *strata.DB, say func(string, ...any)) error {
	users, err := userIDs(ctx, db)
	if err != nil {
		return err
	}
	traffic := startTraffic(ctx, db, users)
	defer traffic.finish()
	required, err := demoRequiredRefused(ctx, db, say)
	if err != nil {
		return err
	}
	// Old writers keep inserting users without avatarUrl: the application
	// fills it in on write from now until the schema requires it (step 9),
	// so no insert slips in between the backfill and the push.
	remove := db.AddWriteTransform("users", fillAvatarURL)
	defer remove()
	if err := demoBackfill(ctx, db, required, say); err != nil {
		return err
	}
	if err := demoRename(ctx, db, traffic, say); err != nil {
		return err
	}
	traffic.finish()
	return demoSummary(ctx, db, traffic, say)
}

// demoRequiredRefused makes avatarUrl required in a dry-run push (step 7),
// which is refused while documents lack it, and returns that schema.
func demoRequiredRefused(ctx context.Context, db *strata.DB, say func(string, ...any)) (*strata.Schema, error) {
	required, err := seed.FinalSchema()
	if err != nil {
		return nil, err
	}
	required.Tables["users"].Fields["avatarUrl"] = v.String()
	_, err = db.Push(ctx, required, strata.PushOptions{DryRun: true})
	var refusedPush *strata.PushRefusedError
	if !errors.As(err, &refusedPush) {
		return nil, fmt.Errorf("demo: expected the push of a required avatarUrl to be refused, got %v", err)
	}
	say("7. push avatarUrl required → refused: %d documents lack it (%s)", refusedPush.Count, refusedPush.Violations[0].Message)
	return required, nil
}

// fillAvatarURL is the write transform that gives a user written without
// avatarUrl the default one.
func fillAvatarURL(old, next strata.Doc) (strata.Doc, error) {
	if next.Has("avatarUrl") {
		return next, nil
	}
	out := next.Fields()
	out[strata.FieldID], out[strata.FieldCreationTime] = next.ID(), next.CreationTime()
	out["avatarUrl"] = seed.DefaultAvatar(next.StringOr("name", ""))
	return out, nil
}

// demoBackfill fills in avatarUrl with a tracked backfill (step 8), after
// which the push of required is accepted (step 9).
func demoBackfill(ctx context.Context, db *strata.DB, required *strata.Schema, say func(string, ...any)) error {
	m := migrate.New(db)
	m.Define(migrate.Migration{
		Name: "backfill_avatar_url", Table: "users", TransformWrites: true,
		MigrateOne: func(u strata.Doc) (strata.Patch, error) {
			if u.Has("avatarUrl") {
				return nil, nil
			}
			return strata.Patch{"avatarUrl": seed.DefaultAvatar(u.StringOr("name", ""))}, nil
		},
	})
	st, err := m.Run(ctx, "backfill_avatar_url")
	if err != nil {
		return err
	}
	say("8. tracked backfill %s: %s, %d visited, %d changed in %d batches; old-version inserts during it arrived migrated", st.Name, st.State, st.Processed, st.Changed, st.Batches)
	if _, err := db.Push(ctx, required, strata.PushOptions{Wait: true}); err != nil {
		return fmt.Errorf("demo: push after the backfill: %w", err)
	}
	say("9. push avatarUrl required after the backfill → accepted")
	return nil
}

// demoRename renames posts.content → body with the declarative engine
// (steps 10 and 11) while v1 writes content and v2 writes body.
func demoRename(ctx context.Context, db *strata.DB, traffic *demoTraffic, say func(string, ...any)) error {
	f, err := op.ParseFile([]byte(`{"name":"004_rename_post_content","operations":[{"rename_field":{"table":"posts","from":"content","to":"body"}}]}`))
	if err != nil {
		return err
	}
	// v2 ships once the expanded schema is live: after Start, which is
	// instant (on the rewriting path, after its first batch).
	m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) { traffic.phase.CompareAndSwap(phaseBefore, phaseRenaming) }})
	t0 := time.Now()
	st, err := m.Start(ctx, f)
	if err != nil {
		return err
	}
	startTime := time.Since(t0)
	traffic.phase.CompareAndSwap(phaseBefore, phaseRenaming)
	how := "instant: no post rewritten, each is read in the new shape"
	if st.Batches > 0 {
		how = fmt.Sprintf("%d documents rewritten in %d batches", st.Changed, st.Batches)
	}
	say("10. migrate start %s: %s in %s (%s; v1 writes content, v2 writes body; both kept in step)", f.Name, st.State, startTime.Round(time.Millisecond), how)
	time.Sleep(50 * time.Millisecond)
	traffic.phase.Store(phaseCompleted)
	t0 = time.Now()
	if st, err = m.Complete(ctx, f.Name); err != nil {
		return err
	}
	say("11. migrate complete: %s in %s; every post now reads with body and none with content", st.State, time.Since(t0).Round(time.Millisecond))
	time.Sleep(30 * time.Millisecond)
	t0 = time.Now()
	if st, err = m.Compact(ctx, "posts"); err != nil {
		return err
	}
	say("11b. migrate compact posts: %d of %d posts rewritten in the final shape in %s, in the background batches a migration uses", st.Changed, st.Processed, time.Since(t0).Round(time.Millisecond))
	return nil
}

// demoSummary checks and reports the end state (step 12): the counts,
// the final schema satisfied by every document, and the consistency of
// every index.
func demoSummary(ctx context.Context, db *strata.DB, traffic *demoTraffic, say func(string, ...any)) error {
	c, err := demoCount(ctx, db)
	if err != nil {
		return fmt.Errorf("demo: final check: %w", err)
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		return fmt.Errorf("demo: consistency: %w", err)
	}
	say("12. summary: %d application writes during the migrations (%d by v1, %d by v2), %d refused; %d users (%d without avatarUrl), %d posts (%d in the old shape); every document satisfies the final schema; every index entry matches its document",
		traffic.inserted.Load(), traffic.oldPosts.Load(), traffic.newPosts.Load(), traffic.refused.Load(), c.users, c.noAvatar, c.posts, c.oldShape)
	if traffic.refused.Load() > 0 {
		return fmt.Errorf("demo: %d application writes were refused, first: %v", traffic.refused.Load(), traffic.firstRefusal.Load())
	}
	if c.noAvatar > 0 || c.oldShape > 0 {
		return errors.New("demo: documents left in the old shape")
	}
	return nil
}

// demoCounts are the documents the demo ends with.
type demoCounts struct {
	posts, oldShape int // posts, and those with content or without body
	users, noAvatar int // users, and those without avatarUrl
}

// demoCount counts the posts and users, checking that each satisfies the
// active schema.
func demoCount(ctx context.Context, db *strata.DB) (demoCounts, error) {
	var c demoCounts
	err := db.Query(system.Unlimited(ctx), func(tx *strata.Tx) error { // a check of everything, not application work
		if err := tx.Table("posts").Each(func(d strata.Doc) error {
			c.posts++
			if d.Has("content") || !d.Has("body") {
				c.oldShape++
			}
			return db.Schema().ValidateDocument("posts", d.Fields())
		}); err != nil {
			return err
		}
		return tx.Table("users").Each(func(d strata.Doc) error {
			c.users++
			if !d.Has("avatarUrl") {
				c.noAvatar++
			}
			return db.Schema().ValidateDocument("users", d.Fields())
		})
	})
	return c, err
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
