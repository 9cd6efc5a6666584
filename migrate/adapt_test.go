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
	}{
		{"fast batches grow (at most 2x)", 100, 100, 10 * time.Millisecond, 100 * time.Millisecond, 1000, 200},
		{"slow batches shrink (at most 2x)", 100, 100, time.Second, 100 * time.Millisecond, 1000, 50},
		{"on target stays", 100, 100, 100 * time.Millisecond, 100 * time.Millisecond, 1000, 100},
		{"capped", 800, 800, time.Millisecond, 100 * time.Millisecond, 1000, 1000},
		{"never below one", 1, 1, time.Hour, 100 * time.Millisecond, 1000, 1},
		{"adaptation off", 100, 100, time.Second, -1, 1000, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &runner{mig: &Migration{TargetBatchDuration: c.target, MaxBatchSize: c.max}, size: c.size, lastBatch: c.took, lastCount: c.count}
			r.adapt()
			if r.size != c.wantAfter {
				t.Errorf("size %d, want %d", r.size, c.wantAfter)
			}
		})
	}
}
