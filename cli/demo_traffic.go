package cli

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata"
)

// The phases of the demo's rename, which decide who writes.
const (
	phaseBefore    = iota // before the rename: only the old version writes
	phaseRenaming         // the rename is active: both versions write
	phaseCompleted        // the rename completed: only the new version writes
)

// demoTraffic is the simulated application traffic of the demo. The old
// version of the application writes posts with "content" and users
// without avatarUrl; the new version writes posts with "body".
type demoTraffic struct {
	db    *strata.DB
	users []strata.ID // authors of the posts
	wg    sync.WaitGroup
	done  chan struct{}
	once  sync.Once

	inserted, refused  atomic.Int64
	oldPosts, newPosts atomic.Int64
	firstRefusal       atomic.Value
	phase              atomic.Int32
}

// startTraffic starts the writers of both versions; finish stops them.
func startTraffic(ctx context.Context, db *strata.DB, users []strata.ID) *demoTraffic {
	t := &demoTraffic{db: db, users: users, done: make(chan struct{})}
	t.every(2*time.Millisecond, func(i int) { t.oldVersion(ctx, i) })
	t.every(3*time.Millisecond, func(i int) { t.newVersion(ctx, i) })
	return t
}

// finish stops the writers and waits for them; it may be called again.
func (t *demoTraffic) finish() {
	t.once.Do(func() { close(t.done); t.wg.Wait() })
}

// every calls fn(0), fn(1), ... every interval until finish.
func (t *demoTraffic) every(interval time.Duration, fn func(i int)) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-t.done:
				return
			case <-time.After(interval):
			}
			fn(i)
		}
	}()
}

// oldVersion writes a user (even i) or a post with content (odd i),
// until the rename completes: the old version is retired then.
func (t *demoTraffic) oldVersion(ctx context.Context, i int) {
	if t.phase.Load() == phaseCompleted {
		return
	}
	t.write(ctx, func(tx *strata.Tx) error {
		now := float64(time.Now().UnixMilli())
		if i%2 == 0 {
			_, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("late user %d", i), "email": fmt.Sprintf("late%d@example.com", i), "createdAt": now, "updatedAt": now})
			return err
		}
		t.oldPosts.Add(1)
		_, err := tx.Insert("posts", strata.Doc{"title": "old version", "content": "written by v1", "authorId": t.users[i%len(t.users)], "status": "draft", "createdAt": now, "updatedAt": now})
		return err
	})
}

// newVersion writes a post with body, once the rename is active: the new
// version ships with it.
func (t *demoTraffic) newVersion(ctx context.Context, i int) {
	if t.phase.Load() == phaseBefore {
		return
	}
	t.write(ctx, func(tx *strata.Tx) error {
		now := float64(time.Now().UnixMilli())
		t.newPosts.Add(1)
		_, err := tx.Insert("posts", strata.Doc{"title": "new version", "body": "written by v2", "authorId": t.users[i%len(t.users)], "status": "draft", "createdAt": now, "updatedAt": now})
		return err
	})
}

// write runs fn as an application mutation, counting it as inserted or
// refused (keeping the first refusal).
func (t *demoTraffic) write(ctx context.Context, fn func(tx *strata.Tx) error) {
	if err := t.db.Mutation(ctx, fn); err != nil {
		if t.refused.Add(1) == 1 {
			t.firstRefusal.Store(err.Error())
		}
		return
	}
	t.inserted.Add(1)
}
