package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// parkFor is how long a connection may stay parked inside a finished
// read-only transaction before the janitor rolls it back: long enough for
// a busy process's next transaction to take it, short enough that an
// idle process does not hold back the server's vacuum horizon or its
// serializable bookkeeping.
const parkFor = 5 * time.Millisecond

// gate hands out the transaction pool's connections to transactions.
// A read-only transaction that is rolled back does not wait for its
// ROLLBACK: its connection, still inside the transaction, is handed to
// a waiting Begin or parked, and the transaction that takes it sends
// ROLLBACK ahead of its own first statement (tx.dirty). pgxpool cannot
// hold such a connection (it destroys a connection released inside a
// transaction), so the gate counts the connections itself: a token per
// connection held by a transaction or parked, at most the pool's size,
// so that a Begin holding a token always finds the pool with a free
// connection and a Begin without one waits for a token or a handed-over
// connection, never in the pool while connections sit parked.
type gate struct {
	pool   *pgxpool.Pool
	tokens chan struct{}

	mu      sync.Mutex
	parked  []parkedConn
	waiters []chan *pgxpool.Conn // FIFO; each buffered 1
	timer   *time.Timer          // janitor, armed while connections are parked
	closed  bool
}

type parkedConn struct {
	c  *pgxpool.Conn
	at time.Time
}

func newGate(pool *pgxpool.Pool) *gate {
	return &gate{pool: pool, tokens: make(chan struct{}, pool.Config().MaxConns)}
}

// acquire returns a connection for a transaction; dirty reports that it
// is still inside a finished read-only transaction, to be rolled back by
// the next statement sent on it.
func (g *gate) acquire(ctx context.Context) (c *pgxpool.Conn, dirty bool, err error) {
	g.mu.Lock()
	if n := len(g.parked); n > 0 {
		c := g.parked[n-1].c // the most recently parked
		g.parked = g.parked[:n-1]
		g.mu.Unlock()
		return c, true, nil
	}
	select {
	case g.tokens <- struct{}{}:
		g.mu.Unlock()
		return g.fromPool(ctx)
	default:
	}
	w := make(chan *pgxpool.Conn, 1)
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
	select {
	case c := <-w:
		return c, true, nil
	case g.tokens <- struct{}{}:
		if c, ok := g.leave(w); ok {
			<-g.tokens // keep the handed connection's token only
			return c, true, nil
		}
		return g.fromPool(ctx)
	case <-ctx.Done():
		if c, ok := g.leave(w); ok {
			g.release(c, true)
		}
		return nil, false, ctx.Err()
	}
}

// fromPool acquires a connection for a token already taken.
func (g *gate) fromPool(ctx context.Context) (*pgxpool.Conn, bool, error) {
	c, err := g.pool.Acquire(ctx)
	if err != nil {
		<-g.tokens
		return nil, false, err
	}
	return c, false, nil
}

// leave removes waiter w; if a connection was handed to it meanwhile, it
// returns that connection (with its token).
func (g *gate) leave(w chan *pgxpool.Conn) (*pgxpool.Conn, bool) {
	g.mu.Lock()
	for i, x := range g.waiters {
		if x == w {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			g.mu.Unlock()
			return nil, false
		}
	}
	g.mu.Unlock()
	return <-w, true
}

// release gives back a transaction's connection. A dirty one (inside a
// finished read-only transaction) goes to the longest waiting Begin, or
// is parked; a clean one goes back to the pool.
func (g *gate) release(c *pgxpool.Conn, dirty bool) {
	if !dirty || c.Conn().IsClosed() {
		c.Release()
		<-g.tokens
		return
	}
	g.mu.Lock()
	if len(g.waiters) > 0 {
		w := g.waiters[0]
		g.waiters = g.waiters[1:]
		g.mu.Unlock()
		w <- c
		return
	}
	if g.closed {
		g.mu.Unlock()
		g.rollback(c)
		return
	}
	g.parked = append(g.parked, parkedConn{c: c, at: time.Now()})
	if g.timer == nil {
		g.timer = time.AfterFunc(parkFor, g.sweep)
	}
	g.mu.Unlock()
}

// sweep rolls back the connections parked for parkFor or longer and
// returns them to the pool.
func (g *gate) sweep() {
	g.mu.Lock()
	cutoff := time.Now().Add(-parkFor)
	var old []*pgxpool.Conn
	keep := g.parked[:0]
	for _, p := range g.parked {
		if p.at.After(cutoff) {
			keep = append(keep, p)
		} else {
			old = append(old, p.c)
		}
	}
	clear(g.parked[len(keep):])
	g.parked = keep
	g.timer = nil
	if len(g.parked) > 0 {
		g.timer = time.AfterFunc(parkFor, g.sweep)
	}
	g.mu.Unlock()
	for _, c := range old {
		g.rollback(c)
	}
}

// rollback ends a dirty connection's transaction and returns it to the
// pool (which drops it if the ROLLBACK failed and closed it).
func (g *gate) rollback(c *pgxpool.Conn) {
	rollbackConn(c)
	c.Release()
	<-g.tokens
}

// rollbackConn sends ROLLBACK, closing the connection if that fails.
func rollbackConn(c *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
		_ = c.Conn().Close(ctx)
	}
}

// close rolls back the parked connections; later dirty releases roll
// back at once.
func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	parked := g.parked
	g.parked = nil
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	g.mu.Unlock()
	for _, p := range parked {
		g.rollback(p.c)
	}
}
