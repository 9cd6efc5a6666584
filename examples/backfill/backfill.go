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
	"github.com/strata-db/strata/v"
)

// BatchSize is the page size of one backfill step.
const BatchSize = 100

// Schema is the users table with avatarUrl still optional (step 1 of the
// "add a required field" pattern: add it optional, backfill it, then make
// it required).
func Schema() (*strata.Schema, error) {
	return strata.NewSchema(strata.Table("users", v.Object{
		"name":      v.String(),
		"email":     v.String(),
		"avatarUrl": v.Optional(v.String()),
	}))
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

// Register adds migrations:backfillAvatarUrl and users:seed to app.
func Register(app *functions.App) {
	app.InternalMutation("migrations:backfillAvatarUrl", functions.Def{
		Args:    v.Object{"cursor": v.Optional(v.String())},
		Returns: v.Object{"processed": v.Int64(), "hasMore": v.Boolean()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			result, err := ctx.Tx.Table("users").Paginate(BatchSize, args.StringOr("cursor", ""))
			if err != nil {
				return nil, err
			}
			var processed int64
			for _, user := range result.Page {
				if !user.Has("avatarUrl") {
					err := ctx.Tx.Patch(user.ID(), strata.Patch{"avatarUrl": DefaultAvatar(user.StringOr("name", ""))})
					if err != nil {
						return nil, err
					}
					processed++
				}
			}
			if !result.IsDone {
				_, err := ctx.Scheduler.RunAfter(0, "migrations:backfillAvatarUrl", map[string]any{"cursor": result.ContinueCursor})
				if err != nil {
					return nil, err
				}
			}
			return map[string]any{"processed": processed, "hasMore": !result.IsDone}, nil
		},
	})

	// users:seed inserts count users, every third one with an avatarUrl
	// already, so the backfill has something to skip.
	app.InternalMutation("users:seed", functions.Def{
		Args:    v.Object{"count": v.Int64()},
		Returns: v.Int64(),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			n, _ := args.Int("count")
			for i := range n {
				u := strata.Doc{"name": "user " + itoa(i), "email": "user" + itoa(i) + "@example.com"}
				if i%3 == 0 {
					u["avatarUrl"] = "https://example.com/custom/" + itoa(i) + ".png"
				}
				if _, err := ctx.Tx.Insert("users", u); err != nil {
					return nil, err
				}
			}
			return n, nil
		},
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
