package strata_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

func mustSchema(t testing.TB, tables ...*schema.Table) *strata.Schema {
	t.Helper()
	s, err := strata.NewSchema(tables...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func push(t testing.TB, db *strata.DB, s *strata.Schema, opts strata.PushOptions) *strata.PushResult {
	t.Helper()
	res, err := db.Push(ctx, s, opts)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return res
}

// refused pushes s, which must be refused, and returns the refusal.
func refused(t testing.TB, db *strata.DB, s *strata.Schema, opts strata.PushOptions) *strata.PushRefusedError {
	t.Helper()
	_, err := db.Push(ctx, s, opts)
	var re *strata.PushRefusedError
	if !errors.As(err, &re) {
		t.Fatalf("push: %v, want a *PushRefusedError", err)
	}
	return re
}

func activeJSON(t testing.TB, db *strata.DB) string {
	t.Helper()
	var out string
	query(t, db, func(tx *strata.Tx) error {
		d, err := tx.Table("_schemas").Order(strata.Desc).First()
		out = d.StringOr("state", "") + " " + d.StringOr("schema", "")
		return err
	})
	return out
}

func usersV1() *schema.Table {
	return strata.Table("users", v.Object{"name": v.String(), "avatarUrl": v.Optional(v.String())})
}

// TestPushRefusesMakeRequired is the seed's avatarUrl step 4 pushed too
// early: refused with the count, the documents and the fix, and nothing
// changes; after the backfill the same push succeeds.
func TestPushRefusesMakeRequired(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		db := open(t)
		push(t, db, mustSchema(t, usersV1()), strata.PushOptions{Wait: true})
		var ids []strata.ID
		for i := range 25 {
			d := strata.Doc{"name": fmt.Sprint("u", i)}
			if i%5 == 0 {
				d["avatarUrl"] = "a.png"
			}
			ids = append(ids, insert(t, db, "users", d)...)
		}
		required := mustSchema(t, strata.Table("users", v.Object{"name": v.String(), "avatarUrl": v.String()}))
		before, schemaBefore := dump(t, db), activeJSON(t, db)
		re := refused(t, db, required, strata.PushOptions{BatchSize: 7})
		if re.Count != 20 || len(re.Samples) != 5 || re.Samples[0].ID != ids[1] || re.Samples[0].Path != "avatarUrl" {
			t.Errorf("refusal = %+v", re)
		}
		want := "field avatarUrl is required but 20 documents lack it: keep it optional, backfill it with a migration, then make it required"
		if !strings.Contains(re.Error(), want) {
			t.Errorf("error %q lacks %q", re.Error(), want)
		}
		if !bytes.Equal(before, dump(t, db)) || activeJSON(t, db) != schemaBefore {
			t.Errorf("a refused push changed the database")
		}
		// Writes still validate against the old schema.
		insert(t, db, "users", strata.Doc{"name": "no avatar"})
		// Backfill, then the push goes through.
		mutate(t, db, func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				if d.Has("avatarUrl") {
					return nil
				}
				return tx.Patch(d.ID(), strata.Patch{"avatarUrl": "default.png"})
			})
		})
		res := push(t, db, required, strata.PushOptions{Actor: "ada", Comment: "avatarUrl required"})
		if res.Checked["users"] != 26 || res.Diff.Class() != schema.NeedsData {
			t.Errorf("result = %+v", res)
		}
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			_, err := tx.Insert("users", strata.Doc{"name": "x"})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "avatarUrl") {
			t.Errorf("insert without avatarUrl after the push: %v", err)
		}
		// History: who, what, when.
		query(t, db, func(tx *strata.Tx) error {
			d, err := tx.Table("_schemas").Order(strata.Desc).First()
			if err != nil {
				return err
			}
			changes, _ := d["changes"].([]any)
			if d.StringOr("state", "") != "active" || d.StringOr("actor", "") != "ada" || d.StringOr("comment", "") != "avatarUrl required" || len(changes) != 1 || !d.Has("activatedAt") {
				t.Errorf("history document = %v", d)
			}
			return nil
		})
	})
}

// TestPushSeedPitfalls pushes the seed's rename and type-change "step 4"
// while documents still hold the old field: both are refused with the
// count and the fix.
func TestPushSeedPitfalls(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		table string
		step1 v.Object
		docs  []strata.Doc
		step4 v.Object
		mid   v.Object // step 4 with the old field kept optional, for the migration
		want  []string
		after func(d strata.Doc) strata.Patch // the migration that makes step 4 pass
	}{
		{
			name:  "rename userName to displayName",
			table: "users",
			step1: v.Object{"userName": v.String(), "displayName": v.Optional(v.String())},
			docs: []strata.Doc{
				{"userName": "ada"}, {"userName": "grace", "displayName": "grace"}, {"userName": "linus"},
			},
			step4: v.Object{"displayName": v.String()},
			mid:   v.Object{"userName": v.Optional(v.String()), "displayName": v.Optional(v.String())},
			want: []string{
				"field displayName is required but 2 documents lack it",
				"field userName is not in the new schema but 3 documents still hold it",
				"keep (or add) displayName as optional, backfill it from userName with a migration",
			},
			after: func(d strata.Doc) strata.Patch {
				return strata.Patch{"displayName": d.StringOr("userName", ""), "userName": strata.Unset}
			},
		},
		{
			name:  "priority string to priorityLevel number",
			table: "tasks",
			step1: v.Object{"title": v.String(), "priority": v.String(), "priorityLevel": v.Optional(v.Number())},
			docs: []strata.Doc{
				{"title": "a", "priority": "low", "priorityLevel": 1.0}, {"title": "b", "priority": "high", "priorityLevel": 3.0},
			},
			step4: v.Object{"title": v.String(), "priorityLevel": v.Number()},
			mid:   v.Object{"title": v.String(), "priority": v.Optional(v.String()), "priorityLevel": v.Optional(v.Number())},
			want: []string{
				"field priority is not in the new schema but 2 documents still hold it",
				"keep (or add) priorityLevel as optional, backfill it from priority",
			},
			after: func(d strata.Doc) strata.Patch { return strata.Patch{"priority": strata.Unset} },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openDB(t)
			push(t, db, mustSchema(t, strata.Table(c.table, c.step1)), strata.PushOptions{})
			insert(t, db, c.table, c.docs...)
			before := dump(t, db)
			re := refused(t, db, mustSchema(t, strata.Table(c.table, c.step4)), strata.PushOptions{})
			if re.Count != int64(len(c.docs)) {
				t.Errorf("count = %d, want %d", re.Count, len(c.docs))
			}
			for _, w := range c.want {
				if !strings.Contains(re.Error(), w) {
					t.Errorf("error %q\nlacks %q", re.Error(), w)
				}
			}
			if !bytes.Equal(before, dump(t, db)) {
				t.Errorf("a refused push changed the database")
			}
			// Done right: make the old field optional (safe), migrate every
			// document, then step 4 passes.
			push(t, db, mustSchema(t, strata.Table(c.table, c.mid)), strata.PushOptions{})
			mutate(t, db, func(tx *strata.Tx) error {
				return tx.Table(c.table).Each(func(d strata.Doc) error { return tx.Patch(d.ID(), c.after(d)) })
			})
			res := push(t, db, mustSchema(t, strata.Table(c.table, c.step4)), strata.PushOptions{})
			if res.Checked[c.table] != int64(len(c.docs)) {
				t.Errorf("checked %v", res.Checked)
			}
		})
	}
}

// TestPushWideningSkipsCheck: safe changes check no table; a dry run
// writes nothing; pushing the active schema again is a no-op.
func TestPushWideningSkipsCheck(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	push(t, db, mustSchema(t, strata.Table("posts", v.Object{"status": v.Union(v.Literal("draft"), v.Literal("published"))})), strata.PushOptions{})
	insert(t, db, "posts", strata.Doc{"status": "draft"}, strata.Doc{"status": "published"})
	wider := mustSchema(t, strata.Table("posts", v.Object{
		"status": v.Union(v.Literal("draft"), v.Literal("published"), v.Literal("archived")),
		"tags":   v.Optional(v.Array(v.String())),
	}).Index("by_status", "status"))
	before := dump(t, db)
	res := push(t, db, wider, strata.PushOptions{DryRun: true})
	if !res.DryRun || len(res.Checked) != 0 || res.Diff.Class() != schema.Safe || len(res.Diff.Changes) != 3 {
		t.Errorf("dry run = %+v %v", res, res.Diff.Changes)
	}
	if !bytes.Equal(before, dump(t, db)) {
		t.Errorf("a dry run changed the database")
	}
	res = push(t, db, wider, strata.PushOptions{Wait: true})
	if len(res.Checked) != 0 || len(res.Builds) != 1 || res.Builds[0].State != strata.BuildReady || res.Builds[0].Processed != 2 {
		t.Errorf("push = %+v", res)
	}
	if res = push(t, db, wider, strata.PushOptions{}); !res.Unchanged {
		t.Errorf("second push = %+v", res)
	}
	query(t, db, func(tx *strata.Tx) error {
		docs, err := tx.Table("posts").WithIndex("by_status", strata.Eq("status", "draft")).Collect()
		if err == nil && len(docs) != 1 {
			err = fmt.Errorf("by_status draft: %d documents", len(docs))
		}
		return err
	})
}

// TestPushWithConcurrentWriters runs writers during a push. Conforming
// writes are never refused; a write that breaks the pending schema,
// committed while the push checks, fails the push and is named.
func TestPushWithConcurrentWriters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		db := open(t)
		push(t, db, mustSchema(t, usersV1()), strata.PushOptions{})
		for lo := 0; lo < 600; lo += 100 {
			var docs []strata.Doc
			for i := lo; i < lo+100; i++ {
				docs = append(docs, strata.Doc{"name": fmt.Sprint("u", i), "avatarUrl": "a.png"})
			}
			insert(t, db, "users", docs...)
		}
		required := mustSchema(t, strata.Table("users", v.Object{"name": v.String(), "avatarUrl": v.String()}))

		run := func(violate bool) (strata.ID, int64, int64, error) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var writes, failures atomic.Int64
			for w := range 3 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						err := db.Mutation(ctx, func(tx *strata.Tx) error {
							_, err := tx.Insert("users", strata.Doc{"name": fmt.Sprint("w", w, "-", i), "avatarUrl": "w.png"})
							return err
						})
						writes.Add(1)
						if err != nil {
							failures.Add(1)
							t.Errorf("conforming write refused during a push: %v", err)
						}
					}
				})
			}
			var bad strata.ID
			batches := 0
			_, err := db.Push(ctx, required, strata.PushOptions{BatchSize: 50, Progress: func(p strata.Progress) {
				batches++
				if batches == 1 {
					// Writes run during the check whatever the machine's
					// load: hold the check until the writers have written.
					for writes.Load() < 6 {
						time.Sleep(time.Millisecond)
					}
				}
				if violate && batches == 3 {
					// A write the old schema allows and the pending one does
					// not, committed in the middle of the check.
					mutate(t, db, func(tx *strata.Tx) error {
						var err error
						bad, err = tx.Insert("users", strata.Doc{"name": "no avatar"})
						return err
					})
				}
			}})
			close(stop)
			wg.Wait()
			return bad, writes.Load(), failures.Load(), err
		}

		bad, writes, failures, err := run(true)
		var re *strata.PushRefusedError
		if !errors.As(err, &re) || re.Document != bad || !strings.Contains(err.Error(), string(bad)) || !strings.Contains(err.Error(), "avatarUrl") {
			t.Fatalf("push with a violating write: %v (document %s)", err, bad)
		}
		if failures != 0 || writes == 0 {
			t.Errorf("%d of %d writes failed", failures, writes)
		}
		if s := db.Schema(); s.Tables["users"].Fields["avatarUrl"].Kind() != v.KindOptional {
			t.Errorf("schema changed by a failed push: %v", s.Tables["users"].Fields)
		}
		// Fix the document; the push then succeeds with writers running.
		mutate(t, db, func(tx *strata.Tx) error { return tx.Patch(bad, strata.Patch{"avatarUrl": "fixed.png"}) })
		if _, _, failures, err := run(false); err != nil || failures != 0 {
			t.Fatalf("push: %v (%d failed writes)", err, failures)
		}
		query(t, db, func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				return db.Schema().ValidateDocument("users", d)
			})
		})
	})
}

// indexMatchesScan compares the documents read through index (ordered by
// its fields) with a full scan of table.
func indexMatchesScan(t testing.TB, db *strata.DB, table, index string, field string) {
	t.Helper()
	query(t, db, func(tx *strata.Tx) error {
		viaIndex, err := tx.Table(table).WithIndex(index).Collect()
		if err != nil {
			return err
		}
		all, err := tx.Table(table).Collect()
		if err != nil {
			return err
		}
		if len(viaIndex) != len(all) {
			t.Errorf("%s.%s has %d documents, table %d", table, index, len(viaIndex), len(all))
		}
		seen := map[strata.ID]bool{}
		for i, d := range viaIndex {
			seen[d.ID()] = true
			if i > 0 && value.Compare(viaIndex[i-1][field], d[field]) > 0 {
				t.Errorf("%s.%s out of order at %d", table, index, i)
			}
		}
		for _, d := range all {
			if !seen[d.ID()] {
				t.Errorf("%s.%s lacks %s", table, index, d.ID())
			}
		}
		return nil
	})
}

// TestIndexBuildOnline: a new index is staged (queries fail saying so)
// while writers run, then ready and equal to a full scan.
func TestIndexBuildOnline(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		db := open(t)
		base := func() *schema.Table {
			return strata.Table("items", v.Object{"n": v.Int64(), "tag": v.Optional(v.String())})
		}
		push(t, db, mustSchema(t, base()), strata.PushOptions{})
		var ids []strata.ID
		for lo := 0; lo < 1000; lo += 250 {
			var docs []strata.Doc
			for i := lo; i < lo+250; i++ {
				docs = append(docs, strata.Doc{"n": int64(i % 97)})
			}
			ids = append(ids, insert(t, db, "items", docs...)...)
		}
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		res := push(t, db, mustSchema(t, base().Index("by_n", "n")), strata.PushOptions{BatchSize: 100, Progress: func(p strata.Progress) {
			if p.Phase == "build" {
				once.Do(func() { close(started); <-release })
			}
		}})
		if len(res.Builds) != 1 || res.Builds[0].State != strata.BuildBackfilling {
			t.Fatalf("push without Wait: builds %+v", res.Builds)
		}
		<-started
		err := db.Query(ctx, func(tx *strata.Tx) error {
			_, err := tx.Table("items").WithIndex("by_n").First()
			return err
		})
		if !errors.Is(err, strata.ErrIndexNotReady) || !strings.Contains(err.Error(), "by_n") {
			t.Errorf("query on a staged index: %v", err)
		}
		// Writers during the build: inserts, patches that move keys,
		// deletes.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := db.Mutation(ctx, func(tx *strata.Tx) error {
					if _, err := tx.Insert("items", strata.Doc{"n": int64(1000 + i)}); err != nil {
						return err
					}
					if err := tx.Patch(ids[(i*7)%(len(ids)/2)], strata.Patch{"n": int64(-i)}); err != nil {
						return err
					}
					if i%10 == 0 && i/10 < len(ids)/2 {
						return tx.Delete(ids[len(ids)-1-i/10])
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
		close(release)
		if err := db.ResumeIndexBuilds(ctx); err != nil {
			t.Fatal(err)
		}
		close(stop)
		wg.Wait()
		builds, err := db.IndexBuilds(ctx)
		if err != nil || len(builds) != 1 || builds[0].State != strata.BuildReady || builds[0].Total != 1000 {
			t.Fatalf("builds = %+v, %v", builds, err)
		}
		indexMatchesScan(t, db, "items", "by_n", "n")
	})
}

// TestIndexBuildResumes interrupts a build (its context ends mid-way),
// then resumes it from its cursor.
func TestIndexBuildResumes(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	push(t, db, mustSchema(t, strata.Table("items", v.Object{"n": v.Int64()})), strata.PushOptions{})
	var docs []strata.Doc
	for i := range 1000 {
		docs = append(docs, strata.Doc{"n": int64((i * 31) % 1000)})
	}
	insert(t, db, "items", docs...)
	cctx, cancel := context.WithCancel(ctx)
	batches := 0
	_, err := db.Push(cctx, mustSchema(t, strata.Table("items", v.Object{"n": v.Int64()}).Index("by_n", "n")), strata.PushOptions{
		Wait: true, BatchSize: 100,
		Progress: func(p strata.Progress) {
			if p.Phase == "build" {
				if batches++; batches == 3 {
					cancel()
				}
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted push: %v", err)
	}
	builds, _ := db.IndexBuilds(ctx)
	if len(builds) != 1 || builds[0].State != strata.BuildBackfilling || builds[0].Processed != 300 {
		t.Fatalf("after the interruption: %+v", builds)
	}
	// A partial index is consistent: every entry it has is right.
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Errorf("consistency of a half-built index: %v", err)
	}
	// The schema is active; the index is staged.
	err = db.Query(ctx, func(tx *strata.Tx) error { _, err := tx.Table("items").WithIndex("by_n").First(); return err })
	if !errors.Is(err, strata.ErrIndexNotReady) || !strings.Contains(err.Error(), "300 of 1,000") {
		t.Errorf("query on the interrupted index: %v", err)
	}
	if err := db.ResumeIndexBuilds(ctx); err != nil {
		t.Fatal(err)
	}
	builds, _ = db.IndexBuilds(ctx)
	if builds[0].State != strata.BuildReady || builds[0].Processed != 1000 {
		t.Errorf("after resuming: %+v", builds)
	}
	indexMatchesScan(t, db, "items", "by_n", "n")
}

// TestQueryIndexErrors: unknown, dropped and staged indexes each fail
// with an error that says which.
func TestQueryIndexErrors(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	push(t, db, mustSchema(t, strata.Table("t", v.Object{"a": v.String()}).Index("by_a", "a")), strata.PushOptions{})
	insert(t, db, "t", strata.Doc{"a": "x"})
	res := push(t, db, mustSchema(t, strata.Table("t", v.Object{"a": v.String()})), strata.PushOptions{})
	if res.Diff.Class() != schema.Destructive {
		t.Errorf("drop index: %v", res.Diff.Changes)
	}
	q := func(index string) error {
		return db.Query(ctx, func(tx *strata.Tx) error { _, err := tx.Table("t").WithIndex(index).First(); return err })
	}
	// Its entries are gone.
	btx, err := strata.BackendOf(db).Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if ents, err := btx.Scan(storage.ScanRequest{Table: "t", Index: "by_a"}); err != nil || len(ents) != 0 {
		t.Errorf("dropped index still has %d entries (%v)", len(ents), err)
	}
	btx.Rollback()
	if err := q("by_a"); !errors.Is(err, strata.ErrIndexDropped) || !strings.Contains(err.Error(), `index "by_a" of table "t" was dropped`) {
		t.Errorf("dropped: %v", err)
	}
	if err := q("by_b"); !errors.Is(err, strata.ErrUnknownIndex) || !strings.Contains(err.Error(), "by_b") {
		t.Errorf("unknown: %v", err)
	}
	// Adding it back makes it usable again (an empty build on a small
	// table completes with Wait).
	push(t, db, mustSchema(t, strata.Table("t", v.Object{"a": v.String()}).Index("by_a", "a")), strata.PushOptions{Wait: true})
	if err := q("by_a"); err != nil {
		t.Errorf("re-added: %v", err)
	}
}

// TestPushRemovedTables: a table left out of the schema keeps its data
// and is no longer validated; DropTables deletes it and says how many
// documents go.
func TestPushRemovedTables(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	push(t, db, mustSchema(t, usersV1(), strata.Table("logs", v.Object{"msg": v.String()}).Index("by_msg", "msg")), strata.PushOptions{})
	insert(t, db, "logs", strata.Doc{"msg": "a"}, strata.Doc{"msg": "b"}, strata.Doc{"msg": "c"})
	res := push(t, db, mustSchema(t, usersV1()), strata.PushOptions{})
	if res.KeptTables["logs"] != 3 || res.Diff.Class() != schema.Safe {
		t.Errorf("remove from schema: %+v", res)
	}
	// Its documents stay readable, but applications cannot write to a
	// table the schema does not declare (deleting is allowed).
	err := db.Mutation(ctx, func(tx *strata.Tx) error { _, err := tx.Insert("logs", strata.Doc{"anything": 1.0}); return err })
	if !errors.Is(err, strata.ErrUnknownTable) {
		t.Errorf("insert into a removed table: %v, want ErrUnknownTable", err)
	}
	var kept []strata.Doc
	query(t, db, func(tx *strata.Tx) error { var err error; kept, err = tx.Table("logs").Collect(); return err })
	if len(kept) != 3 {
		t.Errorf("removed table reads %d documents, want 3", len(kept))
	}
	mutate(t, db, func(tx *strata.Tx) error { return tx.Delete(kept[2].ID()) })
	res = push(t, db, mustSchema(t, usersV1()), strata.PushOptions{})
	if !res.Unchanged {
		t.Errorf("unchanged push: %+v", res)
	}
	// Back into the schema: its documents are checked.
	re := refused(t, db, mustSchema(t, usersV1(), strata.Table("logs", v.Object{"msg": v.Number()})), strata.PushOptions{})
	if re.Count != 2 || !strings.Contains(re.Error(), "msg") {
		t.Errorf("re-adding the table: %v", re)
	}
	// Dropping needs the flag and says how much goes.
	only := mustSchema(t, strata.Table("other", v.Object{}))
	dry := push(t, db, only, strata.PushOptions{DryRun: true, DropTables: true})
	if dry.DroppedTables["users"] != 0 || dry.Diff.Class() != schema.Safe {
		t.Errorf("dry run drop of an empty table: %+v", dry)
	}
	insert(t, db, "users", strata.Doc{"name": "ada"})
	dry = push(t, db, only, strata.PushOptions{DryRun: true, DropTables: true})
	if dry.DroppedTables["users"] != 1 || dry.Diff.Class() != schema.Destructive || !strings.Contains(fmt.Sprint(dry.Diff.Changes), "drop table users and its 1 documents") {
		t.Errorf("dry run drop: %+v %v", dry, dry.Diff.Changes)
	}
	push(t, db, only, strata.PushOptions{DropTables: true})
	// Dropped: no documents, and not declared, so reading it is an error.
	err = db.Query(ctx, func(tx *strata.Tx) error {
		n, err := tx.Table("users").Collect()
		if len(n) != 0 {
			t.Errorf("users still has %d documents", len(n))
		}
		return err
	})
	if !errors.Is(err, strata.ErrUnknownTable) {
		t.Errorf("read of the dropped table: %v, want ErrUnknownTable", err)
	}
}

// TestPushSupersedes: a push registered while another is pending wins;
// the older one fails with ErrPushSuperseded.
func TestPushSupersedes(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	push(t, db, mustSchema(t, usersV1()), strata.PushOptions{})
	insert(t, db, "users", strata.Doc{"name": "a", "avatarUrl": "x"})
	required := mustSchema(t, strata.Table("users", v.Object{"name": v.String(), "avatarUrl": v.String()}))
	other := mustSchema(t, strata.Table("users", v.Object{"name": v.String(), "avatarUrl": v.Union(v.String(), v.Null())}))
	var inner error
	_, err := db.Push(ctx, required, strata.PushOptions{Progress: func(strata.Progress) {
		if inner == nil {
			_, inner = db.Push(ctx, other, strata.PushOptions{})
		}
	}})
	if inner != nil || !errors.Is(err, strata.ErrPushSuperseded) {
		t.Fatalf("inner push %v, outer %v", inner, err)
	}
	if f := db.Schema().Tables["users"].Fields["avatarUrl"]; !v.Equal(f, v.Union(v.String(), v.Null())) {
		t.Errorf("active avatarUrl = %v", f)
	}
}

// TestPushOnPostgres runs the push tests written against openDB on
// PostgreSQL (they run on SQLite under their own names).
func TestPushOnPostgres(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"SeedPitfalls", TestPushSeedPitfalls},
		{"WideningSkipsCheck", TestPushWideningSkipsCheck},
		{"IndexBuildResumes", TestIndexBuildResumes},
		{"QueryIndexErrors", TestQueryIndexErrors},
		{"RemovedTables", TestPushRemovedTables},
		{"Supersedes", TestPushSupersedes},
	}
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		if !strings.HasSuffix(t.Name(), "/postgres") {
			t.Skip("runs on SQLite under its own name")
		}
		for _, tc := range tests {
			t.Run(tc.name, tc.fn)
		}
	})
}
