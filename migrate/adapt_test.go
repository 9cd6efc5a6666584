package migrate

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
		{"never below one", 1, 1, time.Hour, 100 * time.Millisecond, 1000, 1, false, false},
		{"adaptation off", 100, 100, time.Second, -1, 1000, 100, false, false},
		{"a fast batch that was retried after conflicts halves", 100, 100, time.Millisecond, 100 * time.Millisecond, 1000, 50, false, true},
		{"conflicts never go below one", 1, 1, time.Millisecond, 100 * time.Millisecond, 1000, 1, false, true},
		{"a batch cut short for writers keeps the size", 100, 8, time.Millisecond, 100 * time.Millisecond, 1000, 100, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &runner{mig: &Migration{TargetBatchDuration: c.target, MaxBatchSize: c.max}, size: c.size, lastBatch: c.took, lastCount: c.count, yielded: c.yielded, conflicted: c.conflicted}
			r.adapt()
			if r.size != c.wantAfter {
				t.Errorf("size %d, want %d", r.size, c.wantAfter)
			}
		})
	}
}
