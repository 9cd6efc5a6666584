package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/seed"
	"github.com/strata-db/strata/storage"
)

// demoOptions are the flags of strata demo.
type demoOptions struct {
	dir          string
	url          string // --db, when given: the demo runs there instead
	users, posts int
}

func (a *app) demoCommand() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "walk through strata on a fresh embedded database (or the empty one --db names)",
		Long: `Create a fresh embedded database (in a temporary directory, or --dir; or
use the empty database --db names, such as a PostgreSQL one), set
a blog's schema (tables migrations, users and posts), insert users and
posts, and run the blog's queries: a user read with a fallback for a
missing field, the ten newest published posts through the
by_status_and_published index, and a paginated scan of every user. Then,
while simulated traffic from an old and a new version of the application
keeps writing, it walks through schema changes with the engine — a
required-field push refused, a tracked backfill, the push accepted, a
field renamed with start and complete — and ends with a summary that
proves nothing was lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("db") {
				if o.dir != "" {
					return usageErrorf("demo: give --db or --dir, not both")
				}
				o.url = a.dbURL
			}
			return a.runDemo(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", "", "directory for the demo database (default: a new temporary directory)")
	cmd.Flags().IntVar(&o.users, "users", 3000, "number of users to insert")
	cmd.Flags().IntVar(&o.posts, "posts", 5000, "number of posts to insert")
	return cmd
}

// runDemo runs strata demo: each step prints one numbered line.
func (a *app) runDemo(ctx context.Context, o demoOptions) error {
	if o.users < 1 || o.posts < 0 {
		return usageErrorf("--users must be at least 1 and --posts at least 0")
	}
	out := a.stdout
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	db, inspect, err := a.openDemo(ctx, o, say)
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
	ids, err := demoInsert(ctx, db, o.users, o.posts, say)
	if err != nil {
		return err
	}
	demoBadWrite(ctx, db, say)
	if err := demoGetUsers(ctx, db, ids[:min(2, len(ids))], say); err != nil {
		return err
	}
	if err := demoPublished(ctx, db, say); err != nil {
		return err
	}
	if err := demoPaginate(ctx, db, o.users, say); err != nil {
		return err
	}
	if err := demoMigrations(ctx, db, say); err != nil {
		return err
	}
	say("done. Inspect it: strata --db %s data users --limit 5", inspect)
	return nil
}

// openDemo opens the demo's database: the one --db names, which must
// hold no documents, or a new SQLite file (see demoPath). It returns the
// --db value to inspect it with, its password masked.
func (a *app) openDemo(ctx context.Context, o demoOptions, say func(string, ...any)) (*strata.DB, string, error) {
	if o.url == "" {
		path, err := demoPath(o.dir)
		if err != nil {
			return nil, "", err
		}
		say("strata demo: embedded database %s", path)
		db, err := strata.Open(ctx, "sqlite:"+path)
		return db, "sqlite:" + path, err
	}
	shown := storage.Redact(o.url)
	db, err := strata.Open(ctx, o.url)
	if err != nil {
		return nil, "", err
	}
	var tables []string
	err = db.Query(ctx, func(tx *strata.Tx) error {
		var err error
		tables, err = tx.Tables()
		return err
	})
	if err == nil && len(tables) > 0 {
		err = fmt.Errorf("demo: the database %s is not empty (it holds %s): give --db an empty database, or run the demo on a new SQLite file without --db", shown, strings.Join(tables, ", "))
	}
	if err != nil {
		db.Close()
		return nil, "", err
	}
	say("strata demo: database %s", shown)
	return db, shown, nil
}

// demoPath returns the path of a new demo database in dir (made if
// missing), or in a new temporary directory when dir is "". It refuses a
// dir that holds a demo database already.
func demoPath(dir string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "strata-demo-")
		if err != nil {
			return "", err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "demo.db")
	if _, err := os.Stat(path); err == nil {
		return "", fmt.Errorf("demo: %s already exists; give an empty --dir", path)
	}
	return path, nil
}

// demoInsert inserts users and then posts by random authors among them,
// in transactions of 500, and returns the ids of the users.
func demoInsert(ctx context.Context, db *strata.DB, users, posts int, say func(string, ...any)) ([]strata.ID, error) {
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
			return nil, err
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
			return nil, err
		}
	}
	say("2. inserted %d users and %d posts in %v (transactions of 500, every write validated)", users, posts, time.Since(start).Round(time.Millisecond))
	return ids, nil
}

// demoBadWrite shows that a write the schema refuses changes nothing and
// says why.
func demoBadWrite(ctx context.Context, db *strata.DB, say func(string, ...any)) {
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("users", strata.Doc{"name": "Mallory", "email": int64(42)})
		return err
	})
	say("3. a bad write is refused: %v", err)
}

// demoGetUsers reads the users of ids, with "" for a missing avatarUrl
// (user.avatarUrl ?? null in TypeScript).
func demoGetUsers(ctx context.Context, db *strata.DB, ids []strata.ID, say func(string, ...any)) error {
	return db.Query(ctx, func(tx *strata.Tx) error {
		for _, id := range ids {
			u, err := tx.Get(id)
			if err != nil {
				return err
			}
			say("4. getUser(%s): name=%q avatarUrl=%q (fallback \"\" when missing: has=%v)",
				id, u.StringOr("name", ""), u.StringOr("avatarUrl", ""), u.Has("avatarUrl"))
		}
		return nil
	})
}

// demoPublished lists the ten newest published posts through the
// by_status_and_published index.
func demoPublished(ctx context.Context, db *strata.DB, say func(string, ...any)) error {
	return db.Query(ctx, func(tx *strata.Tx) error {
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
			say("     %-10s publishedAt=%s", p.StringOr("title", ""), time.UnixMilli(int64(at)).UTC().Format(time.DateTime))
		}
		return nil
	})
}

// demoPaginate reads every user a page of 100 at a time, as a backfill
// does, counting those without avatarUrl, and checks that it met as many
// as were inserted (users).
func demoPaginate(ctx context.Context, db *strata.DB, users int, say func(string, ...any)) error {
	start := time.Now()
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
	return nil
}
