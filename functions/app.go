package functions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// Kind says whether a function reads (query) or may also write (mutation).
type Kind uint8

// Function kinds.
const (
	// KindQuery functions run in a read-only transaction over one snapshot.
	KindQuery Kind = iota + 1
	// KindMutation functions run in one serializable read-write
	// transaction that commits if and only if the handler succeeds.
	KindMutation
)

// String returns "query" or "mutation".
func (k Kind) String() string {
	switch k {
	case KindQuery:
		return "query"
	case KindMutation:
		return "mutation"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Handler is the body of a function. args has been checked against the
// function's Args validator and belongs to this invocation (the handler may
// modify it). The result must be a value of strata's data model (nil, bool,
// int64, float64, string, strata.ID, []byte, []any, map[string]any, and
// strata.Doc or []strata.Doc, which are converted); it is checked against
// the function's Returns validator.
//
// A mutation handler may run more than once when its transaction loses a
// serialization race (only the last run commits), so it must be
// deterministic over what it reads and have no effects outside the
// transaction. A handler calls other functions with Ctx.RunQuery and
// Ctx.RunMutation, never App.Call or strata.DB.Mutation: a second
// transaction started from inside one would wait for the first (SQLite
// has one writer) or not see its writes.
type Handler func(ctx *Ctx, args strata.Doc) (any, error)

// Function is a registered function.
type Function struct {
	// Name identifies the function, as "module:function" ("users:get").
	Name string
	// Kind is KindQuery or KindMutation.
	Kind Kind
	// Internal functions may be called from other functions, scheduled,
	// and run by an operator from the command line, but an API that serves
	// clients (a later HTTP server) must refuse them.
	Internal bool
	// Args validates the arguments object. nil accepts any object;
	// v.Object{} accepts only the empty object.
	Args v.Object
	// Returns validates the result. nil accepts any value.
	Returns v.Validator
	// Handler is the function's body.
	Handler Handler
}

// Def is the definition passed to App.Query, App.Mutation and their
// internal variants.
type Def struct {
	Args    v.Object
	Returns v.Validator
	Handler Handler
}

// App is a registry of named functions. Register functions once, at start
// up; an App is then safe for concurrent use and may serve any number of
// databases.
type App struct {
	mu      sync.RWMutex
	funcs   map[string]*Function
	workers map[*Worker]struct{}
}

// NewApp returns an empty App.
func NewApp() *App {
	return &App{funcs: map[string]*Function{}, workers: map[*Worker]struct{}{}}
}

// Errors callers branch on with errors.Is.
var (
	// ErrUnknownFunction: no function has the requested name.
	ErrUnknownFunction = errors.New("unknown function")
	// ErrInvalidArgs: the arguments are not an object or do not satisfy
	// the function's Args validator. The error also wraps the *v.Error
	// that names the argument path, when there is one.
	ErrInvalidArgs = errors.New("invalid args")
	// ErrInvalidReturn: the handler returned a value its Returns validator
	// rejects (or that is not a value at all). A mutation's writes are
	// rolled back.
	ErrInvalidReturn = errors.New("invalid return value")
	// ErrMutationInQuery: a query called RunMutation or tried to schedule
	// or cancel a job. Queries only read.
	ErrMutationInQuery = errors.New("a query cannot run mutations or schedule functions")
	// ErrNestedMutationFailed: the handler returned successfully although
	// a mutation it called with RunMutation failed. strata has no
	// savepoints, so the partial writes of the failed call cannot be
	// undone alone: the whole transaction is rolled back.
	ErrNestedMutationFailed = errors.New("a nested mutation failed; its transaction cannot commit")
)

// CallError reports a failed function call. Err is the handler's error or
// one of the sentinel errors of this package (possibly wrapping more).
type CallError struct {
	Function string
	Err      error
}

// Error returns "functions: NAME: ERR"; for nested calls, the names of the
// chain: "functions: outer: inner: ERR".
func (e *CallError) Error() string {
	s := "functions: " + e.Function
	err := e.Err
	for {
		var inner *CallError
		if c, ok := err.(*CallError); ok {
			inner = c
		}
		if inner == nil {
			break
		}
		s += ": " + inner.Function
		err = inner.Err
	}
	return s + ": " + err.Error()
}

// Unwrap returns Err.
func (e *CallError) Unwrap() error { return e.Err }

const maxNameLen = 256

func checkName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("function name must be 1 to %d bytes", maxNameLen)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ':' || r == '.' || r == '/' || r == '-'
		if !ok {
			return fmt.Errorf("function name %q: use letters, digits and _ : . / -", name)
		}
	}
	return nil
}

// Register adds f to the App. It fails if the name is malformed or taken,
// the kind is unknown, the handler is nil or a validator is malformed.
func (a *App) Register(f Function) error {
	if err := checkName(f.Name); err != nil {
		return fmt.Errorf("functions: register: %w", err)
	}
	if f.Kind != KindQuery && f.Kind != KindMutation {
		return fmt.Errorf("functions: register %s: invalid kind %d", f.Name, f.Kind)
	}
	if f.Handler == nil {
		return fmt.Errorf("functions: register %s: nil handler", f.Name)
	}
	if f.Args != nil {
		if err := v.Check(f.Args); err != nil {
			return fmt.Errorf("functions: register %s: args: %w", f.Name, err)
		}
	}
	if f.Returns != nil {
		if err := v.Check(f.Returns); err != nil {
			return fmt.Errorf("functions: register %s: returns: %w", f.Name, err)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.funcs[f.Name]; dup {
		return fmt.Errorf("functions: register: %q is already registered", f.Name)
	}
	ff := f
	a.funcs[f.Name] = &ff
	return nil
}

func (a *App) mustRegister(f Function) {
	if err := a.Register(f); err != nil {
		panic(err)
	}
}

// Query registers a public query. Like http.Handle, it panics if the
// definition is invalid or the name taken: that is a programming error
// found at start up. Use Register to get an error instead.
func (a *App) Query(name string, d Def) {
	a.mustRegister(Function{Name: name, Kind: KindQuery, Args: d.Args, Returns: d.Returns, Handler: d.Handler})
}

// Mutation registers a public mutation; it panics as Query does.
func (a *App) Mutation(name string, d Def) {
	a.mustRegister(Function{Name: name, Kind: KindMutation, Args: d.Args, Returns: d.Returns, Handler: d.Handler})
}

// InternalQuery registers an internal query; it panics as Query does.
func (a *App) InternalQuery(name string, d Def) {
	a.mustRegister(Function{Name: name, Kind: KindQuery, Internal: true, Args: d.Args, Returns: d.Returns, Handler: d.Handler})
}

// InternalMutation registers an internal mutation; it panics as Query
// does.
func (a *App) InternalMutation(name string, d Def) {
	a.mustRegister(Function{Name: name, Kind: KindMutation, Internal: true, Args: d.Args, Returns: d.Returns, Handler: d.Handler})
}

// Lookup returns the function registered under name.
func (a *App) Lookup(name string) (Function, bool) {
	f := a.lookup(name)
	if f == nil {
		return Function{}, false
	}
	return *f, true
}

func (a *App) lookup(name string) *Function {
	if a == nil {
		return nil
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.funcs[name]
}

func (a *App) find(name string) (*Function, error) {
	f := a.lookup(name)
	if f == nil {
		return nil, &CallError{Function: name, Err: fmt.Errorf("%w %q", ErrUnknownFunction, name)}
	}
	return f, nil
}

// Functions returns the registered functions sorted by name.
func (a *App) Functions() []Function {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Function, 0, len(a.funcs))
	for _, f := range a.funcs {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Call runs the function name with args (a map[string]any or strata.Doc;
// nil is the empty object) against db and returns its result. The
// arguments are checked before the handler runs. A query runs in a
// read-only snapshot; a mutation in one serializable transaction, retried
// from the start if it loses a serialization race, that commits only if
// the handler and every check succeed. Errors are *CallError values.
//
// Call does not refuse internal functions: it is for trusted code. An API
// that serves clients must check Function.Internal itself.
func (a *App) Call(ctx context.Context, db *strata.DB, name string, args any) (any, error) {
	if db == nil {
		return nil, &CallError{Function: name, Err: errors.New("nil *strata.DB")}
	}
	f, err := a.find(name)
	if err != nil {
		return nil, err
	}
	argDoc, err := checkArgs(f, args)
	if err != nil {
		return nil, err
	}
	var result any
	run := func(tx *strata.Tx) error {
		r, err := a.invokeTop(tx, f, copyArgs(argDoc))
		result = r
		return err
	}
	if f.Kind == KindQuery {
		err = db.Query(ctx, run)
	} else {
		err = db.Mutation(ctx, run)
	}
	if err != nil {
		var ce *CallError
		if !errors.As(err, &ce) || ce.Function != name {
			err = &CallError{Function: name, Err: err}
		}
		return nil, err
	}
	return result, nil
}

// invokeTop runs f as the outermost call of the transaction tx.
func (a *App) invokeTop(tx *strata.Tx, f *Function, args strata.Doc) (any, error) {
	sys.NameTransaction(tx, f.Name) // an exceeded limit names f
	c := &Ctx{Tx: tx, app: a, kind: f.Kind, state: &callState{}}
	c.Scheduler = &Scheduler{app: a, tx: tx, readOnly: f.Kind == KindQuery}
	r, err := c.invoke(f, args)
	if err == nil && c.state.nestedErr != nil {
		err = &CallError{Function: f.Name, Err: fmt.Errorf("%w: %w", ErrNestedMutationFailed, c.state.nestedErr)}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkArgs normalizes args to an object, checks it is made of valid
// values and satisfies f.Args, and returns a private copy.
func checkArgs(f *Function, args any) (strata.Doc, error) {
	m, err := argsObject(args)
	if err != nil {
		return nil, &CallError{Function: f.Name, Err: err}
	}
	if err := value.Check(m); err != nil {
		return nil, &CallError{Function: f.Name, Err: fmt.Errorf("%w: %w", ErrInvalidArgs, err)}
	}
	if f.Args != nil {
		if err := f.Args.Validate(m); err != nil {
			return nil, &CallError{Function: f.Name, Err: fmt.Errorf("%w: %w", ErrInvalidArgs, err)}
		}
	}
	return strata.Doc(m), nil
}

// argsObject converts the accepted forms of arguments (nil, or any Go
// value value.Convert makes an object: a map with string keys, strata.Doc,
// a struct) to a fresh map[string]any.
func argsObject(args any) (map[string]any, error) {
	if args == nil {
		return map[string]any{}, nil
	}
	y, err := value.Convert(args)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgs, err)
	}
	m, ok := y.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: expected an object, found %s", ErrInvalidArgs, value.TypeName(y))
	}
	c, _ := normalize(m).(map[string]any)
	return c, nil
}

// normalize deep-copies x, turning strata.Doc into map[string]any and
// []strata.Doc into []any, so that the result can be validated, stored and
// modified without touching the caller's value.
func normalize(x any) any {
	switch t := x.(type) {
	case strata.Doc:
		return normalize(map[string]any(t))
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = normalize(e)
		}
		return m
	case []strata.Doc:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = normalize(e)
		}
		return s
	case []map[string]any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = normalize(e)
		}
		return s
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = normalize(e)
		}
		return s
	case []byte:
		return append([]byte(nil), t...)
	}
	return x
}

// copyArgs returns a deep copy of args, so that each run of a handler
// (a mutation may be retried) starts from the caller's arguments.
func copyArgs(args strata.Doc) strata.Doc {
	m, _ := normalize(map[string]any(args)).(map[string]any)
	return m
}

// checkResult normalizes a handler's result and checks it against f.Returns.
func checkResult(f *Function, r any) (any, error) {
	r, err := value.Convert(r)
	if err != nil {
		return nil, &CallError{Function: f.Name, Err: fmt.Errorf("%w: %w", ErrInvalidReturn, err)}
	}
	r = normalize(r)
	if err := value.Check(r); err != nil {
		return nil, &CallError{Function: f.Name, Err: fmt.Errorf("%w: %w", ErrInvalidReturn, err)}
	}
	if _, undef := r.(value.UndefinedValue); undef {
		return nil, &CallError{Function: f.Name, Err: fmt.Errorf("%w: undefined is not a value", ErrInvalidReturn)}
	}
	if f.Returns != nil {
		if err := f.Returns.Validate(r); err != nil {
			return nil, &CallError{Function: f.Name, Err: fmt.Errorf("%w: %w", ErrInvalidReturn, err)}
		}
	}
	return r, nil
}
