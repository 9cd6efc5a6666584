package v_test

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

type address struct {
	City string `strata:"city"`
	Zip  *int   `strata:"zip"`
}

type audit struct {
	Version int64 `strata:"version"`
}

type Extra struct {
	Flag bool `strata:"flag"`
}

type level uint8

type derived struct {
	ID       value.ID          `strata:"_id"`
	Created  float64           `strata:"_creationTime"`
	Name     string            `strata:"name"`
	Age      int               `strata:"age"`
	Level    level             `strata:"level"`
	Score    float32           `strata:"score"`
	Active   bool              `strata:"active"`
	Avatar   []byte            `strata:"avatar"`
	Tags     []string          `strata:"tags,omitempty"`
	Pair     [2]float64        `strata:"pair"`
	Labels   map[string]string `strata:"labels"`
	Email    *string           `strata:"email"`
	Alias    *string           `strata:"alias,nullable"`
	Author   value.ID          `strata:"author,id=users"`
	Editor   *value.ID         `strata:"editor,id=users"`
	Home     address           `strata:"home"`
	Past     []*address        `strata:"past"`
	Meta     any               `strata:"meta"`
	Secret   string            `strata:"-"`
	Nickname string            `json:"nickname,omitempty"`
	audit
	*Extra
}

func TestFor(t *testing.T) {
	got, err := v.For[derived]()
	if err != nil {
		t.Fatal(err)
	}
	addr := v.Object{"city": v.String(), "zip": v.Optional(v.Int64())}
	want := v.Object{
		"name": v.String(), "age": v.Int64(), "level": v.Int64(), "score": v.Number(), "active": v.Boolean(),
		"avatar": v.Bytes(), "tags": v.Optional(v.Array(v.String())), "pair": v.Array(v.Number()),
		"labels": v.Record(v.String(), v.String()), "email": v.Optional(v.String()),
		"alias": v.Union(v.Null(), v.String()), "author": v.ID("users"), "editor": v.Optional(v.ID("users")),
		"home": addr, "past": v.Array(v.Union(v.Null(), addr)), "meta": v.Any(),
		"nickname": v.Optional(v.String()), "version": v.Int64(), "flag": v.Optional(v.Boolean()),
	}
	if !v.Equal(got, want) {
		a, _ := v.MarshalJSON(got)
		b, _ := v.MarshalJSON(want)
		t.Fatalf("For[derived]:\n got %s\nwant %s", a, b)
	}
	if err := v.Check(got); err != nil {
		t.Fatalf("derived validator fails Check: %v", err)
	}
	// What converting a value gives passes the derived validator.
	zip := 75001
	uid := value.NewID("users")
	for _, d := range []derived{{Author: uid}, {Author: uid, Editor: &uid, Name: "Ada", Tags: []string{"a"}, Home: address{City: "Paris", Zip: &zip}, Past: []*address{nil, {City: "x"}}, Extra: &Extra{true}, Meta: []any{int64(1)}}} {
		doc, err := value.Convert(d)
		if err != nil {
			t.Fatal(err)
		}
		m := doc.(map[string]any)
		delete(m, "_id")
		if err := got.ValidateDocument(m); err != nil {
			t.Fatalf("converted %+v fails the derived validator: %v", d, err)
		}
	}
}

// TestForRefuses: field types with no strata meaning, and tag errors, are
// errors naming the field path and the Go type.
func TestForRefuses(t *testing.T) {
	type withChan struct {
		C chan int `strata:"c"`
	}
	type withFunc struct {
		F []func() `strata:"fs"`
	}
	type withComplex struct {
		Z map[string]complex64 `strata:"z"`
	}
	type withTime struct {
		Inner struct {
			At time.Time `strata:"at"`
		} `strata:"inner"`
	}
	type withIntKey struct {
		M map[int]string `strata:"m"`
	}
	type withStringer struct {
		S interface{ String() string } `strata:"s"`
	}
	type withBareID struct {
		Author value.ID `strata:"author"`
	}
	type withIDOnInt struct {
		N int `strata:"n,id=users"`
	}
	type node struct {
		Next *node `strata:"next"`
	}
	type badTag struct {
		A int `strata:"a,wat"`
	}
	cases := []struct {
		name string
		fn   func() (v.Object, error)
		want string
	}{
		{"chan", v.For[withChan], "c: unsupported Go type chan int"},
		{"func", v.For[withFunc], "fs[]: unsupported Go type func()"},
		{"complex", v.For[withComplex], "z[]: unsupported Go type complex64"},
		{"time.Time", v.For[withTime], "inner.at: unsupported Go type time.Time"},
		{"int map key", v.For[withIntKey], "m: unsupported Go type map[int]string"},
		{"interface with methods", v.For[withStringer], "s: interface type interface { String() string }"},
		{"ID without table", v.For[withBareID], "author: a strata.ID field needs the table"},
		{"id= on int", v.For[withIDOnInt], "n: id=users needs a strata.ID or string field, not int"},
		{"recursive", v.For[node], "next: Go type v_test.node contains itself"},
		{"tag error", v.For[badTag], `unknown tag option "wat"`},
		{"not a struct", v.For[int], "not a struct"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.fn()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, %v; want an error containing %q", got, err, c.want)
			}
		})
	}
}
