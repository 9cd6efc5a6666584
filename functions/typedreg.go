package functions

import (
	"fmt"
	"reflect"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// TypedHandler is the body of a function with typed arguments and result:
// A is a struct (its fields are the arguments, named by their tags as for
// documents) and R any Go value with a strata meaning (see value.Convert).
type TypedHandler[A, R any] func(ctx *Ctx, args A) (R, error)

// Typed builds the Function name of the given kind from a typed handler:
// its Args validator is derived from A with v.For, so a registered
// function never needs a hand-written v.Object, and its Returns validator
// from R with v.TypeOf (none when R is any, or a struct holding the
// system fields _id and _creationTime: such a result is still checked to
// be a value). The handler receives the arguments decoded into an A. An
// A or R with no strata meaning is an error naming the field.
func Typed[A, R any](kind Kind, name string, fn TypedHandler[A, R]) (Function, error) {
	if fn == nil {
		return Function{}, fmt.Errorf("functions: register %s: nil handler", name)
	}
	args, err := v.For[A]()
	if err != nil {
		return Function{}, fmt.Errorf("functions: register %s: args: %w", name, err)
	}
	var returns v.Validator
	if rt := reflect.TypeFor[R](); deriveReturns(rt) {
		if returns, err = v.TypeOf(rt); err != nil {
			return Function{}, fmt.Errorf("functions: register %s: returns: %w", name, err)
		}
	}
	handler := func(ctx *Ctx, doc strata.Doc) (any, error) {
		var a A
		if err := value.Assign(map[string]any(doc), &a); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidArgs, err)
		}
		r, err := fn(ctx, a)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return Function{Name: name, Kind: kind, Args: args, Returns: returns, Handler: handler}, nil
}

// deriveReturns reports whether a Returns validator is derived for R.
func deriveReturns(t reflect.Type) bool {
	if t.Kind() == reflect.Interface {
		return false
	}
	if t == reflect.TypeFor[strata.ID]() {
		return false // an id of a table the type does not name
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		fields, err := value.StructFields(t)
		if err != nil {
			return true // v.TypeOf reports the error
		}
		for _, f := range fields {
			if f.Name == strata.FieldID || f.Name == strata.FieldCreationTime {
				return false
			}
		}
	}
	return true
}

func mustTyped[A, R any](app *App, kind Kind, internal bool, name string, fn TypedHandler[A, R]) {
	f, err := Typed(kind, name, fn)
	if err != nil {
		panic(err)
	}
	f.Internal = internal
	app.mustRegister(f)
}

// Query registers a public query with typed arguments and result, as
// App.Query: it panics if the types have no strata meaning or the name is
// malformed or taken (a programming error, as for http.Handle). Use Typed
// and App.Register for an error instead.
func Query[A, R any](app *App, name string, fn TypedHandler[A, R]) {
	mustTyped(app, KindQuery, false, name, fn)
}

// Mutation registers a public mutation with typed arguments and result:
//
//	functions.Mutation(app, "users:create", func(ctx *functions.Ctx, a CreateUser) (strata.ID, error) {
//		return ctx.Tx.Insert("users", User{Name: a.Name})
//	})
//
// It panics as Query does.
func Mutation[A, R any](app *App, name string, fn TypedHandler[A, R]) {
	mustTyped(app, KindMutation, false, name, fn)
}

// InternalQuery registers an internal query with typed arguments and result.
func InternalQuery[A, R any](app *App, name string, fn TypedHandler[A, R]) {
	mustTyped(app, KindQuery, true, name, fn)
}

// InternalMutation registers an internal mutation with typed arguments and
// result.
func InternalMutation[A, R any](app *App, name string, fn TypedHandler[A, R]) {
	mustTyped(app, KindMutation, true, name, fn)
}
