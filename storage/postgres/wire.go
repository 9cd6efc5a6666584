package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// wireStmt is one statement of a round trip: a statement prepared on the
// transaction's connection, its parameters in binary format and the
// format codes of its result columns.
type wireStmt struct {
	sd      *pgconn.StatementDescription
	params  [][]byte
	results []int16
}

// wire holds what a transaction's round trips reuse: the statements of
// the next one and the messages that carry them.
type wire struct {
	stmts   []wireStmt
	array   [6]wireStmt // stmts' first array: a read's round trip fits
	bind    pgproto3.Bind
	execute pgproto3.Execute
	sync    pgproto3.Sync
}

// reset starts the next round trip's list of statements: what an earlier
// list left (its preparation failed) is not sent.
func (w *wire) reset() {
	if w.stmts == nil {
		w.stmts = w.array[:0]
	}
	clear(w.stmts)
	w.stmts = w.stmts[:0]
}

// add appends a statement to the next round trip.
func (w *wire) add(sd *pgconn.StatementDescription, params [][]byte, results []int16) {
	w.stmts = append(w.stmts, wireStmt{sd: sd, params: params, results: results})
}

// errConnBusy: a round trip found its connection in the middle of
// another exchange, which strata never leaves it in.
var errConnBusy = errors.New("the connection is busy with another exchange")

// roundTrip sends the statements added since the last round trip in one
// write (Bind and Execute each, then one Sync) and reads their answers
// until the server is ready again, through the connection's own buffers:
// pgconn's Batch, which did the same, builds a new buffer and result
// bookkeeping for every batch, about a third of what a point read
// allocated. row is called with the index of a statement and the values
// of each row it returns, valid until row returns; the first error (of the
// server, which skips the rest of the round trip, or of row) is returned
// after the server is ready again. sent reports whether any byte reached
// the connection.
//
// ctx bounds the exchange: when it ends, the server is asked to cancel
// the statement and the connection's deadline passes; the connection is
// then closed, as it is after any error that leaves the exchange
// unfinished, so that nobody reads the rest of it.
func (t *tx) roundTrip(ctx context.Context, row func(i int, values [][]byte) error) (sent bool, err error) {
	w := &t.wire
	stmts := w.stmts
	defer w.reset() // and keep no parameters
	pc := t.c.Conn().PgConn()
	if pc.IsClosed() || pc.IsBusy() {
		return false, errConnBusy
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	f := pc.Frontend()
	for i := range stmts {
		s := &stmts[i]
		w.bind = pgproto3.Bind{
			PreparedStatement:    s.sd.Name,
			ParameterFormatCodes: binaryFormats[:len(s.params)],
			Parameters:           s.params,
			ResultFormatCodes:    s.results,
		}
		f.SendBind(&w.bind)
		f.SendExecute(&w.execute)
	}
	f.SendSync(&w.sync)
	w.bind = pgproto3.Bind{} // keep no parameters
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() {
			pc.Conn().SetDeadline(time.Unix(1, 0))
			go func() {
				cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = pc.CancelRequest(cctx)
			}()
		})
	}
	broken := func(err error) error {
		closeConn(pc)
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w (%w)", cerr, err)
		}
		return err
	}
	if err := f.Flush(); err != nil {
		if stop != nil {
			stop()
		}
		return !pgconn.SafeToRetry(err), broken(err)
	}
	var first error
	for i := 0; ; {
		msg, err := pc.ReceiveMessage(context.Background()) // ctx is watched above, once
		if err != nil {
			if stop != nil {
				stop()
			}
			return true, broken(err)
		}
		switch m := msg.(type) {
		case *pgproto3.DataRow:
			if first == nil && row != nil {
				first = row(i, m.Values)
			}
		case *pgproto3.CommandComplete, *pgproto3.EmptyQueryResponse:
			i++
		case *pgproto3.ErrorResponse:
			if first == nil {
				first = pgconn.ErrorResponseToPgError(m)
			}
		case *pgproto3.ReadyForQuery:
			if stop != nil && !stop() {
				// ctx ended as the answer arrived: the deadline is set
				// or about to be, and a cancel request is on its way.
				return true, broken(ctx.Err())
			}
			return true, first
		}
	}
}

// closeConn closes a connection whose exchange was left unfinished; the
// pool then drops it.
func closeConn(pc *pgconn.PgConn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = pc.Close(ctx)
}
