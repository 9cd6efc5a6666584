package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestConfirm: the question on a terminal takes yes or y, anything else
// (or nothing) is a no, and the prompt is shown.
func TestConfirm(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"yes\n", true}, {"Y\n", true}, {" y \n", true}, {"no\n", false}, {"\n", false}, {"", false}, {"yess\n", false},
	} {
		var out bytes.Buffer
		if got := confirm(context.Background(), strings.NewReader(c.in), &out, "delete? "); got != c.want {
			t.Errorf("confirm(%q) = %v, want %v", c.in, got, c.want)
		}
		if out.String() != "delete? " {
			t.Errorf("prompt %q", out.String())
		}
	}
}
