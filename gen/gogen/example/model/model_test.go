package model_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
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

// benchUser is the i-th user of the benchmarks, every field set.
func benchUser(i int) strata.Doc {
	return strata.Doc{
		"name": fmt.Sprint("u", i), "email": fmt.Sprintf("u%d@example.com", i), "avatarUrl": fmt.Sprintf("https://example.com/a/%d.png", i),
		"createdAt": float64(1718000000000 + i), "updatedAt": float64(1718000500000 + i),
		"settings": strata.Doc{"notifications": i%2 == 0, "theme": "dark"},
	}
}

// readUserDoc reads every field of model.User from d the way the fastest
// hand-written map code does (an index and a type assertion per field),
// and returns something of each so that none is optimized away.
func readUserDoc(d strata.Doc) int {
	id, _ := d["_id"].(strata.ID)
	ct, _ := d["_creationTime"].(float64)
	n := len(id) + int(ct)&1
	if s, ok := d["avatarUrl"].(string); ok {
		n += len(s)
	}
	if f, ok := d["createdAt"].(float64); ok {
		n += int(f) & 1
	}
	email, _ := d["email"].(string)
	name, _ := d["name"].(string)
	n += len(email) + len(name)
	if m, ok := d["settings"].(map[string]any); ok {
		if b, _ := m["notifications"].(bool); b {
			n++
		}
		theme, _ := m["theme"].(string)
		n += len(theme)
	}
	if f, ok := d["updatedAt"].(float64); ok {
		n += int(f) & 1
	}
	return n
}

// readUser reads the same fields of u as readUserDoc does of a Doc.
func readUser(u *model.User) int {
	n := len(u.ID) + int(u.CreationTime)&1
	if u.AvatarUrl != nil {
		n += len(*u.AvatarUrl)
	}
	if u.CreatedAt != nil {
		n += int(*u.CreatedAt) & 1
	}
	n += len(u.Email) + len(u.Name)
	if u.Settings != nil {
		if u.Settings.Notifications {
			n++
		}
		n += len(u.Settings.Theme)
	}
	if u.UpdatedAt != nil {
		n += int(*u.UpdatedAt) & 1
	}
	return n
}

// BenchmarkGenerated looks documents up by an index, and by id, through
// the generated helpers and through hand-written map code reading every
// field the generated struct has (the baseline), interleaved, and
// reports the ratio of their times (target: no slower, at most 1).
func BenchmarkGenerated(b *testing.B) {
	db := openDB(b)
	const n = 1000
	ids := make([]strata.ID, n)
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range n {
			var err error
			if ids[i], err = tx.Insert("users", benchUser(i)); err != nil {
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
	var sink int
	run := func(one func(tx *strata.Tx, k int) error) func(i int) error {
		return func(i int) error {
			return db.Query(ctx, func(tx *strata.Tx) error {
				for j := range perTx {
					if err := one(tx, (i*perTx+j*7)%n); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	b.Run("by_email", func(b *testing.B) {
		interleaved(b, perTx, run(func(tx *strata.Tx, k int) error {
			d, err := tx.Table("users").WithIndex("by_email", strata.Eq("email", emails[k])).Unique()
			sink += readUserDoc(d)
			return err
		}), run(func(tx *strata.Tx, k int) error {
			u, err := model.Users(tx).ByEmail(emails[k]).Unique()
			sink += readUser(&u)
			return err
		}))
	})
	b.Run("by_id", func(b *testing.B) {
		interleaved(b, perTx, run(func(tx *strata.Tx, k int) error {
			d, err := tx.Get(ids[k])
			sink += readUserDoc(d)
			return err
		}), run(func(tx *strata.Tx, k int) error {
			u, err := model.Users(tx).Get(ids[k])
			sink += readUser(&u)
			return err
		}))
	})
}

// interleaved runs the hand-written map code and the generated code one
// after the other in every iteration, alternating which goes first so
// that neither always pays for the other's garbage and a shared machine's
// load falls on both alike. It reports the wall time per document of
// each, the ratio generated/map of the totals, and two measures a loaded
// machine disturbs less: the median over the iterations of the ratio of
// each pair (an iteration where one side lost its core for a while moves
// it little), and the ratio of the process's CPU time (all threads, so
// the collector's work counts; time spent waiting for a core does not).
func interleaved(b *testing.B, perIter int, viaMap, viaGenerated func(i int) error) {
	var tm, tg, cm, cg time.Duration
	var pairs []float64
	timed := func(fn func(int) error, i int, wall, cpu *time.Duration) time.Duration {
		c0, t0 := cpuTime(b), time.Now()
		if err := fn(i); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		*wall += d
		*cpu += cpuTime(b) - c0
		return d
	}
	for i := 0; b.Loop(); i++ {
		var dm, dg time.Duration
		if i%2 == 0 {
			dm = timed(viaMap, i, &tm, &cm)
			dg = timed(viaGenerated, i, &tg, &cg)
		} else {
			dg = timed(viaGenerated, i, &tg, &cg)
			dm = timed(viaMap, i, &tm, &cm)
		}
		pairs = append(pairs, float64(dg)/float64(dm))
	}
	slices.Sort(pairs)
	docs := float64(b.N * perIter)
	b.ReportMetric(float64(tm.Nanoseconds())/docs, "map-ns/doc")
	b.ReportMetric(float64(tg.Nanoseconds())/docs, "generated-ns/doc")
	b.ReportMetric(float64(tg)/float64(tm), "generated/map")
	b.ReportMetric(pairs[len(pairs)/2], "generated/map-median")
	b.ReportMetric(float64(cg)/float64(cm), "generated/map-cpu")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
