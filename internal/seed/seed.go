// Package seed holds the schema of a blog (tables migrations, users and
// posts, as in Convex's migration patterns) written with strata's Go API,
// and generated users and posts, for the demo, examples and tests.
package seed

import (
	"fmt"
	"math/rand/v2"
	"net/url"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

// FinalSchema is the blog's schema once its migrations are done
// (migrations, users, and posts with four indexes), plus the
// by_status_and_published index of the "add indexes before using them"
// pattern.
func FinalSchema() (*strata.Schema, error) {
	return strata.NewSchema(
		strata.Table("migrations", v.Object{
			"name":        v.String(),
			"startedAt":   v.Number(),
			"completedAt": v.Optional(v.Number()),
			"status":      v.Union(v.Literal("running"), v.Literal("completed"), v.Literal("failed")),
			"error":       v.Optional(v.String()),
			"processed":   v.Number(),
		}).Index("by_name", "name"),
		strata.Table("users", v.Object{
			"name":      v.String(),
			"email":     v.String(),
			"createdAt": v.Optional(v.Number()),
			"updatedAt": v.Optional(v.Number()),
			"avatarUrl": v.Optional(v.String()),
			"settings": v.Optional(v.Object{
				"theme":         v.String(),
				"notifications": v.Boolean(),
			}),
		}).
			Index("by_email", "email").
			Index("by_createdAt", "createdAt"),
		strata.Table("posts", v.Object{
			"title":       v.String(),
			"content":     v.String(),
			"authorId":    v.ID("users"),
			"status":      v.Union(v.Literal("draft"), v.Literal("published"), v.Literal("archived")),
			"publishedAt": v.Optional(v.Number()),
			"createdAt":   v.Number(),
			"updatedAt":   v.Number(),
		}).
			Index("by_author", "authorId").
			Index("by_status", "status").
			Index("by_author_and_status", "authorId", "status").
			Index("by_publishedAt", "publishedAt").
			Index("by_status_and_published", "status", "publishedAt"),
	)
}

// DefaultAvatar is Convex's generateDefaultAvatar: the URL of an initials
// avatar for name.
func DefaultAvatar(name string) string {
	return "https://api.dicebear.com/7.x/initials/svg?seed=" + url.QueryEscape(name)
}

var (
	firstNames = []string{"Ada", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Leslie", "Margaret"}
	lastNames  = []string{"Lovelace", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Lamport", "Hamilton"}
	statuses   = []string{"draft", "published", "archived"}
)

// User returns the i-th generated user. Every third user has no avatarUrl
// yet (the "new optional field" state: added, not yet backfilled) and every
// fifth has settings.
func User(r *rand.Rand, i int, now float64) strata.Doc {
	name := fmt.Sprintf("%s %s %d", firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], i)
	d := strata.Doc{
		"name":      name,
		"email":     fmt.Sprintf("user%d@example.com", i),
		"createdAt": now,
		"updatedAt": now,
	}
	if i%3 != 0 {
		d["avatarUrl"] = DefaultAvatar(name)
	}
	if i%5 == 0 {
		d["settings"] = map[string]any{"theme": "dark", "notifications": i%2 == 0}
	}
	return d
}

// Post returns a generated post by author.
func Post(r *rand.Rand, i int, author strata.ID, now float64) strata.Doc {
	status := statuses[r.IntN(len(statuses))]
	d := strata.Doc{
		"title":     fmt.Sprintf("Post %d", i),
		"content":   fmt.Sprintf("Body of post %d: schema changes without downtime.", i),
		"authorId":  author,
		"status":    status,
		"createdAt": now,
		"updatedAt": now,
	}
	if status == "published" {
		d["publishedAt"] = now - float64(r.IntN(90*24*3600))*1000
	}
	return d
}
