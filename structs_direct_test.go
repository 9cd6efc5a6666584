package strata_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/storage"
)

type directSub struct {
	X int `strata:"x"`
}

type directItem struct {
	ID    strata.ID  `strata:"_id"`
	Name  string     `strata:"name"`
	N     int64      `strata:"n"`
	Score float64    `strata:"score"`
	Tags  []string   `strata:"tags"`
	Sub   *directSub `strata:"sub"`
	Extra any        `strata:"extra"`
}

// typedRead is one typed read and what it returned.
type typedRead struct {
	name string
	run  func(tx *strata.Tx) (any, error)
}

// outcome is what a typed read returned, comparable across runs.
type outcome struct {
	result   any
	err      string
	notFound bool
	decode   *strata.DecodeError
}

func runRead(t *testing.T, db *strata.DB, r typedRead) outcome {
	t.Helper()
	var o outcome
	query(t, db, func(tx *strata.Tx) error {
		res, err := r.run(tx)
		o.result = res
		if err != nil {
			o.err = err.Error()
			o.notFound = errors.Is(err, strata.ErrNotFound)
			errors.As(err, &o.decode)
		}
		return nil
	})
	return o
}

// TestTypedReadsDirectMatchesMapPath: Get, Collect, First, Unique and
// Paginate return the same values and the same errors whether records are
// decoded straight into the struct or through a Doc, over documents that
// fit, documents that do not (a float for an int64, a missing field, a
// string for an object, extra fields), a corrupt record, and both
// together.
func TestTypedReadsDirectMatchesMapPath(t *testing.T) {
	docs := []strata.Doc{
		{"name": "a", "n": int64(1), "score": 1.5, "tags": []any{"x"}, "sub": strata.Doc{"x": int64(2)}, "extra": []any{int64(1), "y"}},
		{"name": "b", "n": int64(2), "score": 2.5, "unknown": strata.Doc{"deep": []any{nil}}},
		{"name": "c", "n": int64(3), "score": 3.5, "tags": nil, "sub": nil},
		{"name": "d", "n": int64(4), "score": 4.5, "extra": strata.Doc{"k": "v"}},
	}
	misfits := map[string]strata.Doc{
		"float for int64": {"name": "b", "n": 2.0},
		"int64 for float": {"name": "b", "n": int64(2), "score": int64(2)},
		"string for sub":  {"name": "b", "sub": "x"},
		"null for string": {"name": nil},
	}
	type dataset struct {
		name    string
		misfit  strata.Doc // replaces docs[1]
		corrupt bool       // docs[2]'s record gets a trailing byte
	}
	sets := []dataset{{name: "fit"}, {name: "corrupt", corrupt: true}}
	for name, m := range misfits {
		sets = append(sets, dataset{name: name, misfit: m}, dataset{name: name + " and corrupt", misfit: m, corrupt: true})
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, set := range sets {
			t.Run(backend+"/"+set.name, func(t *testing.T) { checkTypedReads(t, openDamageable(t, backend), docs, set.misfit, set.corrupt) })
		}
	}
}

// checkTypedReads stores docs in db (docs[1] replaced by misfit and
// docs[3] by another one if misfit is not nil, docs[2]'s record damaged if
// corrupt) and compares every typed read with the map path's reference
// code, with direct decoding and without.
func checkTypedReads(t *testing.T, db *strata.DB, docs []strata.Doc, misfit strata.Doc, corrupt bool) {
	t.Helper()
	ids := make([]strata.ID, len(docs))
	var missing strata.ID // deleted
	mutate(t, db, func(tx *strata.Tx) error {
		for i, d := range docs {
			if i == 1 && misfit != nil {
				d = misfit
			}
			if i == 3 && misfit != nil {
				d = strata.Doc{"name": "d", "n": "not a number"}
			}
			var err error
			if ids[i], err = tx.Insert("items", d); err != nil {
				return err
			}
		}
		var err error
		if missing, err = tx.Insert("items", strata.Doc{}); err != nil {
			return err
		}
		return tx.Delete(missing)
	})
	if corrupt {
		damage(t, db, func(st storage.Tx) error {
			body, err := st.Get("items", []byte(ids[2]))
			if err != nil {
				return err
			}
			return st.Put("items", []byte(ids[2]), append(body, 0))
		})
	}
	refs := typedReads(ids, missing, true)
	for i, r := range typedReads(ids, missing, false) {
		want := runRead(t, db, refs[i])
		got := runRead(t, db, r)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n direct: %+v\n   maps: %+v", r.name, got, want)
		}
		strata.SetMapPathOnly(true)
		got = runRead(t, db, r)
		strata.SetMapPathOnly(false)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s, map path only:\n got: %+v\nwant: %+v", r.name, got, want)
		}
	}
}

// typedReads are the typed reads of the test's documents, or (ref) the
// same reads by the map path's reference code.
func typedReads(ids []strata.ID, missing strata.ID, ref bool) []typedRead {
	get, collect, first, unique, paginate := strata.Get[directItem], strata.Collect[directItem], strata.First[directItem], strata.Unique[directItem], strata.Paginate[directItem]
	getMap, collectPtr := strata.Get[map[string]any], strata.Collect[*directItem]
	if ref {
		get, collect, first, unique, paginate = strata.MapGet[directItem], strata.MapCollect[directItem], strata.MapFirst[directItem], strata.MapUnique[directItem], strata.MapPaginate[directItem]
		getMap, collectPtr = strata.MapGet[map[string]any], strata.MapCollect[*directItem]
	}
	items := func(tx *strata.Tx) *strata.Query { return tx.Table("items") }
	filtered := func(tx *strata.Tx) *strata.Query {
		return tx.Table("items").Filter(strata.Field("score").Gt(2.0))
	}
	byID := func(id strata.ID) func(tx *strata.Tx) *strata.Query {
		return func(tx *strata.Tx) *strata.Query { return tx.Table("items").WithIndex("by_id", strata.Eq("_id", id)) }
	}
	var reads []typedRead
	for i, id := range ids {
		reads = append(reads,
			typedRead{fmt.Sprint("Get ", i), func(tx *strata.Tx) (any, error) { return get(tx, id) }},
			typedRead{fmt.Sprint("First by_id ", i), func(tx *strata.Tx) (any, error) { return first(byID(id)(tx)) }},
			typedRead{fmt.Sprint("Unique by_id ", i), func(tx *strata.Tx) (any, error) { return unique(byID(id)(tx)) }},
		)
	}
	for _, q := range []struct {
		name string
		q    func(tx *strata.Tx) *strata.Query
	}{
		{"all", items},
		{"desc", func(tx *strata.Tx) *strata.Query { return items(tx).Order(strata.Desc) }},
		{"filtered", filtered},
		{"missing", byID(missing)},
		{"none", func(tx *strata.Tx) *strata.Query { return items(tx).Filter(strata.Field("name").Eq("none")) }},
		{"not a table", func(tx *strata.Tx) *strata.Query { return tx.Table("$x") }},
	} {
		reads = append(reads,
			typedRead{"Collect " + q.name, func(tx *strata.Tx) (any, error) { return collect(q.q(tx)) }},
			typedRead{"First " + q.name, func(tx *strata.Tx) (any, error) { return first(q.q(tx)) }},
			typedRead{"Unique " + q.name, func(tx *strata.Tx) (any, error) { return unique(q.q(tx)) }},
			typedRead{"Paginate " + q.name, func(tx *strata.Tx) (any, error) {
				var pages []strata.PageOf[directItem]
				cursor := ""
				for range 3 {
					p, err := paginate(q.q(tx), 2, cursor)
					if err != nil {
						return pages, err
					}
					pages = append(pages, p)
					if p.IsDone {
						break
					}
					cursor = p.ContinueCursor
				}
				return pages, nil
			}},
		)
	}
	return append(reads,
		typedRead{"Get missing", func(tx *strata.Tx) (any, error) { return get(tx, missing) }},
		typedRead{"Get malformed", func(tx *strata.Tx) (any, error) { return get(tx, ids[0][:len(ids[0])-1]+"x") }},
		typedRead{"Get not an id", func(tx *strata.Tx) (any, error) { return get(tx, "nope") }},
		typedRead{"Get into a map", func(tx *strata.Tx) (any, error) { return getMap(tx, ids[0]) }},
		typedRead{"Collect pointers", func(tx *strata.Tx) (any, error) { return collectPtr(items(tx)) }},
	)
}
