package value

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The expected texts are what the convex npm package's convexToJson
// (convex 1.51.0) writes for the same values.
func TestConvexJSONOutput(t *testing.T) {
	negNaN := math.Float64frombits(0xFFF8000000000123)
	tests := []struct {
		name string
		x    any
		want string
	}{
		{"one", int64(1), `{"$integer":"AQAAAAAAAAA="}`},
		{"minus one", int64(-1), `{"$integer":"//////////8="}`},
		{"max", int64(math.MaxInt64), `{"$integer":"/////////38="}`},
		{"min", int64(math.MinInt64), `{"$integer":"AAAAAAAAAIA="}`},
		{"js NaN", math.Float64frombits(0x7FF8000000000000), `{"$float":"AAAAAAAA+H8="}`},
		{"negative NaN with payload", negNaN, `{"$float":"IwEAAAAA+P8="}`},
		{"+Inf", math.Inf(1), `{"$float":"AAAAAAAA8H8="}`},
		{"-Inf", math.Inf(-1), `{"$float":"AAAAAAAA8P8="}`},
		{"-0", math.Copysign(0, -1), `{"$float":"AAAAAAAAAIA="}`},
		{"plain float", 1.5, `1.5`},
		{"bytes", []byte{1, 2, 3}, `{"$bytes":"AQID"}`},
		{"id", ID("abc"), `"abc"`},
		{"object sorted", map[string]any{"b": int64(2), "a": []any{nil, true}}, `{"a":[null,true],"b":{"$integer":"AgAAAAAAAAA="}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalConvexJSON(tt.x)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("MarshalConvexJSON = %s, want %s", got, tt.want)
			}
			for _, parse := range []func([]byte) (any, error){ParseConvexJSON, ParseJSON} {
				back, err := parse(got)
				if err != nil {
					t.Fatalf("parse(%s): %v", got, err)
				}
				want := tt.x
				if id, ok := want.(ID); ok {
					want = string(id)
				}
				if !identical(back, want) {
					t.Fatalf("parse(%s) = %#v, want %#v", got, back, want)
				}
			}
		})
	}
}

// A NaN other than math.NaN() keeps its sign and payload through strata's
// own JSON form too (export, import).
func TestJSONKeepsNaNBits(t *testing.T) {
	for _, bits := range []uint64{goNaN, 0x7FF8000000000000, 0xFFF8000000000123, 0x7FF0000000000001} {
		f := math.Float64frombits(bits)
		b, err := MarshalJSON(map[string]any{"f": f})
		if err != nil {
			t.Fatal(err)
		}
		if bits == goNaN && string(b) != `{"f":{"$float":"NaN"}}` {
			t.Fatalf("math.NaN() written as %s", b)
		}
		m, err := ParseJSONDoc(b)
		if err != nil {
			t.Fatalf("ParseJSONDoc(%s): %v", b, err)
		}
		if got := math.Float64bits(m["f"].(float64)); got != bits {
			t.Fatalf("NaN %#x came back as %#x via %s", bits, got, b)
		}
	}
}

func TestParseConvexJSONErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"$integer":"5"}`, `invalid $integer "5"`},               // strata's form is not Convex's
		{`{"$float":"NaN"}`, `invalid $float "NaN"`},               // idem
		{`{"$float":"AAAAAAAA+D8="}`, `written as a plain number`}, // 1.5
		{`{"$integer":"AQAAAAAAAA=="}`, `invalid $integer`},        // 7 bytes
		{`{"$integer":"AQAAAAAAAAA"}`, `invalid $integer`},         // unpadded
		{`{"$integer":"AQAAAAAAAAA=","x":1}`, `no other keys`},
		{`{"$set":[]}`, `unknown tagged form`},
		{`{"a":1,"a":2}`, `duplicate key`},
		{`[1,`, `offset`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseConvexJSON([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseConvexJSON(%s) = %v, want an error containing %q", tt.in, err, tt.want)
			}
		})
	}
	// ParseJSON reads both forms but also refuses a finite $float.
	if _, err := ParseJSON([]byte(`{"$float":"AAAAAAAA+D8="}`)); err == nil {
		t.Fatal("ParseJSON accepted a finite float in base64")
	}
}

func TestConvexJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := genValue(4).Draw(t, "x")
		b, err := MarshalConvexJSON(x)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %s", b)
		}
		y, err := ParseConvexJSON(b)
		if err != nil {
			t.Fatalf("ParseConvexJSON(%s): %v", b, err)
		}
		if !Equal(x, y) {
			t.Fatalf("round trip of %#v gave %#v via %s", x, y, b)
		}
		b2, _ := MarshalConvexJSON(y)
		if string(b) != string(b2) {
			t.Fatalf("not deterministic or bits changed: %s vs %s", b, b2)
		}
	})
}

func FuzzParseConvexJSON(f *testing.F) {
	for _, s := range []string{
		`null`, `{"a":[1,{"$integer":"AQAAAAAAAAA="},{"$bytes":"AA=="},{"$float":"IwEAAAAA+P8="}]}`,
		`{"$float":"AAAAAAAAAIA="}`, `[[[]]]`, `{"$integer":"5"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ParseConvexJSON(b)
		if err != nil {
			return
		}
		if err := Check(x); err != nil {
			t.Fatalf("ParseConvexJSON(%q) returned an invalid value: %v", b, err)
		}
		out, err := MarshalConvexJSON(x)
		if err != nil {
			t.Fatalf("MarshalConvexJSON(%#v): %v", x, err)
		}
		y, err := ParseConvexJSON(out)
		if err != nil {
			t.Fatalf("ParseConvexJSON(%s) of our own output: %v", out, err)
		}
		if !identical(x, y) {
			t.Fatalf("round trip %q -> %s gave %#v, want %#v", b, out, y, x)
		}
		// strata's form keeps the same value, NaN bits included.
		s, err := MarshalJSON(x)
		if err != nil {
			t.Fatalf("MarshalJSON(%#v): %v", x, err)
		}
		if z, err := ParseJSON(s); err != nil || !identical(x, z) {
			t.Fatalf("strata form %s gave %#v, %v; want %#v", s, z, err, x)
		}
	})
}
