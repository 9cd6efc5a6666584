// Package backfill is Convex's backfillAvatarUrl — an internal mutation
// that paginates 100 users, patches those without avatarUrl, and schedules
// itself with the continue cursor until the table is done — written
// one-to-one against strata's functions and scheduler.
//
// The Convex original:
//
//	export const backfillAvatarUrl = internalMutation({
//	  args: { cursor: v.optional(v.string()) },
//	  returns: v.object({ processed: v.number(), hasMore: v.boolean() }),
//	  handler: async (ctx, args) => {
//	    const result = await ctx.db.query("users")
//	      .paginate({ numItems: 100, cursor: args.cursor ?? null });
//	    let processed = 0;
//	    for (const user of result.page) {
//	      if (user.avatarUrl === undefined) {
//	        await ctx.db.patch(user._id, { avatarUrl: generateDefaultAvatar(user.name) });
//	        processed++;
//	      }
//	    }
//	    if (!result.isDone) {
//	      await ctx.scheduler.runAfter(0, internal.migrations.backfillAvatarUrl,
//	        { cursor: result.continueCursor });
//	    }
//	    return { processed, hasMore: !result.isDone };
//	  },
//	});
//
// cmd/backfill is a binary that embeds the strata command line with these
// functions:
//
//	backfill --db sqlite:app.db run users:seed '{"count":{"$integer":"10000"}}'
//	backfill --db sqlite:app.db run migrations:backfillAvatarUrl
//	backfill --db sqlite:app.db scheduled work --until-idle
package backfill

import (
	"context"
	"net/url"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
)

// BatchSize is the page size of one backfill step.
const BatchSize = 100

// User is a document of the users table. AvatarURL is a pointer, so the
// field is optional (step 1 of the "add a required field" pattern: add it
// optional, backfill it, then make it required).
type User struct {
	ID        strata.ID `strata:"_id"`
	Name      string    `strata:"name"`
	Email     string    `strata:"email"`
	AvatarURL *string   `strata:"avatarUrl"`
}

// Schema is the users table, its validator derived from User.
func Schema() (*strata.Schema, error) {
	users, err := strata.TableFor[User]("users")
	if err != nil {
		return nil, err
	}
	return strata.NewSchema(users)
}

// SetUp makes db's active schema Schema.
func SetUp(ctx context.Context, db *strata.DB) error {
	s, err := Schema()
	if err != nil {
		return err
	}
	return db.SetSchema(ctx, s)
}

// DefaultAvatar is generateDefaultAvatar of the Convex original: the URL
// of an initials avatar for name.
func DefaultAvatar(name string) string {
	return "https://api.dicebear.com/7.x/initials/svg?seed=" + url.QueryEscape(name)
}

// BackfillArgs are the arguments of migrations:backfillAvatarUrl.
type BackfillArgs struct {
	Cursor string `strata:"cursor,omitempty"`
}

// BackfillResult is the result of one backfill step.
type BackfillResult struct {
	Processed int64 `strata:"processed"`
	HasMore   bool  `strata:"hasMore"`
}

// SeedArgs are the arguments of users:seed.
type SeedArgs struct {
	Count int64 `strata:"count"`
}

// Register adds migrations:backfillAvatarUrl and users:seed to app. Their
// argument and result validators are derived from the Go types.
func Register(app *functions.App) {
	functions.InternalMutation(app, "migrations:backfillAvatarUrl", func(ctx *functions.Ctx, args BackfillArgs) (BackfillResult, error) {
		result, err := strata.Paginate[User](ctx.Tx.Table("users"), BatchSize, args.Cursor)
		if err != nil {
			return BackfillResult{}, err
		}
		var processed int64
		for _, user := range result.Page {
			if user.AvatarURL == nil {
				if err := ctx.Tx.Patch(user.ID, strata.Patch{"avatarUrl": DefaultAvatar(user.Name)}); err != nil {
					return BackfillResult{}, err
				}
				processed++
			}
		}
		if !result.IsDone {
			if _, err := ctx.Scheduler.RunAfter(0, "migrations:backfillAvatarUrl", BackfillArgs{Cursor: result.ContinueCursor}); err != nil {
				return BackfillResult{}, err
			}
		}
		return BackfillResult{Processed: processed, HasMore: !result.IsDone}, nil
	})

	// users:seed inserts count users, every third one with an avatarUrl
	// already, so the backfill has something to skip.
	functions.InternalMutation(app, "users:seed", func(ctx *functions.Ctx, args SeedArgs) (int64, error) {
		for i := range args.Count {
			u := User{Name: "user " + itoa(i), Email: "user" + itoa(i) + "@example.com"}
			if i%3 == 0 {
				custom := "https://example.com/custom/" + itoa(i) + ".png"
				u.AvatarURL = &custom
			}
			if _, err := ctx.Tx.Insert("users", u); err != nil {
				return 0, err
			}
		}
		return args.Count, nil
	})
}

func itoa(i int64) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	for ; i > 0; i /= 10 {
		p--
		b[p] = byte('0' + i%10)
	}
	return string(b[p:])
}
