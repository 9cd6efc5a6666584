package functions

import (
	"context"
	"fmt"

	"github.com/strata-db/strata"
)

// maxDepth bounds nested RunQuery/RunMutation calls, so that accidental
// recursion fails instead of exhausting the stack.
const maxDepth = 64

// Ctx is what a handler receives: the transaction it runs in, nested calls
// and the scheduler. A Ctx is valid only while its handler runs and must
// not be used by other goroutines.
type Ctx struct {
	// Tx is the transaction of the call: read-only for a query,
	// serializable read-write for a mutation. Nested calls share it.
	Tx *strata.Tx
	// Scheduler schedules functions to run later. Jobs are written in Tx,
	// so they exist only if the transaction commits. In a query its
	// methods fail with ErrMutationInQuery.
	Scheduler *Scheduler

	app   *App
	kind  Kind
	fn    *Function
	depth int
	state *callState
}

// callState is shared by the calls of one transaction.
type callState struct {
	nestedErr error // first failed nested mutation
}

// Context returns the context of the call's transaction.
func (c *Ctx) Context() context.Context { return c.Tx.Context() }

// Function returns the name of the function being run.
func (c *Ctx) Function() string {
	if c.fn == nil {
		return ""
	}
	return c.fn.Name
}

// RunQuery calls the query name with args inside the caller's transaction
// (it sees the caller's writes) and returns its checked result. Errors are
// *CallError values.
func (c *Ctx) RunQuery(name string, args any) (any, error) {
	f, err := c.app.find(name)
	if err != nil {
		return nil, err
	}
	if f.Kind != KindQuery {
		return nil, &CallError{Function: name, Err: fmt.Errorf("RunQuery: %s is a %s (use RunMutation)", name, f.Kind)}
	}
	a, err := checkArgs(f, args)
	if err != nil {
		return nil, err
	}
	return c.nested(f, a)
}

// RunMutation calls the mutation name with args inside the caller's
// transaction: its writes commit or roll back with the caller's. Only a
// mutation may call it; from a query it fails with ErrMutationInQuery.
//
// If the nested mutation fails, the caller's transaction will not commit
// even if the caller ignores the error (strata has no savepoints to undo
// the failed call's partial writes alone): the top-level call then fails
// with ErrNestedMutationFailed.
func (c *Ctx) RunMutation(name string, args any) (any, error) {
	if c.kind != KindMutation {
		return nil, &CallError{Function: name, Err: fmt.Errorf("RunMutation from %s: %w", c.Function(), ErrMutationInQuery)}
	}
	f, err := c.app.find(name)
	if err != nil {
		return nil, err
	}
	a, err := checkArgs(f, args)
	if err != nil {
		return nil, err
	}
	r, err := c.nested(f, a)
	if err != nil && f.Kind == KindMutation && c.state.nestedErr == nil {
		c.state.nestedErr = err
	}
	return r, err
}

func (c *Ctx) nested(f *Function, args strata.Doc) (any, error) {
	if c.depth+1 >= maxDepth {
		return nil, &CallError{Function: f.Name, Err: fmt.Errorf("calls nested more than %d deep", maxDepth)}
	}
	kind := f.Kind
	if c.kind == KindQuery {
		kind = KindQuery
	}
	inner := &Ctx{Tx: c.Tx, app: c.app, kind: kind, depth: c.depth + 1, state: c.state}
	inner.Scheduler = c.Scheduler
	if kind == KindQuery && !c.Scheduler.readOnly {
		inner.Scheduler = &Scheduler{app: c.app, tx: c.Tx, readOnly: true}
	}
	return inner.invoke(f, args)
}

// invoke runs f's handler in c and checks its result. A panic in the
// handler is not recovered: it ends the transaction and continues, as it
// does for strata.DB.Mutation.
func (c *Ctx) invoke(f *Function, args strata.Doc) (any, error) {
	c.fn = f
	r, err := f.Handler(c, args)
	if err != nil {
		return nil, &CallError{Function: f.Name, Err: err}
	}
	return checkResult(f, r)
}
