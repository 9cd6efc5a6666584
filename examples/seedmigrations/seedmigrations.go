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

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// Schema is the schema before the changes.
func Schema() (*strata.Schema, error) {
	return strata.NewSchema(
		strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}),
		strata.Table("posts", v.Object{
			"title": v.String(), "status": v.String(), "publishedAt": v.Optional(v.Number()),
			"legacyField": v.Optional(v.String()),
		}),
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
			if _, err := tx.Insert("users", strata.Doc{"userName": fmt.Sprintf("user%d", i), "email": fmt.Sprintf("u%d@example.com", i)}); err != nil {
				return err
			}
			p := strata.Doc{"title": fmt.Sprintf("post %d", i), "status": "draft", "legacyField": "old"}
			if i%2 == 0 {
				p["status"], p["publishedAt"] = "published", float64(i)
			}
			if _, err := tx.Insert("posts", p); err != nil {
				return err
			}
			if _, err := tx.Insert("tasks", strata.Doc{"title": "task", "priority": prio[i%3]}); err != nil {
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
		st, err := m.Start(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: start → %s (%d documents backfilled)\n", f.Name, st.State, st.Changed)
		if f.Name == "003_rename_user_name" {
			// The fallback read (displayName ?? userName), while both
			// fields exist.
			err := db.Query(ctx, func(tx *strata.Tx) error {
				u, err := tx.Table("users").First()
				fmt.Fprintf(out, "  getUser: displayName = %q (displayName ?? userName)\n", u.StringOr("displayName", u.StringOr("userName", "")))
				return err
			})
			if err != nil {
				return err
			}
		}
		if st, err = m.Complete(ctx, f.Name); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: complete → %s\n", f.Name, st.State)
	}
	return db.Query(ctx, func(tx *strata.Tx) error {
		posts, err := tx.Table("posts").WithIndex("by_status_and_published", strata.Eq("status", "published")).Order(strata.Desc).Take(3)
		for _, p := range posts {
			at, _ := p.Float("publishedAt")
			fmt.Fprintf(out, "  newest published: %s at %v\n", p.StringOr("title", ""), at)
		}
		return err
	})
}
