package migrate_test

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/internal/active"
	"github.com/strata-db/strata/internal/header"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// oldShapeCase is one declarative operation for TestOldShapeReads, on
// the table oldShapeSchema declares.
type oldShapeCase struct {
	name, file string
	// index is the field by_name indexes after complete.
	index string
}

var oldShapeCases = []oldShapeCase{
	{"add_field", `{"name":"m_add","operations":[{"add_field":{"table":"items","field":"flag","type":"string","default":"none"}}]}`, "name"},
	{"rename_field", `{"name":"m_rename","operations":[{"rename_field":{"table":"items","from":"name","to":"title"}}]}`, "title"},
	{"remove_field", `{"name":"m_remove","operations":[{"remove_field":{"table":"items","field":"score"}}]}`, "name"},
	{"change_type", `{"name":"m_change","operations":[{"change_type":{"table":"items","from":"prio","to":"level","type":"number","map":{"low":1,"medium":2},"default":0}}]}`, "name"},
}

// oldShapeDocs is how many documents TestOldShapeReads stores before the
// migration: more than a page of 100.
const oldShapeDocs = 150

// TestOldShapeReads: for each operation of the instant path, a record
// written before the migration (kept in the old shape: its stored header
// says so) reads, after start and after complete or rollback, as the
// eager result: the same documents the rewriting path stores, and the
// operation applied to the original document in memory (active.Apply),
// through Get, Paginate (pages of 100), a range of an index over a field
// the rename renames, and export (Table.Each). Writes by old-shape and
// new-shape writers between start and the end go to both databases
// alike. `strata check` passes on both after start, complete and
// rollback.
func TestOldShapeReads(t *testing.T) {
	t.Parallel()
	for _, c := range oldShapeCases {
		for _, end := range []string{"complete", "rollback"} {
			t.Run(c.name+"/"+end, func(t *testing.T) {
				t.Parallel()
				eachProcBackend(t, func(t *testing.T, b procBackend) { testOldShapeReads(t, b, c, end) })
			})
		}
	}
}

func testOldShapeReads(t *testing.T, b procBackend, c oldShapeCase, end string) {
	instant, iurl := procDB(t, b)
	eager, eurl := procDB(t, b)
	sch, err := strata.NewSchema(strata.Table("items", v.Object{
		"name": v.String(), "prio": v.Union(v.Literal("low"), v.Literal("medium"), v.Literal("high")),
		"score": v.Number(), "note": v.Optional(v.String()),
	}).Index("by_name", "name"))
	if err != nil {
		t.Fatal(err)
	}
	orig := map[strata.ID]op.Doc{}
	for _, db := range []*strata.DB{instant, eager} {
		if err := db.SetSchema(ctx, sch); err != nil {
			t.Fatal(err)
		}
	}
	// The same documents, with the same ids and creation times, in both.
	err = instant.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range oldShapeDocs {
			d := strata.Doc{"name": string(rune('a' + i%7)), "prio": []string{"low", "medium", "high"}[i%3], "score": float64(i)}
			if i%4 == 0 {
				d["note"] = fmt.Sprint("n", i)
			}
			id, err := tx.Insert("items", d)
			if err != nil {
				return err
			}
			stored, err := tx.Get(id)
			if err != nil {
				return err
			}
			orig[id] = op.Doc(stored)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	importDocs(t, eager, slices.Collect(maps.Values(orig)))

	f := parseFile(t, c.file)
	text, err := op.MarshalFile(f)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := op.ParseRecorded(text)
	if err != nil {
		t.Fatal(err)
	}
	mi, me := migrate.New(instant), migrate.New(eager, rewrite)
	for _, m := range []*migrate.Migrator{mi, me} {
		if st, err := m.Start(ctx, f); err != nil || st.State != migrate.Ready {
			t.Fatalf("start: %+v %v", st, err)
		}
	}
	phases := []string{active.Expand}
	untouched := slices.Sorted(maps.Keys(orig))
	compareShapes(t, "after start", instant, eager, rec, phases, orig, untouched[:oldShapeDocs-3], "name")
	for _, u := range []string{iurl, eurl} {
		strataCheck(t, u, "after start")
	}

	// Writers of both shapes while the migration is ready, alike on both
	// databases: an old-shape patch, a new-shape patch, a new-shape
	// insert (imported with the same id into both).
	newShape := newShapeDoc(c, end)
	var inserted strata.Doc
	err = instant.Mutation(ctx, func(tx *strata.Tx) error {
		id, err := tx.Insert("items", newShape)
		if err == nil {
			inserted, err = tx.Get(id)
		}
		return err
	})
	if err != nil {
		t.Fatalf("new-shape insert %v: %v", newShape, err)
	}
	importDocs(t, eager, []op.Doc{op.Doc(newShapeOf(c, end, inserted))})
	for _, db := range []*strata.DB{instant, eager} {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			if err := tx.Patch(untouched[oldShapeDocs-1], strata.Patch{"name": "zz", "prio": "high", "score": 7.5}); err != nil {
				return fmt.Errorf("old-shape patch: %w", err)
			}
			if err := tx.Patch(untouched[oldShapeDocs-2], newShapePatch(c)); err != nil {
				return fmt.Errorf("new-shape patch: %w", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	var st migrate.Status
	for _, m := range []*migrate.Migrator{mi, me} {
		if end == "complete" {
			st, err = m.Complete(ctx, f.Name)
		} else {
			st, err = m.Rollback(ctx, f.Name)
		}
		if err != nil {
			t.Fatalf("%s: %+v %v", end, st, err)
		}
	}
	index := "name"
	if end == "complete" {
		phases = append(phases, active.Contract)
		index = c.index
	} else {
		phases = append(phases, active.Rollback)
	}
	compareShapes(t, "after "+end, instant, eager, rec, phases, orig, untouched[:oldShapeDocs-3], index)
	for _, u := range []string{iurl, eurl} {
		strataCheck(t, u, "after "+end)
	}
	// The instant path rewrote no record written before the migration.
	for id, shape := range recordShapes(t, iurl, "items", untouched[:oldShapeDocs-3]) {
		if shape != 0 {
			t.Fatalf("record %s was rewritten (shape %d)", id, shape)
		}
	}
}

// newShapeDoc is a document a writer of the migration's new shape
// inserts. Before a rollback it keeps a field the old schema requires
// (else the rollback is refused, as TestShapesModel checks).
func newShapeDoc(c oldShapeCase, end string) strata.Doc {
	d := strata.Doc{"name": "new", "prio": "low", "score": 1.5}
	switch c.name {
	case "add_field":
		d["flag"] = "set"
	case "rename_field":
		delete(d, "name")
		d["title"] = "new"
	case "remove_field":
		if end != "rollback" {
			delete(d, "score")
		}
	case "change_type":
		if end != "rollback" {
			delete(d, "prio")
		}
		d["level"] = 5.0
	}
	return d
}

// newShapeOf returns the fields a new-shape writer sets in stored (its
// document as the database stores it), with stored's _id and
// _creationTime: what imports the same write into another database.
func newShapeOf(c oldShapeCase, end string, stored strata.Doc) strata.Doc {
	d := newShapeDoc(c, end)
	d[strata.FieldID], d[strata.FieldCreationTime] = stored.ID(), stored[strata.FieldCreationTime]
	return d
}

// newShapePatch is a patch by a writer of the new shape.
func newShapePatch(c oldShapeCase) strata.Patch {
	switch c.name {
	case "add_field":
		return strata.Patch{"flag": "patched"}
	case "rename_field":
		return strata.Patch{"title": "renamed"}
	case "change_type":
		return strata.Patch{"level": 9.0}
	}
	return strata.Patch{"name": "patched"}
}

// importDocs imports docs, with their ids and creation times, into db.
func importDocs(t *testing.T, db *strata.DB, docs []op.Doc) {
	t.Helper()
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for _, d := range docs {
			if _, err := tx.Import("items", strata.Doc(d)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
}

// shapeViews reads every document of items from db four ways.
func shapeViews(t *testing.T, db *strata.DB, ids []strata.ID, index string) map[string][]strata.Doc {
	t.Helper()
	views := map[string][]strata.Doc{}
	err := db.Query(ctx, func(tx *strata.Tx) error {
		clear(views)
		for _, id := range ids {
			d, err := tx.Get(id)
			if err != nil {
				return err
			}
			views["get"] = append(views["get"], d)
		}
		cursor := ""
		for {
			p, err := tx.Table("items").Paginate(100, cursor)
			if err != nil {
				return err
			}
			views["paginate"] = append(views["paginate"], p.Page...)
			if p.IsDone {
				break
			}
			cursor = p.ContinueCursor
		}
		r, err := tx.Table("items").WithIndex("by_name", strata.Gte(index, "b"), strata.Lt(index, "f")).Collect()
		if err != nil {
			return err
		}
		views["range"] = r
		return tx.Table("items").Each(func(d strata.Doc) error {
			views["export"] = append(views["export"], d)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return views
}

// compareShapes fails unless every view of instant equals the same view
// of eager (the rewriting path), and Get of each untouched document
// equals its original with phases applied in memory.
func compareShapes(t *testing.T, when string, instant, eager *strata.DB, f *op.File, phases []string, orig map[strata.ID]op.Doc, untouched []strata.ID, index string) {
	t.Helper()
	var ids []strata.ID
	err := eager.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("items").Each(func(d strata.Doc) error { ids = append(ids, d.ID()); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	got, want := shapeViews(t, instant, ids, index), shapeViews(t, eager, ids, index)
	if len(want["range"]) == 0 || len(want["paginate"]) <= 100 {
		t.Fatalf("%s: the reads cover too little: %d in the range, %d paged", when, len(want["range"]), len(want["paginate"]))
	}
	for _, view := range []string{"get", "paginate", "range", "export"} {
		g, w := got[view], want[view]
		if len(g) != len(w) {
			t.Fatalf("%s: %s read %d documents on the instant path, %d on the rewriting one", when, view, len(g), len(w))
		}
		for i := range g {
			if !value.Equal(map[string]any(g[i]), map[string]any(w[i])) {
				t.Fatalf("%s: %s document %d on the instant path\n\t%v\nrewritten\n\t%v", when, view, i, g[i], w[i])
			}
		}
	}
	err = instant.Query(ctx, func(tx *strata.Tx) error {
		for _, id := range untouched {
			d, err := tx.Get(id)
			if err != nil {
				return err
			}
			x := orig[id]
			for _, phase := range phases {
				for _, o := range f.Operations {
					if x, err = active.Apply(o, phase, nil, x); err != nil {
						return err
					}
				}
			}
			if !value.Equal(map[string]any(d), map[string]any(x)) {
				return fmt.Errorf("%s: %s reads\n\t%v\nthe eager result is\n\t%v", when, id, d, x)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// strataCheck runs `strata check` on the database at url.
func strataCheck(t *testing.T, url, when string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := cli.Run(ctx, []string{"--db", url, "--progress-every", "0", "check"}, &out, &errOut); err != nil {
		t.Fatalf("strata check %s: %v\n%s%s", when, err, out.String(), errOut.String())
	}
}

// fataler is what recordShapes needs of a test: a *testing.T or a
// *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

// recordShapes returns the shape in the stored header of each document
// of ids, read from storage directly.
func recordShapes(t fataler, url, table string, ids []strata.ID) map[strata.ID]uint64 {
	t.Helper()
	be, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	tx, err := be.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	out := map[strata.ID]uint64{}
	for _, id := range ids {
		body, err := tx.Get(table, []byte(id))
		if err != nil {
			t.Fatal(err)
		}
		if out[id], _, err = header.Split(body); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
