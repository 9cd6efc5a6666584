package model_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/gen/gogen/example/model"
	"github.com/strata-db/strata/schema"
	_ "github.com/strata-db/strata/storage/sqlite"
)

var ctx = context.Background()

func openDB(t testing.TB) *strata.DB {
	t.Helper()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "model.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	data, err := os.ReadFile("../../testdata/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestGeneratedHelpers: the generated structs satisfy the schema they come
// from, and the typed helpers insert, read, query by index, replace and
// delete.
func TestGeneratedHelpers(t *testing.T) {
	db := openDB(t)
	var ada, ev strata.ID
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		var err error
		if ada, err = model.Users(tx).Insert(model.User{Name: "Ada", Email: "ada@example.com"}); err != nil {
			return err
		}
		port := int64(443)
		ev, err = model.Events(tx).Insert(model.Event{
			Kind: "click", Count: 3, Mixed: int64(7), Payload: []byte{1}, Tags: []string{"a"}, User: &ada, Type: "ui",
			Source: model.EventSource{Host: "example.com", Port: &port, Geo: &model.EventSourceGeo{Lat: 1, Lng: 2}},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		u, err := model.Users(tx).ByEmail("ada@example.com").Unique()
		if err != nil || u.ID != ada || u.Name != "Ada" || u.AvatarUrl != nil {
			return fmt.Errorf("ByEmail: %+v, %v", u, err)
		}
		e, err := model.Events(tx).ByKindAndCount("click", 3).First()
		if err != nil || e.ID != ev || *e.User != ada || *e.Source.Port != 443 || e.Source.Geo.Lng != 2 {
			return fmt.Errorf("ByKindAndCount: %+v, %v", e, err)
		}
		if es, err := model.Events(tx).BySourceHost("example.com").Collect(); err != nil || len(es) != 1 {
			return fmt.Errorf("BySourceHost: %v, %v", es, err)
		}
		avatar := "a.png"
		u.AvatarUrl = &avatar
		if err := model.Users(tx).Replace(u.ID, u); err != nil {
			return err
		}
		if u, err = model.Users(tx).Get(ada); err != nil || *u.AvatarUrl != avatar {
			return fmt.Errorf("Get after Replace: %+v, %v", u, err)
		}
		if err := model.Events(tx).Delete(ev); err != nil {
			return err
		}
		if _, err := model.Events(tx).Get(ev); !errors.Is(err, strata.ErrNotFound) {
			return fmt.Errorf("Get after Delete: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkGenerated looks documents up by an index through the generated
// helpers and through hand-written map code (the baseline), interleaved,
// and reports the ratio of their times (target: no slower, ≈ 1).
func BenchmarkGenerated(b *testing.B) {
	db := openDB(b)
	const n = 1000
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range n {
			if _, err := tx.Insert("users", strata.Doc{"name": fmt.Sprint("u", i), "email": fmt.Sprintf("u%d@example.com", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("u%d@example.com", i)
	}
	const perTx = 200
	var tm, tg time.Duration
	var sink int
	viaMap := func(i int) error {
		return db.Query(ctx, func(tx *strata.Tx) error {
			for j := range perTx {
				d, err := tx.Table("users").WithIndex("by_email", strata.Eq("email", emails[(i*perTx+j)%n])).Unique()
				if err != nil {
					return err
				}
				sink += len(d.StringOr("name", ""))
			}
			return nil
		})
	}
	viaGenerated := func(i int) error {
		return db.Query(ctx, func(tx *strata.Tx) error {
			for j := range perTx {
				u, err := model.Users(tx).ByEmail(emails[(i*perTx+j)%n]).Unique()
				if err != nil {
					return err
				}
				sink += len(u.Name)
			}
			return nil
		})
	}
	timed := func(fn func(int) error, i int, total *time.Duration) {
		t0 := time.Now()
		if err := fn(i); err != nil {
			b.Fatal(err)
		}
		*total += time.Since(t0)
	}
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first, so neither always pays for the
		// other's garbage.
		if i%2 == 0 {
			timed(viaMap, i, &tm)
			timed(viaGenerated, i, &tg)
		} else {
			timed(viaGenerated, i, &tg)
			timed(viaMap, i, &tm)
		}
	}
	docs := float64(b.N * perTx)
	b.ReportMetric(float64(tm.Nanoseconds())/docs, "map-ns/doc")
	b.ReportMetric(float64(tg.Nanoseconds())/docs, "generated-ns/doc")
	b.ReportMetric(float64(tg)/float64(tm), "generated/map")
}
