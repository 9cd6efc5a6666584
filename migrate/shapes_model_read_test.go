package migrate_test

import (
	"fmt"
	"maps"
	"slices"

	"pgregory.net/rapid"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/value"
)

// The read side of TestShapesModel: the check after every step, the
// index queries and pages compared with the model, and compaction.

// sorted returns the model's documents in the order of by_name (the
// indexed field, then _creationTime and _id) or, with field "", of
// by_creation_time; keep filters them.
func (s *shapeModel) sorted(field string, keep func(op.Doc) bool) []op.Doc {
	var out []op.Doc
	for _, d := range s.docs {
		if keep == nil || keep(d) {
			out = append(out, d)
		}
	}
	key := func(d op.Doc) []any {
		k := []any{d[strata.FieldCreationTime], string(d[strata.FieldID].(strata.ID))}
		if field != "" {
			x, ok := d[field]
			if !ok {
				x = value.Undef
			}
			k = append([]any{x}, k...)
		}
		return k
	}
	slices.SortFunc(out, func(a, b op.Doc) int {
		ka, kb := key(a), key(b)
		for i := range ka {
			if c := value.Compare(ka[i], kb[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// same fails unless got and want are the same documents in the same
// order.
func same(rt *rapid.T, what string, got []strata.Doc, want []op.Doc) {
	rt.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			rt.Fatalf("%s: %d documents, want %d; missing %v", what, len(got), len(want), want[i])
		case i >= len(want):
			rt.Fatalf("%s: %d documents, want %d; extra %v", what, len(got), len(want), got[i])
		case !value.Equal(map[string]any(got[i]), map[string]any(want[i])):
			rt.Fatalf("%s: document %d is\n\t%v\nwant\n\t%v", what, i, got[i], want[i])
		}
	}
}

// check is the invariant after every step: a scan and Get of every
// document read the model's documents, which satisfy the active schema,
// and dbcheck passes.
func (s *shapeModel) check(rt *rapid.T) {
	want := s.sorted("", nil)
	var scanned, got []strata.Doc
	err := s.db.Query(ctx, func(tx *strata.Tx) error {
		var err error
		if scanned, err = tx.Table(modelTable).Collect(); err != nil {
			return err
		}
		got = got[:0]
		for _, w := range want {
			d, err := tx.Get(w[strata.FieldID].(strata.ID))
			if err != nil {
				return err
			}
			got = append(got, d)
		}
		return nil
	})
	if err != nil {
		rt.Fatalf("read: %v", err)
	}
	same(rt, "scan", scanned, want)
	same(rt, "get", got, want)
	var others []strata.Doc
	err = s.read(s.other, func(tx *strata.Tx) error {
		var err error
		others, err = tx.Table(modelTable).Collect()
		return err
	})
	if err != nil {
		rt.Fatalf("read (other process): %v", err)
	}
	same(rt, "scan (other process)", others, want)
	// Pushes on the instant path are trusted (they read no document), so
	// dbcheck, which does not validate documents, cannot see a schema
	// that the logical documents do not satisfy: check it here.
	sch := s.db.Schema()
	for _, d := range scanned {
		if err := sch.ValidateDocument(modelTable, d); err != nil {
			rt.Fatalf("document %v does not satisfy the active schema %v: %v", d, sch.Tables[modelTable], err)
		}
	}
	if err := dbcheck.Check(ctx, s.db); err != nil {
		rt.Fatalf("dbcheck: %v", err)
	}
}

// compact materializes the table (migrate.Compact): the logical
// documents do not change (the check after it says so), and afterwards
// every stored record is of the current shape and the chain has no
// pending step.
func (s *shapeModel) compact(rt *rapid.T) {
	before, err := migrate.Shapes(ctx, s.db, modelTable)
	if err != nil {
		rt.Fatal(err)
	}
	st, err := s.m.Compact(ctx, modelTable)
	if err != nil || st.State != migrate.Completed {
		rt.Fatalf("compact (shapes %+v): %+v %v", before, st, err)
	}
	after, err := migrate.Shapes(ctx, s.db, modelTable)
	if err != nil {
		rt.Fatal(err)
	}
	if after.Pending() != 0 || after.Current != before.Current {
		rt.Fatalf("compact: shapes %+v before, %+v after", before, after)
	}
	for id, shape := range recordShapes(rt, s.url, modelTable, s.ids()) {
		if shape != after.Current {
			rt.Fatalf("compact: record %s is of shape %d, the current shape is %d", id, shape, after.Current)
		}
	}
	if before.Pending() > 0 {
		s.stats["compact"]++
		if len(s.actives) > 0 {
			s.stats["compact while active"]++
		}
	}
}

// queryable returns the indexes queries may use (name -> field): the
// schema's, and those the active migration added.
func (s *shapeModel) queryable() map[string]string {
	out := maps.Clone(s.indexes)
	for _, mig := range s.actives {
		maps.Copy(out, mig.added)
	}
	return out
}

// kindOf returns the kind of field f in the schema or, if an active
// migration adds it, in its final schema.
func (s *shapeModel) kindOf(f string) fieldKind {
	if ft, ok := s.fields[f]; ok {
		return ft.kind
	}
	for _, mig := range s.actives {
		if ft, ok := mig.adds[f]; ok {
			return ft.kind
		}
	}
	return kindStr
}

// drawIndex draws an index queries may use and returns it with its field.
func (s *shapeModel) drawIndex(rt *rapid.T) (name, field string) {
	ix := s.queryable()
	name = rapid.SampledFrom(slices.Sorted(maps.Keys(ix))).Draw(rt, "index")
	return name, ix[name]
}

// query reads a range of an index, in either order, and compares it with
// the model's documents filtered and sorted the same way.
func (s *shapeModel) query(rt *rapid.T) {
	index, f := s.drawIndex(rt)
	vals := s.kindOf(f).values()
	var rng []strata.RangeExpr
	keep := func(op.Doc) bool { return true }
	switch rapid.IntRange(0, 3).Draw(rt, "range") {
	case 1:
		x := rapid.SampledFrom(vals).Draw(rt, "eq")
		rng = []strata.RangeExpr{strata.Eq(f, x)}
		keep = func(d op.Doc) bool { return value.Equal(d[f], x) }
	case 2:
		lo := rapid.SampledFrom(vals).Draw(rt, "gte")
		rng = []strata.RangeExpr{strata.Gte(f, lo)}
		keep = func(d op.Doc) bool { return value.Compare(d[f], lo) >= 0 }
	case 3:
		lo := rapid.SampledFrom(vals).Draw(rt, "gt")
		hi := rapid.SampledFrom(vals).Draw(rt, "lte")
		rng = []strata.RangeExpr{strata.Gt(f, lo), strata.Lte(f, hi)}
		keep = func(d op.Doc) bool { return value.Compare(d[f], lo) > 0 && value.Compare(d[f], hi) <= 0 }
	}
	want := s.sorted(f, keep)
	order := strata.Asc
	if rapid.Bool().Draw(rt, "desc") {
		order = strata.Desc
		slices.Reverse(want)
	}
	var got []strata.Doc
	err := s.read(s.handle(rt), func(tx *strata.Tx) error {
		var err error
		got, err = tx.Table(modelTable).WithIndex(index, rng...).Order(order).Collect()
		return err
	})
	if err != nil {
		rt.Fatalf("query %s %v: %v", index, rng, err)
	}
	same(rt, fmt.Sprintf("%s %v order %v", index, rng, order), got, want)
	if index != "by_name" {
		s.stats["query an added index"]++
	}
}

// paginate reads an index or by_creation_time page by page.
func (s *shapeModel) paginate(rt *rapid.T) {
	size := rapid.SampledFrom([]int{1, 3, 100}).Draw(rt, "page size")
	index, field := "by_creation_time", ""
	if rapid.Bool().Draw(rt, "by an index") {
		index, field = s.drawIndex(rt)
	}
	want := s.sorted(field, nil)
	var got []strata.Doc
	cursor := ""
	db := s.handle(rt)
	for pages := 0; ; pages++ {
		var p strata.Page
		err := s.read(db, func(tx *strata.Tx) error {
			var err error
			p, err = tx.Table(modelTable).WithIndex(index).Paginate(size, cursor)
			return err
		})
		if err != nil {
			rt.Fatalf("paginate %s: %v", index, err)
		}
		got = append(got, p.Page...)
		if p.IsDone {
			break
		}
		if pages > len(want)+1 {
			rt.Fatalf("paginate %s: more pages than documents", index)
		}
		cursor = p.ContinueCursor
	}
	same(rt, "paginate "+index, got, want)
}
