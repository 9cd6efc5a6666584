package strata

import (
	"context"
	"sync"
)

// writerSet tracks the write transactions running in this process, so
// that a barrier can wait for those that began before it.
type writerSet struct {
	mu     sync.Mutex
	next   uint64
	active map[uint64]chan struct{}
}

// start registers a write transaction and returns the function that ends
// it.
func (w *writerSet) start() (end func()) {
	done := make(chan struct{})
	w.mu.Lock()
	if w.active == nil {
		w.active = map[uint64]chan struct{}{}
	}
	id := w.next
	w.next++
	w.active[id] = done
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.active, id)
		w.mu.Unlock()
		close(done)
	}
}

// wait returns once every write transaction that was running when it was
// called has ended (committed or rolled back), or when ctx ends.
func (w *writerSet) wait(ctx context.Context) error {
	w.mu.Lock()
	pending := make([]chan struct{}, 0, len(w.active))
	for _, done := range w.active {
		pending = append(pending, done)
	}
	w.mu.Unlock()
	for _, done := range pending {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
