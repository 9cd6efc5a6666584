package strata_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "strata-example-")
	defer os.RemoveAll(dir)

	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	s, err := strata.NewSchema(
		strata.Table("users", v.Object{
			"name":      v.String(),
			"email":     v.String(),
			"avatarUrl": v.Optional(v.String()),
		}).Index("by_email", "email"),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		log.Fatal(err)
	}

	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("users", strata.Doc{"name": "Ada", "email": "ada@example.com"})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	// A write the schema refuses changes nothing and says where it failed.
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		_, err := tx.Insert("users", strata.Doc{"name": "Bob", "email": int64(7)})
		return err
	})
	fmt.Println(err != nil)

	err = db.Query(ctx, func(tx *strata.Tx) error {
		u, err := tx.Table("users").WithIndex("by_email", strata.Eq("email", "ada@example.com")).Unique()
		if err != nil {
			return err
		}
		fmt.Println(u.StringOr("name", ""), u.StringOr("avatarUrl", "(no avatar yet)"))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// true
	// Ada (no avatar yet)
}

func ExampleQuery_Paginate() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "strata-example-")
	defer os.RemoveAll(dir)
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := 0; i < 250; i++ {
			if _, err := tx.Insert("events", strata.Doc{"n": int64(i)}); err != nil {
				return err
			}
		}
		return nil
	})

	// Each page in its own transaction, as a backfill does.
	cursor, pages, total := "", 0, 0
	for {
		var page strata.Page
		err := db.Query(ctx, func(tx *strata.Tx) error {
			var err error
			page, err = tx.Table("events").Paginate(100, cursor)
			return err
		})
		if err != nil {
			log.Fatal(err)
		}
		pages++
		total += len(page.Page)
		if page.IsDone {
			break
		}
		cursor = page.ContinueCursor
	}
	fmt.Println(pages, total)
	// Output: 3 250
}

func ExampleTx_Patch() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "strata-example-")
	defer os.RemoveAll(dir)
	db, _ := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"))
	defer db.Close()

	db.Mutation(ctx, func(tx *strata.Tx) error {
		id, err := tx.Insert("posts", strata.Doc{"title": "Hello", "legacyField": "old"})
		if err != nil {
			return err
		}
		// Set one field and remove another in one shallow merge.
		if err := tx.Patch(id, strata.Patch{"title": "Hello, world", "legacyField": strata.Unset}); err != nil {
			return err
		}
		d, _ := tx.Get(id)
		fmt.Println(d.StringOr("title", ""), d.Has("legacyField"))
		return nil
	})
	// Output: Hello, world false
}

// A page processed in order can stop part-way and resume right after the
// last document handled; Count reads index keys only.
func ExamplePage_CursorAfter() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "strata-example-")
	defer os.RemoveAll(dir)
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range 5 {
			if _, err := tx.Insert("jobs", strata.Doc{"n": int64(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	err = db.Query(ctx, func(tx *strata.Tx) error {
		n, err := tx.Table("jobs").Count()
		if err != nil {
			return err
		}
		fmt.Println("jobs:", n)
		page, err := tx.Table("jobs").Paginate(4, "")
		if err != nil {
			return err
		}
		// Handle the first two documents of the page, then stop.
		resume := page.CursorAfter(1)
		rest, err := tx.Table("jobs").Paginate(10, resume)
		if err != nil {
			return err
		}
		for _, d := range rest.Page {
			n, _ := d.Int("n")
			fmt.Print(n, " ")
		}
		fmt.Println()
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// jobs: 5
	// 2 3 4
}

// Copy makes a consistent copy of a whole database, for example a backup
// or a move from SQLite to PostgreSQL, while the source keeps serving.
func ExampleCopy() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "strata-example-")
	defer os.RemoveAll(dir)
	from := "sqlite:" + filepath.Join(dir, "app.db")
	to := "sqlite:" + filepath.Join(dir, "backup.db") // or "postgres://..."

	db, err := strata.Open(ctx, from)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String()}).Index("by_name", "name"))
	if err != nil {
		log.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		log.Fatal(err)
	}
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		for _, name := range []string{"Ada", "Grace"} {
			if _, err := tx.Insert("users", strata.Doc{"name": name}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	res, err := strata.Copy(ctx, from, to, strata.CopyOptions{
		Progress: func(p strata.CopyProgress) {
			if p.TableDone && p.Table.Table == "users" {
				fmt.Printf("copied users: %d documents, %d by_name entries\n", p.Table.Documents, p.Table.Indexes["by_name"])
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if res.CloseErr != nil {
		log.Print(res.CloseErr) // the copy is complete all the same
	}

	// The backup now holds data: a second copy into it is refused unless
	// forced.
	_, err = strata.Copy(ctx, from, to, strata.CopyOptions{})
	fmt.Println(errors.Is(err, strata.ErrDestinationNotEmpty))
	// Output:
	// copied users: 2 documents, 2 by_name entries
	// true
}
