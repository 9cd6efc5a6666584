package loadbench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/strata-db/strata"
)

// Workload names, in the order the bench runs them.
const (
	PointRead     = "point read"
	UniformUpdate = "uniform update"
	HotUpdate     = "hot-spot update"
	Transfer      = "transfer + ledger insert"
)

// Workloads lists every workload.
var Workloads = []string{PointRead, UniformUpdate, HotUpdate, Transfer}

// op is one transaction of a workload on one side. It returns how many
// attempts it took (1 when it committed at once).
type op func(ctx context.Context, r *rand.Rand) (attempts int, err error)

// strataOp returns the strata side of a workload.
func (f *Fixture) strataOp(workload string) (op, error) {
	n := len(f.IDs)
	switch workload {
	case PointRead:
		return func(ctx context.Context, r *rand.Rand) (int, error) {
			id := f.IDs[r.IntN(n)]
			attempts := 0
			err := f.DB.Query(ctx, func(tx *strata.Tx) error {
				attempts++
				d, err := tx.Get(id)
				if err == nil && d == nil {
					err = fmt.Errorf("account %s is missing", id)
				}
				return err
			})
			return attempts, err
		}, nil
	case UniformUpdate, HotUpdate:
		span := n
		if workload == HotUpdate {
			span = HotDocs
		}
		return func(ctx context.Context, r *rand.Rand) (int, error) {
			id := f.IDs[r.IntN(span)]
			attempts := 0
			err := f.DB.Mutation(ctx, func(tx *strata.Tx) error {
				attempts++
				d, err := tx.Get(id)
				if err != nil {
					return err
				}
				c, _ := d.Int("n")
				return tx.Patch(id, strata.Patch{"n": c + 1})
			})
			return attempts, err
		}, nil
	case Transfer:
		return func(ctx context.Context, r *rand.Rand) (int, error) {
			a, b := pair(r, n)
			from, to := f.IDs[a], f.IDs[b]
			amount := int64(1 + r.IntN(10))
			attempts := 0
			err := f.DB.Mutation(ctx, func(tx *strata.Tx) error {
				attempts++
				docs, err := tx.GetMany([]strata.ID{from, to})
				if err != nil {
					return err
				}
				if docs[0] == nil || docs[1] == nil {
					return errors.New("an account is missing")
				}
				fb, _ := docs[0].Int("balance")
				tb, _ := docs[1].Int("balance")
				if err := tx.Patch(from, strata.Patch{"balance": fb - amount}); err != nil {
					return err
				}
				if err := tx.Patch(to, strata.Patch{"balance": tb + amount}); err != nil {
					return err
				}
				_, err = tx.Insert(ledger, strata.Doc{"from": string(from), "to": string(to), "amount": amount})
				return err
			})
			return attempts, err
		}, nil
	}
	return nil, fmt.Errorf("loadbench: unknown workload %q", workload)
}

// pair returns two distinct indexes below n.
func pair(r *rand.Rand, n int) (int, int) {
	a := r.IntN(n)
	b := r.IntN(n - 1)
	if b >= a {
		b++
	}
	return a, b
}

// rawOp returns the raw side of a workload: the fewest round trips pgx
// allows for it. A point read is one autocommit SELECT (serializable
// through default_transaction_isolation); a read-modify-write is BEGIN
// with its reads in one pipelined batch, then its writes with COMMIT in a
// second.
func (f *Fixture) rawOp(workload string) (op, error) {
	n := len(f.RIDs)
	switch workload {
	case PointRead:
		return func(ctx context.Context, r *rand.Rand) (int, error) {
			id := f.RIDs[r.IntN(n)]
			return rawRetry(ctx, func() error {
				var bal, c int64
				var name string
				var creation float64
				return f.Raw.QueryRow(ctx, `SELECT creation, balance, n, name FROM lb_accounts WHERE id = $1`, id).Scan(&creation, &bal, &c, &name)
			})
		}, nil
	case UniformUpdate, HotUpdate:
		span := n
		if workload == HotUpdate {
			span = HotDocs
		}
		return func(ctx context.Context, r *rand.Rand) (int, error) {
			id := f.RIDs[r.IntN(span)]
			return rawRetry(ctx, func() error {
				return f.rawTx(ctx, func(b *pgx.Batch) {
					b.Queue(`SELECT creation, balance, n, name FROM lb_accounts WHERE id = $1`, id)
				}, func(br pgx.BatchResults, w *pgx.Batch) error {
					var bal, c int64
					var name string
					var creation float64
					if err := br.QueryRow().Scan(&creation, &bal, &c, &name); err != nil {
						return err
					}
					w.Queue(`UPDATE lb_accounts SET n = $2 WHERE id = $1`, id, c+1)
					return nil
				})
			})
		}, nil
	case Transfer:
		return func(ctx context.Context, r *rand.Rand) (int, error) {
			a, b := pair(r, n)
			from, to := f.RIDs[a], f.RIDs[b]
			amount := int64(1 + r.IntN(10))
			return rawRetry(ctx, func() error {
				return f.rawTx(ctx, func(b *pgx.Batch) {
					b.Queue(`SELECT id, balance FROM lb_accounts WHERE id = ANY($1)`, []string{from, to})
				}, func(br pgx.BatchResults, w *pgx.Batch) error {
					rows, err := br.Query()
					if err != nil {
						return err
					}
					bal := map[string]int64{}
					for rows.Next() {
						var id string
						var v int64
						if err := rows.Scan(&id, &v); err != nil {
							rows.Close()
							return err
						}
						bal[id] = v
					}
					rows.Close()
					if err := rows.Err(); err != nil {
						return err
					}
					if len(bal) != 2 {
						return errors.New("an account is missing")
					}
					w.Queue(`UPDATE lb_accounts SET balance = $2 WHERE id = $1`, from, bal[from]-amount)
					w.Queue(`UPDATE lb_accounts SET balance = $2 WHERE id = $1`, to, bal[to]+amount)
					w.Queue(`INSERT INTO lb_ledger (creation, src, dst, amount) VALUES ($1, $2, $3, $4)`,
						float64(time.Now().UnixMicro())/1000, from, to, amount)
					return nil
				})
			})
		}, nil
	}
	return nil, fmt.Errorf("loadbench: unknown workload %q", workload)
}

// rawTx runs one serializable read-modify-write transaction in two round
// trips: BEGIN and the statements reads queues, then the statements
// writes queues (after reading the first batch's results) and COMMIT.
func (f *Fixture) rawTx(ctx context.Context, reads func(*pgx.Batch), writes func(pgx.BatchResults, *pgx.Batch) error) (err error) {
	c, err := f.Raw.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	defer func() {
		if err != nil && c.Conn().PgConn().TxStatus() != 'I' {
			if _, rerr := c.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
				_ = c.Conn().Close(context.WithoutCancel(ctx))
			}
		}
	}()
	var rb pgx.Batch
	rb.Queue("BEGIN ISOLATION LEVEL SERIALIZABLE")
	reads(&rb)
	br := c.SendBatch(ctx, &rb)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return err
	}
	var wb pgx.Batch
	if err := writes(br, &wb); err != nil {
		_ = br.Close()
		return err
	}
	if err := br.Close(); err != nil {
		return err
	}
	wb.Queue("COMMIT")
	return c.SendBatch(ctx, &wb).Close()
}

// rawRetry runs fn, retrying serialization failures, deadlocks and a
// full lock table with strata's policy (DB.Mutation): up to 20 retries,
// jittered backoff from 1 ms doubling to 100 ms.
func rawRetry(ctx context.Context, fn func() error) (int, error) {
	backoff := time.Millisecond
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || !rawConflict(err) {
			return attempt + 1, err
		}
		if attempt >= 20 {
			return attempt + 1, fmt.Errorf("gave up after %d conflicting attempts: %w", attempt+1, err)
		}
		select {
		case <-ctx.Done():
			return attempt + 1, ctx.Err()
		case <-time.After(backoff/2 + rand.N(backoff)):
		}
		if backoff < 100*time.Millisecond {
			backoff *= 2
		}
	}
}

func rawConflict(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "53200":
			return true
		}
	}
	return false
}
