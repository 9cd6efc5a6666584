package strata_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/strata-db/strata"
	_ "github.com/strata-db/strata/storage/sqlite"
)

// Post is a document of the posts table. Tags name the fields; a pointer
// or omitempty makes a field optional; id=users makes Author an id of the
// users table.
type Post struct {
	ID     strata.ID `strata:"_id"`
	Title  string    `strata:"title"`
	Author strata.ID `strata:"author,id=users"`
	Tags   []string  `strata:"tags,omitempty"`
	Draft  *bool     `strata:"draft"`
}

// Author is a document of the users table.
type Author struct {
	ID    strata.ID `strata:"_id"`
	Name  string    `strata:"name"`
	Email string    `strata:"email"`
}

// Example_structs is the Go tour: schemas derived from structs, typed
// inserts and typed reads.
func Example_structs() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "strata-example-")
	defer os.RemoveAll(dir)

	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	users, err := strata.TableFor[Author]("users")
	if err != nil {
		log.Fatal(err)
	}
	posts, err := strata.TableFor[Post]("posts")
	if err != nil {
		log.Fatal(err)
	}
	s, err := strata.NewSchema(users.Index("by_email", "email"), posts.Index("by_author", "author"))
	if err != nil {
		log.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		log.Fatal(err)
	}

	var ada strata.ID
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		ada, err = tx.Insert("users", Author{Name: "Ada", Email: "ada@example.com"})
		if err != nil {
			return err
		}
		_, err = tx.Insert("posts", Post{Title: "Notes on the Engine", Author: ada, Tags: []string{"math"}})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	err = db.Query(ctx, func(tx *strata.Tx) error {
		u, err := strata.Get[Author](tx, ada)
		if err != nil {
			return err
		}
		ps, err := strata.Collect[Post](tx.Table("posts").WithIndex("by_author", strata.Eq("author", u.ID)))
		if err != nil {
			return err
		}
		for _, p := range ps {
			fmt.Println(u.Name, "wrote", p.Title, p.Tags, p.Draft == nil)
		}
		_, err = strata.First[Author](tx.Table("users").WithIndex("by_email", strata.Eq("email", "bob@example.com")))
		fmt.Println(errors.Is(err, strata.ErrNotFound))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// Ada wrote Notes on the Engine [math] true
	// true
}
