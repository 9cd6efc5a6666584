package value_test

import (
	"bytes"
	"fmt"
	"math"

	"github.com/strata-db/strata/value"
)

func ExampleCompare() {
	vals := []any{"a", int64(2), 1.5, math.NaN(), math.Copysign(0, -1), 0.0, nil, true}
	for i := 1; i < len(vals); i++ {
		fmt.Println(value.Compare(vals[i-1], vals[i]))
	}
	// Output:
	// 1
	// -1
	// -1
	// 1
	// -1
	// 1
	// -1
}

func ExampleCheck() {
	doc := map[string]any{"settings": map[string]any{"tags": []any{"a", "b", "c", 3}}}
	fmt.Println(value.Check(doc))
	// Output: value: settings.tags[3]: unsupported Go type int
}

func ExampleEncodeDoc() {
	doc := map[string]any{"name": "Ada", "age": int64(36), "score": 98.5}
	b, err := value.EncodeDoc(doc)
	if err != nil {
		panic(err)
	}
	back, err := value.DecodeDoc(b)
	fmt.Println(len(b), value.Equal(back, doc), err)
	// Output: 34 true <nil>
}

func ExampleAppendKey() {
	// A compound index key: (status, score) then the id.
	k1, _ := value.AppendKey(nil, "draft")
	k1, _ = value.AppendKey(k1, 2.5)
	k2, _ := value.AppendKey(nil, "draft")
	k2, _ = value.AppendKey(k2, int64(100))
	// int64 sorts before float64 whatever the numbers.
	fmt.Println(bytes.Compare(k1, k2))
	x, rest, _ := value.DecodeKey(k1)
	y, _, _ := value.DecodeKey(rest)
	fmt.Println(x, y)
	// Output:
	// 1
	// draft 2.5
}

func ExampleMarshalJSON() {
	b, _ := value.MarshalJSON(map[string]any{
		"n": int64(7), "f": 7.0, "inf": math.Inf(1), "blob": []byte("hi"),
	})
	fmt.Println(string(b))
	// Output: {"blob":{"$bytes":"aGk="},"f":7,"inf":{"$float":"Infinity"},"n":{"$integer":"7"}}
}

func ExampleParseJSON() {
	_, err := value.ParseJSON([]byte(`{"posts": {"tags": [1, 2, {"$integer": "12x"}]}}`))
	fmt.Println(err)
	// Output: value: json: posts.tags[2]: invalid $integer "12x"
}

func ExampleParseIDFor() {
	id := value.NewID("posts")
	_, err := value.ParseIDFor(string(id), "users")
	fmt.Println(err.(*value.IDError).Reason)
	// Output: belongs to table "posts", not "users"
}
