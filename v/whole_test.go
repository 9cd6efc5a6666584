package v_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// TestWholeNumbers: a whole JSON number becomes an int64 exactly where
// the type admits int64 and not number; {"$integer"} still works; other
// places keep the float64.
func TestWholeNumbers(t *testing.T) {
	t.Parallel()
	user := v.Object{
		"age":    v.Int64(),
		"score":  v.Number(),
		"extra":  v.Optional(v.Any()),
		"tags":   v.Optional(v.Array(v.Int64())),
		"counts": v.Optional(v.Record(v.String(), v.Int64())),
		"either": v.Optional(v.Union(v.Int64(), v.String())),
		"mixed":  v.Optional(v.Union(v.Int64(), v.Number())),
		"one":    v.Optional(v.Literal(int64(1))),
		"nested": v.Optional(v.Union(v.Null(), v.Object{"n": v.Int64()})),
	}
	cases := []struct {
		name, in, want string
	}{
		{"int64 field", `{"age": 30, "score": 30}`, `{"age":{"$integer":"30"},"score":30}`},
		{"tagged still", `{"age": {"$integer":"30"}}`, `{"age":{"$integer":"30"}}`},
		{"fraction stays", `{"age": 30.5}`, `{"age":30.5}`},
		{"any stays", `{"extra": 3}`, `{"extra":3}`},
		{"array", `{"tags": [1, 2]}`, `{"tags":[{"$integer":"1"},{"$integer":"2"}]}`},
		{"record", `{"counts": {"a": 1}}`, `{"counts":{"a":{"$integer":"1"}}}`},
		{"union without number", `{"either": 7}`, `{"either":{"$integer":"7"}}`},
		{"union with number", `{"mixed": 7}`, `{"mixed":7}`},
		{"int64 literal", `{"one": 1}`, `{"one":{"$integer":"1"}}`},
		{"object in union", `{"nested": {"n": 4}}`, `{"nested":{"n":{"$integer":"4"}}}`},
		{"unknown field untouched", `{"other": 4}`, `{"other":4}`},
		{"2^53-1", `{"age": 9007199254740991}`, `{"age":{"$integer":"9007199254740991"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, err := value.ParseJSON([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			before, _ := value.MarshalJSON(x)
			y, err := v.WholeNumbers(user, x)
			if err != nil {
				t.Fatal(err)
			}
			got, err := value.MarshalJSON(y)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if after, _ := value.MarshalJSON(x); string(after) != string(before) {
				t.Errorf("the input changed: %s -> %s", before, after)
			}
		})
	}
}

// TestWholeNumbersInexact: a whole number beyond 2^53 for an int64 is an
// error that names the path and the form to write.
func TestWholeNumbersInexact(t *testing.T) {
	t.Parallel()
	x, err := value.ParseJSON([]byte(`{"tags": [1, 9007199254740993]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.WholeNumbers(v.Object{"tags": v.Array(v.Int64())}, x)
	if err == nil || !strings.Contains(err.Error(), "tags[1]") || !strings.Contains(err.Error(), `{"$integer":`) {
		t.Errorf("got %v, want an error at tags[1] naming $integer", err)
	}
}

func FuzzWholeNumbers(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": [2, 3.5], "c": {"d": 4}}`))
	val := v.Object{"a": v.Optional(v.Int64()), "b": v.Optional(v.Array(v.Union(v.Int64(), v.String()))), "c": v.Optional(v.Record(v.String(), v.Int64()))}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := value.ParseJSON(data)
		if err != nil {
			return
		}
		y, err := v.WholeNumbers(val, x)
		if err != nil {
			return
		}
		// Converting never makes a valid value invalid.
		if val.Validate(x) == nil && val.Validate(y) != nil {
			t.Fatalf("%s: valid before, invalid after: %v", data, val.Validate(y))
		}
		if _, err := value.MarshalJSON(y); err != nil {
			t.Fatal(err)
		}
	})
}
