package batch

import (
	"testing"
	"time"
)

func TestAdaptiveBatchSize(t *testing.T) {
	cases := []struct {
		name           string
		size, count    int
		took           time.Duration
		target         time.Duration
		max, wantAfter int
		yielded        bool
		conflicted     bool
	}{
		{"fast batches grow (at most 2x)", 100, 100, 10 * time.Millisecond, 100 * time.Millisecond, 1000, 200, false, false},
		{"slow batches shrink (at most 2x)", 100, 100, time.Second, 100 * time.Millisecond, 1000, 50, false, false},
		{"on target stays", 100, 100, 100 * time.Millisecond, 100 * time.Millisecond, 1000, 100, false, false},
		{"capped", 800, 800, time.Millisecond, 100 * time.Millisecond, 1000, 1000, false, false},
		{"default cap 1000", 800, 800, time.Millisecond, 100 * time.Millisecond, 0, 1000, false, false},
		{"default target 10 ms", 100, 100, 20 * time.Millisecond, 0, 1000, 50, false, false},
		{"never below one", 1, 1, time.Hour, 100 * time.Millisecond, 1000, 1, false, false},
		{"adaptation off", 100, 100, time.Second, -1, 1000, 100, false, false},
		{"a batch without items keeps the size", 100, 0, time.Second, 100 * time.Millisecond, 1000, 100, false, false},
		{"a fast batch that was retried after conflicts halves", 100, 100, time.Millisecond, 100 * time.Millisecond, 1000, 50, false, true},
		{"conflicts never go below one", 1, 1, time.Millisecond, 100 * time.Millisecond, 1000, 1, false, true},
		{"a batch cut short for writers keeps the size", 100, 8, time.Millisecond, 100 * time.Millisecond, 1000, 100, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSizer(Config{Size: c.size, Target: c.target, Max: c.max})
			s.adapt(c.took, c.count, c.yielded, c.conflicted)
			if s.size != c.wantAfter {
				t.Errorf("size %d, want %d", s.size, c.wantAfter)
			}
		})
	}
}

// TestFixedSizeRecovers: conflicts halve a fixed batch size, and batches
// that commit without conflicts bring it back to the configured size,
// never above it (a fixed size that stayed halved made a migration over
// 3,000 documents take hundreds of batches after one conflict storm).
func TestFixedSizeRecovers(t *testing.T) {
	s := newSizer(Config{Size: 100, Target: -1})
	s.halve()
	s.halve()
	s.adapt(time.Millisecond, 25, false, true) // still conflicting: no growth
	if s.size != 25 {
		t.Fatalf("after conflicts: size %d, want 25", s.size)
	}
	for _, want := range []int{50, 100, 100} {
		s.adapt(time.Second, s.size, false, false)
		if s.size != want {
			t.Fatalf("size %d, want %d", s.size, want)
		}
	}
}
