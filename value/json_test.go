package value

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestJSONOutput(t *testing.T) {
	tests := []struct {
		x    any
		want string
	}{
		{nil, `null`},
		{true, `true`},
		{int64(-123), `{"$integer":"-123"}`},
		{int64(math.MinInt64), `{"$integer":"-9223372036854775808"}`},
		{1.5, `1.5`},
		{0.0, `0`},
		{negZero, `{"$float":"-0"}`},
		{1e21, `1e+21`},
		{0.1, `0.1`},
		{1718000000123.5, `1718000000123.5`},
		{1e-7, `1e-7`},
		{-1.5e-300, `-1.5e-300`},
		{123456789.0, `123456789`},
		{math.NaN(), `{"$float":"NaN"}`},
		{math.Inf(1), `{"$float":"Infinity"}`},
		{math.Inf(-1), `{"$float":"-Infinity"}`},
		{"a\"\\\n\x00<>&\u2028é", `"a\"\\\n\u0000\u003c\u003e\u0026\u2028é"`},
		{ID("abc"), `"abc"`},
		{[]byte{0, 1, 0xFF}, `{"$bytes":"AAH/"}`},
		{[]byte{}, `{"$bytes":""}`},
		{[]any{}, `[]`},
		{[]any(nil), `[]`},
		{map[string]any(nil), `{}`},
		{[]any{nil, "x"}, `[null,"x"]`},
		{map[string]any{"b": int64(1), "a": []any{}, "é": false}, `{"a":[],"b":{"$integer":"1"},"é":false}`},
	}
	for _, tt := range tests {
		got, err := MarshalJSON(tt.x)
		if err != nil || string(got) != tt.want {
			t.Errorf("MarshalJSON(%#v) = %s, %v; want %s", tt.x, got, err, tt.want)
			continue
		}
		if !json.Valid(got) {
			t.Errorf("MarshalJSON(%#v) = %s is not valid JSON", tt.x, got)
		}
		back, err := ParseJSON(got)
		if err != nil || !Equal(back, tt.x) {
			t.Errorf("ParseJSON(%s) = %#v, %v", got, back, err)
		}
	}
}

func TestMarshalJSONErrors(t *testing.T) {
	tests := []struct {
		x    any
		want string
	}{
		{Undef, "value: json: undefined has no JSON form"},
		{map[string]any{"posts": map[string]any{"tags": []any{"a", "b", int32(1)}}}, "value: json: posts.tags[2]: unsupported Go type int32"},
		{map[string]any{"$bytes": "AA=="}, `value: json: object key "$bytes" starts with "$"`},
		{[]any{"\xff"}, "value: json: [0]: string is not valid UTF-8"},
	}
	for _, tt := range tests {
		out, err := AppendJSON([]byte("p"), tt.x)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("AppendJSON(%#v) error = %v, want %q", tt.x, err, tt.want)
		}
		if string(out) != "p" {
			t.Errorf("AppendJSON on error returned %q", out)
		}
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{` null `, nil},
		{`-0`, negZero},
		{`-0.0e5`, negZero},
		{`0.1`, 0.1},
		{`1E2`, 100.0},
		{`9007199254740993`, 9007199254740992.0}, // rounded to nearest float64
		{`1e-400`, 0.0},
		{`123456789012345678901234567890`, 1.2345678901234568e29},
		{`{"$integer":"9223372036854775807"}`, int64(math.MaxInt64)},
		{`{ "$integer" : "-5" }`, int64(-5)},
		{`{"$float":"NaN"}`, math.NaN()},
		{`{"$float":"-0"}`, negZero},
		{`{"$bytes":"AAH/"}`, []byte{0, 1, 0xFF}},
		{`"\u00e9\ud83d\ude00\/\b\f\t"`, "é😀/\b\f\t"},
		{`"é"`, "é"},
		{`[1, [], {}, "x"]`, []any{1.0, []any{}, map[string]any{}, "x"}},
		{`{"a": {"b": [true, false]}, "c": null}`, map[string]any{"a": map[string]any{"b": []any{true, false}}, "c": nil}},
	}
	for _, tt := range tests {
		got, err := ParseJSON([]byte(tt.in))
		if err != nil || !identical(got, tt.want) && !(Equal(got, tt.want) && isNaN(got)) {
			t.Errorf("ParseJSON(%s) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

func isNaN(x any) bool {
	f, ok := x.(float64)
	return ok && f != f
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{``, "value: json: offset 0: unexpected end of input"},
		{`{"posts": {"tags": ["a", "b", {"$integer": "12x"}]}}`, `value: json: posts.tags[2]: invalid $integer "12x"`},
		{`{"$integer": "007"}`, `invalid $integer "007"`},
		{`{"$integer": "+7"}`, `invalid $integer "+7"`},
		{`{"$integer": "9223372036854775808"}`, `invalid $integer "9223372036854775808"`},
		{`{"$integer": 7}`, `$integer takes a string`},
		{`{"$integer": "7", "x": 1}`, `a $integer object must have no other keys`},
		{`{"$float": "inf"}`, `invalid $float "inf"`},
		{`{"$bytes": "AAH"}`, `invalid $bytes "AAH"`},
		{`{"$bytes": "AA\nH/"}`, `invalid $bytes`},
		{`{"$date": "x"}`, `unknown tagged form "$date"`},
		{`{"a": 1, "$integer": "1"}`, `object key "$integer" starts with "$"`},
		{`{"a": 1, "a": 2}`, `offset 9: duplicate key "a"`},
		{`{"": 1}`, `empty object key`},
		{`{"a": [1, 2,]}`, `value: json: a[2]: offset 12: unexpected character ']'`},
		{`[1 2]`, `unexpected character '2'`},
		{`{"a" 1}`, `unexpected character '1'`},
		{`{a: 1}`, `unexpected character 'a'`},
		{`01`, `unexpected data after the value`},
		{`1.`, `unexpected end of input`},
		{`-`, `unexpected end of input`},
		{`.5`, `unexpected character '.'`},
		{`1e400`, `number "1e400" is out of the float64 range`},
		{`NaN`, `unexpected character 'N'`},
		{`tru`, `unexpected character 't'`},
		{`"abc`, `unterminated string`},
		{"\"a\x01\"", `control character in string`},
		{"\"\xff\"", `string is not valid UTF-8`},
		{`"\ud800"`, `lone surrogate`},
		{`"\udc00\ud800"`, `lone surrogate`},
		{`"\u12"`, `bad \u escape`},
		{`"\x"`, `bad escape in string`},
		{`{} {}`, `unexpected data after the value`},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), `nesting deeper than 64`},
	}
	for _, tt := range tests {
		_, err := ParseJSON([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseJSON(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
	for _, leaf := range []string{"", `{}`, `{"$integer":"1"}`, `{"$bytes":"AA=="}`} {
		ok := strings.Repeat("[", MaxDepth) + leaf + strings.Repeat("]", MaxDepth)
		if _, err := ParseJSON([]byte(ok)); (err != nil) != (leaf == `{}`) {
			t.Errorf("depth %d with %s: %v", MaxDepth, leaf, err)
		}
	}
	// A value Check accepts at the deepest nesting round-trips.
	deep := any(int64(7))
	for range MaxDepth {
		deep = map[string]any{"k": deep}
	}
	b, err := MarshalJSON(deep)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := ParseJSON(b); err != nil || !Equal(back, deep) {
		t.Errorf("deep round trip: %v", err)
	}
}

func TestParseJSONDoc(t *testing.T) {
	doc, err := ParseJSONDoc([]byte(`{"_id": "abc", "n": {"$integer": "3"}}`))
	if err != nil || doc["n"] != int64(3) || doc["_id"] != "abc" {
		t.Fatalf("ParseJSONDoc = %#v, %v", doc, err)
	}
	for _, in := range []string{`[]`, `1`, `null`, `{"$integer": "1"}`} {
		if _, err := ParseJSONDoc([]byte(in)); err == nil || !strings.Contains(err.Error(), "a document must be a JSON object") {
			t.Errorf("ParseJSONDoc(%s) error = %v", in, err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := genValue(4).Draw(t, "x")
		b, err := MarshalJSON(x)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %s", b)
		}
		y, err := ParseJSON(b)
		if err != nil {
			t.Fatalf("ParseJSON(%s): %v", b, err)
		}
		if !Equal(x, y) {
			t.Fatalf("round trip of %#v gave %#v via %s", x, y, b)
		}
		b2, _ := MarshalJSON(y)
		if string(b) != string(b2) {
			t.Fatalf("not deterministic: %s vs %s", b, b2)
		}
	})
}

func TestParseJSONStringsLikeEncodingJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		b, _ := json.Marshal(s)
		got, err := ParseJSON(b)
		if err != nil || got != s {
			t.Fatalf("ParseJSON(%s) = %q, %v", b, got, err)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`null`, `{"a":[1,{"$integer":"5"},{"$bytes":"AA=="},{"$float":"NaN"}],"b":"\u00e9"}`,
		`-0`, `1e308`, `"\ud83d\ude00"`, `[[[]]]`, `{"$float":"-0"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ParseJSON(b)
		if err != nil {
			return
		}
		if err := Check(x); err != nil {
			t.Fatalf("ParseJSON(%q) returned an invalid value: %v", b, err)
		}
		out, err := MarshalJSON(x)
		if err != nil {
			t.Fatalf("MarshalJSON(%#v): %v", x, err)
		}
		y, err := ParseJSON(out)
		if err != nil {
			t.Fatalf("ParseJSON(%s) of our own output: %v", out, err)
		}
		if !Equal(x, y) {
			t.Fatalf("round trip %q -> %s gave %#v, want %#v", b, out, y, x)
		}
		if json.Valid(b) != true {
			t.Fatalf("ParseJSON accepted invalid JSON %q", b)
		}
	})
}

func BenchmarkMarshalJSON(b *testing.B) {
	doc := benchDoc()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendJSON(buf[:0], doc)
	}
}

func BenchmarkParseJSON(b *testing.B) {
	in, _ := MarshalJSON(benchDoc())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSON(in); err != nil {
			b.Fatal(err)
		}
	}
}
