package cli

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/seed"
)

func (a *app) demoCommand() *cobra.Command {
	var (
		dir   string
		users int
		posts int
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "walk through strata on a fresh embedded database",
		Long: `Create a fresh embedded database (in a temporary directory, or --dir), set
the seed's final schema, insert users and posts, and run the seed's
queries: a user read with a fallback for a missing field, the ten newest
published posts through the by_status_and_published index, and a
paginated scan of every user. Then, while simulated traffic from an old
and a new version of the application keeps writing, it walks through the
seed's schema changes with the engine — a required-field push refused,
a tracked backfill, the push accepted, a field renamed with start and
complete — and ends with a summary that proves nothing was lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if users < 1 || posts < 0 {
				return usageErrorf("--users must be at least 1 and --posts at least 0")
			}
			if dir == "" {
				d, err := os.MkdirTemp("", "strata-demo-")
				if err != nil {
					return err
				}
				dir = d
			} else if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			path := filepath.Join(dir, "demo.db")
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("demo: %s already exists; give an empty --dir", path)
			}
			out := a.stdout
			say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
			say("strata demo: embedded database %s", path)

			db, err := strata.Open(ctx, "sqlite:"+path)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := seed.FinalSchema()
			if err != nil {
				return err
			}
			if err := db.SetSchema(ctx, s); err != nil {
				return err
			}
			say("1. schema set: tables migrations, users, posts (posts has 5 indexes)")

			r := rand.New(rand.NewPCG(1, 2))
			start := time.Now()
			var ids []strata.ID
			now := float64(time.Now().UnixMilli())
			for lo := 0; lo < users; lo += 500 {
				err := db.Mutation(ctx, func(tx *strata.Tx) error {
					for i := lo; i < min(lo+500, users); i++ {
						id, err := tx.Insert("users", seed.User(r, i, now))
						if err != nil {
							return err
						}
						ids = append(ids, id)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			for lo := 0; lo < posts; lo += 500 {
				err := db.Mutation(ctx, func(tx *strata.Tx) error {
					for i := lo; i < min(lo+500, posts); i++ {
						if _, err := tx.Insert("posts", seed.Post(r, i, ids[r.IntN(len(ids))], now)); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			say("2. inserted %d users and %d posts in %v (transactions of 500, every write validated)", users, posts, time.Since(start).Round(time.Millisecond))

			// A write the schema refuses changes nothing and says why.
			err = db.Mutation(ctx, func(tx *strata.Tx) error {
				_, err := tx.Insert("users", strata.Doc{"name": "Mallory", "email": int64(42)})
				return err
			})
			say("3. a bad write is refused: %v", err)

			// The seed's getUser: avatarUrl ?? null.
			err = db.Query(ctx, func(tx *strata.Tx) error {
				for _, id := range ids[:2] {
					u, err := tx.Get(id)
					if err != nil {
						return err
					}
					say("4. getUser(%s): name=%q avatarUrl=%q (fallback \"\" when missing: has=%v)",
						id, u.String("name"), u.StringOr("avatarUrl", ""), u.Has("avatarUrl"))
				}
				return nil
			})
			if err != nil {
				return err
			}

			// The seed's getPublishedPosts.
			err = db.Query(ctx, func(tx *strata.Tx) error {
				docs, err := tx.Table("posts").
					WithIndex("by_status_and_published", strata.Eq("status", "published")).
					Order(strata.Desc).
					Take(10)
				if err != nil {
					return err
				}
				say("5. ten newest published posts (index by_status_and_published, desc):")
				for _, p := range docs {
					at, _ := p.Float("publishedAt")
					say("     %-10s publishedAt=%s", p.String("title"), time.UnixMilli(int64(at)).UTC().Format(time.DateTime))
				}
				return nil
			})
			if err != nil {
				return err
			}

			// A paginated scan, as the seed's backfills do.
			start = time.Now()
			pages, seen, missing := 0, 0, 0
			cursor := ""
			for {
				var page strata.Page
				err := db.Query(ctx, func(tx *strata.Tx) error {
					var err error
					page, err = tx.Table("users").Paginate(100, cursor)
					return err
				})
				if err != nil {
					return err
				}
				pages++
				seen += len(page.Page)
				for _, u := range page.Page {
					if !u.Has("avatarUrl") {
						missing++
					}
				}
				cursor = page.ContinueCursor
				if page.IsDone {
					break
				}
			}
			say("6. paginated every user: %d pages of 100, %d users, %d without avatarUrl (a backfill's work) in %v",
				pages, seen, missing, time.Since(start).Round(time.Millisecond))
			if seen != users {
				return fmt.Errorf("demo: pagination saw %d users, want %d", seen, users)
			}
			if err := demoMigrations(ctx, db, say); err != nil {
				return err
			}
			say("done. Inspect it: strata --db sqlite:%s data users --limit 5", path)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the demo database (default: a new temporary directory)")
	cmd.Flags().IntVar(&users, "users", 3000, "number of users to insert")
	cmd.Flags().IntVar(&posts, "posts", 5000, "number of posts to insert")
	return cmd
}
