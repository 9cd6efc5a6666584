package value_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/value"
)

type Base struct {
	Created int64 `strata:"created"`
	Note    string
}

type Extra struct {
	Flag bool `json:"flag"`
}

type tagged struct {
	ID     value.ID  `strata:"_id"`
	Name   string    `strata:"name"`
	Nick   *string   `strata:"nick"`
	Alias  *string   `strata:"alias,nullable"`
	Bio    string    `strata:"bio,omitempty"`
	Tags   []string  `strata:"tags,omitempty"`
	Author value.ID  `strata:"author,id=users"`
	JSON   int       `json:"j,omitempty"`
	Secret string    `strata:"-"`
	Plain  uint16    //
	Inner  *innerDoc `strata:"inner,omitempty"`
	Any    any       `strata:"any"`
	hidden int
	Base
	*Extra
}

type innerDoc struct {
	Level  int8              `strata:"level"`
	Ratio  float32           `strata:"ratio"`
	Labels map[string]string `strata:"labels"`
	Pair   [2]int            `strata:"pair"`
	Blob   []byte            `strata:"blob"`
}

func TestStructEncode(t *testing.T) {
	nick := "a"
	cases := []struct {
		name string
		in   any
		want map[string]any
	}{
		{"zero", tagged{}, map[string]any{
			"name": "", "alias": nil, "author": value.ID(""), "Plain": int64(0), "any": nil, "created": int64(0), "Note": "",
		}},
		{"full", &tagged{
			ID: "x", Name: "Ada", Nick: &nick, Bio: "b", Tags: []string{"t"}, Author: "u", JSON: 3, Secret: "s", Plain: 9,
			Inner: &innerDoc{Level: -1, Ratio: 0.5, Labels: map[string]string{"k": "v"}, Pair: [2]int{1, 2}, Blob: []byte{1}},
			Any:   []int{1}, hidden: 1, Base: Base{Created: 5, Note: "n"}, Extra: &Extra{Flag: true},
		}, map[string]any{
			"_id": value.ID("x"), "name": "Ada", "nick": "a", "alias": nil, "bio": "b", "tags": []any{"t"}, "author": value.ID("u"), "j": int64(3),
			"Plain": int64(9), "inner": map[string]any{"level": int64(-1), "ratio": 0.5, "labels": map[string]any{"k": "v"}, "pair": []any{int64(1), int64(2)}, "blob": []byte{1}},
			"any": []any{int64(1)}, "created": int64(5), "Note": "n", "flag": true,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := value.Convert(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestStructAssign(t *testing.T) {
	var got tagged
	got.Secret = "kept? no: reset"
	in := map[string]any{
		"_id": value.ID("x"), "name": "Ada", "nick": "a", "tags": []any{"t"}, "author": "u", "j": int64(3), "Plain": int64(9),
		"inner":   map[string]any{"level": int64(-1), "ratio": 0.5, "labels": map[string]any{"k": "v"}, "pair": []any{int64(1), int64(2)}, "blob": []byte{1}},
		"created": int64(5), "flag": true, "any": map[string]any{"x": 1.5}, "unknown": "ignored",
	}
	if err := value.Assign(in, &got); err != nil {
		t.Fatal(err)
	}
	nick := "a"
	want := tagged{
		ID: "x", Name: "Ada", Nick: &nick, Tags: []string{"t"}, Author: "u", JSON: 3, Plain: 9,
		Inner: &innerDoc{Level: -1, Ratio: 0.5, Labels: map[string]string{"k": "v"}, Pair: [2]int{1, 2}, Blob: []byte{1}},
		Any:   map[string]any{"x": 1.5}, Base: Base{Created: 5}, Extra: &Extra{Flag: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// TestAssignRefuses: every mismatch names the path, what was found and
// the Go type wanted.
func TestAssignRefuses(t *testing.T) {
	type withTime struct {
		At time.Time `strata:"at"`
	}
	type small struct {
		N   int8    `strata:"n"`
		U   uint    `strata:"u"`
		F   float32 `strata:"f"`
		S   string  `strata:"s"`
		L   []int   `strata:"l"`
		A   [2]int  `strata:"a"`
		M   map[string]int
		I   error     `strata:"i"`
		Sub *innerDoc `strata:"sub"`
	}
	cases := []struct {
		name string
		in   any
		dst  any
		path string
		want string
	}{
		{"not a pointer", map[string]any{}, small{}, "", "non-nil pointer"},
		{"nil pointer", map[string]any{}, (*small)(nil), "", "non-nil pointer"},
		{"int overflow", map[string]any{"n": int64(300)}, &small{}, "n", "int64 300 overflows Go type int8"},
		{"negative uint", map[string]any{"u": int64(-1)}, &small{}, "u", "overflows Go type uint"},
		{"float32 overflow", map[string]any{"f": math.MaxFloat64}, &small{}, "f", "overflows Go type float32"},
		{"number into int", map[string]any{"n": 1.5}, &small{}, "n", "found number, want Go type int8"},
		{"int into float", map[string]any{"f": int64(1)}, &small{}, "f", "found int64, want Go type float32"},
		{"null into string", map[string]any{"s": nil}, &small{}, "s", "found null, want Go type string"},
		{"wrong element", map[string]any{"l": []any{int64(1), "x"}}, &small{}, "l[1]", "found string, want Go type int"},
		{"array length", map[string]any{"a": []any{int64(1)}}, &small{}, "a", "array of 1 elements, want Go type [2]int"},
		{"map value", map[string]any{"M": map[string]any{"k": true}}, &small{}, "M.k", "found boolean, want Go type int"},
		{"interface", map[string]any{"i": "x"}, &small{}, "i", "want Go type error"},
		{"nested", map[string]any{"sub": map[string]any{"labels": map[string]any{"k": int64(1)}}}, &small{}, "sub.labels.k", "found int64, want Go type string"},
		{"object into string", map[string]any{"s": map[string]any{}}, &small{}, "s", "found object"},
		{"time.Time", map[string]any{"at": map[string]any{}}, &withTime{}, "at", "want Go type time.Time"},
		{"not an object", "x", &small{}, "", "found string, want Go type value_test.small"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := value.Assign(c.in, c.dst)
			var ve *value.Error
			if !errors.As(err, &ve) || ve.Op != "assign" || ve.Path != c.path || !strings.Contains(ve.Msg, c.want) {
				t.Fatalf("got %v (%+v); want op assign, path %q, message containing %q", err, ve, c.path, c.want)
			}
		})
	}
}

// TestStructTagErrors: a tag that names no usable field fails every
// conversion of its type, both ways, naming the struct and field.
func TestStructTagErrors(t *testing.T) {
	type dollar struct {
		X int `strata:"$x"`
	}
	type option struct {
		X int `strata:"x,omitnil"`
	}
	type dup struct {
		A int `strata:"a"`
		B int `strata:"a"`
	}
	type idInt struct {
		ID int `strata:"_id"`
	}
	type ctString struct {
		CT string `strata:"_creationTime"`
	}
	type nullableInt struct {
		N int `strata:"n,nullable"`
	}
	type idEmpty struct {
		A string `strata:"a,id="`
	}
	type badKey struct {
		A int `strata:"a\xff"`
	}
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"$ name", dollar{}, `struct value_test.dollar field X: object key "$x" starts with "$"`},
		{"unknown option", option{}, `field X: unknown tag option "omitnil"`},
		{"duplicate", dup{}, `two fields named "a" at the same depth`},
		{"_id not a string", idInt{}, "_id must be a strata.ID or string, not int"},
		{"_creationTime not a float", ctString{}, "_creationTime must be a float64, not string"},
		{"id= without table", idEmpty{}, "id= names no table"},
		{"nullable not a pointer", nullableInt{}, "nullable needs a pointer field, not int"},
		{"invalid UTF-8", badKey{}, "not valid UTF-8"},
		{"nested", map[string]any{"x": []any{dup{}}}, `x[0]: struct value_test.dup: two fields`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := value.Convert(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Convert: got %v, want an error containing %q", err, c.want)
			}
			if _, ok := c.in.(map[string]any); ok {
				return
			}
			dst := reflect.New(reflect.TypeOf(c.in))
			if err := value.Assign(map[string]any{}, dst.Interface()); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "x[0]: ")) {
				t.Errorf("Assign: got %v, want an error containing %q", err, c.want)
			}
			if _, err := value.StructFields(reflect.TypeOf(c.in)); err == nil {
				t.Error("StructFields: no error")
			}
		})
	}
}

// TestEmbeddedShallowerWins: a field of the outer struct hides an
// embedded struct's field of the same name, as in encoding/json.
func TestEmbeddedShallowerWins(t *testing.T) {
	type outer struct {
		Base
		Note string `strata:"Note"`
	}
	got, err := value.Convert(outer{Base: Base{Note: "inner"}, Note: "outer"})
	if err != nil {
		t.Fatal(err)
	}
	if got.(map[string]any)["Note"] != "outer" {
		t.Fatalf("got %v", got)
	}
}
