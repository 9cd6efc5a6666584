package model_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/gen/gogen/example/model"
)

func eventLabels(es []model.Event, err error) ([]string, error) {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s%d", e.Kind, e.Count)
	}
	return out, err
}

func userNames(us []model.User, err error) ([]string, error) {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out, err
}

func postTitles(ps []model.Post, err error) ([]string, error) {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Title
	}
	return out, err
}

// TestGeneratedRanges: the generated range builders (an equality prefix of
// an index's fields, then Gt, Gte, Lt, Lte or Between on the next field)
// return the documents of that index range, in index order, on a real
// SQLite database.
func TestGeneratedRanges(t *testing.T) {
	db := openDB(t)
	var ada, bob strata.ID
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		for _, e := range []struct {
			kind  string
			count int64
			host  string
		}{{"click", 3, "c.org"}, {"view", 5, "a.org"}, {"click", 1, "b.org"}, {"click", 4, "d.org"}, {"view", 2, "e.org"}, {"click", 2, "f.org"}} {
			_, err := model.Events(tx).Insert(model.Event{
				Kind: e.kind, Count: e.count, Mixed: "m", Payload: []byte{1}, Tags: []string{}, Type: "t",
				Source: model.EventSource{Host: e.host},
			})
			if err != nil {
				return err
			}
		}
		var err error
		for _, u := range []struct {
			name      string
			createdAt float64
		}{{"u30", 30}, {"u10", 10}, {"u20", 20}} {
			id, err := model.Users(tx).Insert(model.User{Name: u.name, Email: u.name + "@example.com", CreatedAt: &u.createdAt})
			if err != nil {
				return err
			}
			if u.name == "u10" {
				ada = id
			}
		}
		if bob, err = model.Users(tx).Insert(model.User{Name: "bob", Email: "bob@example.com"}); err != nil {
			return err
		}
		for _, p := range []struct {
			author        strata.ID
			title, status string
		}{{ada, "a-pub", "published"}, {ada, "a-draft", "draft"}, {bob, "b-draft", "draft"}, {ada, "a-arch", "archived"}} {
			if _, err := model.Posts(tx).Insert(model.Post{AuthorId: p.author, Title: p.title, Status: p.status}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		run  func(tx *strata.Tx) ([]string, error)
		want []string
	}{
		{"prefix only", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("view").Collect())
		}, []string{"view2", "view5"}},
		{"Gt and Lt", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("click").Gt(1).Lt(4).Collect())
		}, []string{"click2", "click3"}},
		{"Gte", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("click").Gte(2).Collect())
		}, []string{"click2", "click3", "click4"}},
		{"Lte", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("click").Lte(2).Collect())
		}, []string{"click1", "click2"}},
		{"Between is inclusive", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("click").Between(2, 3).Collect())
		}, []string{"click2", "click3"}},
		{"a later lower bound replaces the earlier", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("click").Gte(1).Gt(3).Collect())
		}, []string{"click4"}},
		{"a later upper bound replaces the earlier", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("click").Lt(2).Lte(3).Collect())
		}, []string{"click1", "click2", "click3"}},
		{"descending", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountRange("click").Gt(2).Order(strata.Desc).Collect())
		}, []string{"click4", "click3"}},
		{"First", func(tx *strata.Tx) ([]string, error) {
			e, err := model.Events(tx).ByKindAndCountRange("click").Gte(3).First()
			return eventLabels([]model.Event{e}, err)
		}, []string{"click3"}},
		{"range on the first field of a two-field index", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).ByKindAndCountKindRange().Gt("click").Collect())
		}, []string{"view2", "view5"}},
		{"nested field", func(tx *strata.Tx) ([]string, error) {
			return eventLabels(model.Events(tx).BySourceHostRange().Between("b.org", "d.org").Collect())
		}, []string{"click1", "click3", "click4"}},
		{"optional field", func(tx *strata.Tx) ([]string, error) {
			return userNames(model.Users(tx).ByCreatedAtRange().Gte(15).Collect())
		}, []string{"u20", "u30"}},
		{"id prefix, string range", func(tx *strata.Tx) ([]string, error) {
			return postTitles(model.Posts(tx).ByAuthorAndStatusRange(ada).Lt("published").Collect())
		}, []string{"a-arch", "a-draft"}},
		{"Paginate", func(tx *strata.Tx) ([]string, error) {
			p, err := model.Posts(tx).ByAuthorAndStatusRange(ada).Gte("draft").Paginate(1, "")
			return postTitles(p.Page, err)
		}, []string{"a-draft"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := db.Query(ctx, func(tx *strata.Tx) error {
				var err error
				got, err = c.run(tx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// readEventDoc reads every field of model.Event from d the way the
// fastest hand-written map code does (an index and a type assertion per
// field), and returns something of each so that none is optimized away.
func readEventDoc(d strata.Doc) int {
	id, _ := d["_id"].(strata.ID)
	ct, _ := d["_creationTime"].(float64)
	count, _ := d["count"].(int64)
	kind, _ := d["kind"].(string)
	n := len(id) + int(ct)&1 + int(count) + len(kind)
	if m, ok := d["labels"].(map[string]any); ok {
		for _, x := range m {
			f, _ := x.(float64)
			n += int(f)
		}
	}
	if d["meta"] != nil {
		n++
	}
	if d["mixed"] != nil {
		n++
	}
	payload, _ := d["payload"].([]byte)
	n += len(payload)
	if src, ok := d["source"].(map[string]any); ok {
		if g, ok := src["geo"].(map[string]any); ok {
			lat, _ := g["lat"].(float64)
			lng, _ := g["lng"].(float64)
			n += int(lat + lng)
		}
		host, _ := src["host"].(string)
		n += len(host)
		if p, ok := src["port"].(int64); ok {
			n += int(p)
		}
	}
	tags, _ := d["tags"].([]any)
	for _, t := range tags {
		s, _ := t.(string)
		n += len(s)
	}
	typ, _ := d["type"].(string)
	n += len(typ)
	if u, ok := d["user"].(strata.ID); ok {
		n += len(u)
	}
	return n
}

// readEvent reads the same fields of e as readEventDoc does of a Doc.
func readEvent(e *model.Event) int {
	n := len(e.ID) + int(e.CreationTime)&1 + int(e.Count) + len(e.Kind)
	for _, f := range e.Labels {
		n += int(f)
	}
	if e.Meta != nil {
		n++
	}
	if e.Mixed != nil {
		n++
	}
	n += len(e.Payload)
	if g := e.Source.Geo; g != nil {
		n += int(g.Lat + g.Lng)
	}
	n += len(e.Source.Host)
	if e.Source.Port != nil {
		n += int(*e.Source.Port)
	}
	for _, t := range e.Tags {
		n += len(t)
	}
	n += len(e.Type)
	if e.User != nil {
		n += len(*e.User)
	}
	return n
}

// BenchmarkGeneratedRange runs one index range query (an equality, then a
// lower and an upper bound, 10 documents each) through the generated range
// builder and through the hand-written WithIndex call it stands for,
// reading every field of model.Event from each Doc (the baseline),
// interleaved, and reports the ratio of their times (target: no slower,
// at most 1).
func BenchmarkGeneratedRange(b *testing.B) {
	db := openDB(b)
	const n = 1000
	var ada strata.ID
	err := db.Mutation(ctx, func(tx *strata.Tx) error {
		var err error
		if ada, err = tx.Insert("users", benchUser(0)); err != nil {
			return err
		}
		for i := range n {
			d := strata.Doc{"kind": "click", "count": int64(i), "labels": strata.Doc{"a": 1.5, "b": 2.5}, "meta": strata.Doc{"k": "v"},
				"mixed": "m", "payload": []byte{1, 2, 3}, "tags": []any{"red", "blue"}, "type": "t",
				"source": strata.Doc{"host": "example.com", "port": int64(443), "geo": strata.Doc{"lat": 1.5, "lng": 2.5}}, "user": ada}
			if _, err := tx.Insert("events", d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	const perTx, width = 50, 10
	var sink int
	viaMap := func(i int) error {
		return db.Query(ctx, func(tx *strata.Tx) error {
			for j := range perTx {
				lo := int64((i*perTx + j) % (n - width))
				ds, err := tx.Table("events").WithIndex("by_kind_and_count",
					strata.Eq("kind", "click"), strata.Gte("count", lo), strata.Lt("count", lo+width)).Collect()
				if err != nil {
					return err
				}
				for _, d := range ds {
					sink += readEventDoc(d)
				}
			}
			return nil
		})
	}
	viaGenerated := func(i int) error {
		return db.Query(ctx, func(tx *strata.Tx) error {
			for j := range perTx {
				lo := int64((i*perTx + j) % (n - width))
				es, err := model.Events(tx).ByKindAndCountRange("click").Gte(lo).Lt(lo + width).Collect()
				if err != nil {
					return err
				}
				for k := range es {
					sink += readEvent(&es[k])
				}
			}
			return nil
		})
	}
	interleaved(b, perTx*width, viaMap, viaGenerated)
}
