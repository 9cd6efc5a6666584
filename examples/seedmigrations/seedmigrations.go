// Package seedmigrations runs Convex's migration patterns — add a field,
// backfill it, make it required; remove a deprecated field; rename a field
// with a fallback read; change a type through a new field; add an index
// before querying with it — with strata's migration engine, where a
// Convex application does them by hand. `go run ./examples/seedmigrations/cmd/seedmigrations`
// runs them on a fresh embedded database and prints each step.
package seedmigrations

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// User is a document of the users table before the changes.
type User struct {
	UserName string `strata:"userName"`
	Email    string `strata:"email"`
}

// Post is a document of the posts table before the changes; pointers are
// optional fields.
type Post struct {
	Title       string   `strata:"title"`
	Status      string   `strata:"status"`
	PublishedAt *float64 `strata:"publishedAt"`
	LegacyField *string  `strata:"legacyField"`
}

// Task is a document of the tasks table. Its priority is a union of
// literals, which a Go type cannot express: the table's validator is
// written by hand.
type Task struct {
	Title    string `strata:"title"`
	Priority string `strata:"priority"`
}

// Schema is the schema before the changes: users and posts derived from
// their structs, tasks written out.
func Schema() (*strata.Schema, error) {
	users, err := strata.TableFor[User]("users")
	if err != nil {
		return nil, err
	}
	posts, err := strata.TableFor[Post]("posts")
	if err != nil {
		return nil, err
	}
	return strata.NewSchema(
		users,
		posts,
		strata.Table("tasks", v.Object{"title": v.String(), "priority": v.Union(v.Literal("low"), v.Literal("medium"), v.Literal("high"))}),
	)
}

// Files are those changes as migration files, in order.
var Files = []string{
	`{"name":"001_add_avatar_url","operations":[{"add_field":{"table":"users","field":"avatarUrl","type":"string","default":"https://api.dicebear.com/7.x/initials/svg?seed=user"}}]}`,
	`{"name":"002_remove_legacy_field","operations":[{"remove_field":{"table":"posts","field":"legacyField"}}]}`,
	`{"name":"003_rename_user_name","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`,
	`{"name":"004_priority_level","operations":[{"change_type":{"table":"tasks","from":"priority","to":"priorityLevel","type":"number","map":{"low":1,"medium":2,"high":3},"reverse_map":[[1,"low"],[2,"medium"],[3,"high"]]}}]}`,
	`{"name":"005_index_status_published","operations":[{"add_index":{"table":"posts","name":"by_status_and_published","fields":["status","publishedAt"]}}]}`,
}

// Run sets Schema on db, inserts n documents per table, applies every
// file with Start and Complete, reads displayName with a fallback to
// userName while the rename is ready, and queries the new index. It reports on out.
func Run(ctx context.Context, db *strata.DB, n int, out io.Writer) error {
	s, err := Schema()
	if err != nil {
		return err
	}
	if err := db.SetSchema(ctx, s); err != nil {
		return err
	}
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		prio := []string{"low", "medium", "high"}
		for i := 0; i < n; i++ {
			if _, err := tx.Insert("users", User{UserName: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("u%d@example.com", i)}); err != nil {
				return err
			}
			legacy := "old"
			p := Post{Title: fmt.Sprintf("post %d", i), Status: "draft", LegacyField: &legacy}
			if i%2 == 0 {
				at := float64(i)
				p.Status, p.PublishedAt = "published", &at
			}
			if _, err := tx.Insert("posts", p); err != nil {
				return err
			}
			if _, err := tx.Insert("tasks", Task{Title: "task", Priority: prio[i%3]}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	m := migrate.New(db)
	for _, text := range Files {
		f, err := op.ParseFile([]byte(text))
		if err != nil {
			return err
		}
		t0 := time.Now()
		st, err := m.Start(ctx, f)
		if err != nil {
			return err
		}
		how := "instant: no document rewritten, old ones are read in the new shape"
		if st.Batches > 0 {
			how = fmt.Sprintf("%d documents backfilled", st.Changed)
		}
		fmt.Fprintf(out, "%s: start → %s in %s (%s)\n", f.Name, st.State, time.Since(t0).Round(time.Millisecond), how)
		if f.Name == "003_rename_user_name" {
			// The fallback read (displayName ?? userName), while both
			// fields exist.
			type renaming struct {
				DisplayName *string `strata:"displayName"`
				UserName    *string `strata:"userName"`
			}
			err := db.Query(ctx, func(tx *strata.Tx) error {
				u, err := strata.First[renaming](tx.Table("users"))
				if err != nil {
					return err
				}
				name := u.DisplayName
				if name == nil {
					name = u.UserName
				}
				fmt.Fprintf(out, "  getUser: displayName = %q (displayName ?? userName)\n", *name)
				return nil
			})
			if err != nil {
				return err
			}
		}
		t0 = time.Now()
		if st, err = m.Complete(ctx, f.Name); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: complete → %s in %s\n", f.Name, st.State, time.Since(t0).Round(time.Millisecond))
	}
	// The compactor rewrites the records the instant changes left in
	// older shapes (Migrator.Serve does it by itself).
	for _, table := range []string{"users", "posts", "tasks"} {
		st, err := m.Compact(ctx, table)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "compact %s: %s\n", table, st.Message)
	}
	return db.Query(ctx, func(tx *strata.Tx) error {
		docs, err := tx.Table("posts").WithIndex("by_status_and_published", strata.Eq("status", "published")).Order(strata.Desc).Take(3)
		if err != nil {
			return err
		}
		for _, d := range docs {
			var p Post
			if err := strata.Decode(d, &p); err != nil {
				return err
			}
			fmt.Fprintf(out, "  newest published: %s at %v\n", p.Title, *p.PublishedAt)
		}
		return nil
	})
}
