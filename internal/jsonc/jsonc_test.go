package jsonc

import (
	"encoding/json"
	"testing"
)

func TestStrip(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"none", `{"a": 1}`, `{"a": 1}`},
		{"line", "// head\n{\"a\": 1} // tail", "       \n{\"a\": 1}        "},
		{"in string", `{"url": "http://x//y"}`, `{"url": "http://x//y"}`},
		{"escaped quote", `{"a": "\"//"} //c`, `{"a": "\"//"}    `},
		{"crlf", "{}// c\r\n", "{}    \r\n"},
		{"single slash", `{"a": 1/2}`, `{"a": 1/2}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(Strip([]byte(c.in))); got != c.want {
				t.Errorf("Strip(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestStripKeepsInput: the input is never modified, and plain JSON comes
// back as is.
func TestStripKeepsInput(t *testing.T) {
	t.Parallel()
	in := []byte("{\"a\": [1, 2]} // x")
	orig := string(in)
	out := Strip(in)
	if string(in) != orig || !json.Valid(out) {
		t.Errorf("input changed to %q or output %q invalid", in, out)
	}
}

func FuzzStrip(f *testing.F) {
	f.Add([]byte("{\"a\": \"//\"} // c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out := Strip(data)
		if len(out) != len(data) {
			t.Fatalf("length %d, want %d", len(out), len(data))
		}
		if json.Valid(data) && string(out) != string(data) {
			t.Fatalf("valid JSON changed: %q -> %q", data, out)
		}
	})
}
