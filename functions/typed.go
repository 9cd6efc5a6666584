package functions

import (
	"context"
	"fmt"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/value"
)

// CallAs is App.Call with the result converted to R, for callers that
// know the function's result type (its Returns validator guarantees it):
// string or strata.ID for v.String and v.ID, int64, float64, bool,
// []byte, []any, map[string]any, any, or any Go type value.Assign fills
// (a struct for an object, []T for an array, int for an int64). A nil
// result gives R's zero value; a result that does not fit is an error.
func CallAs[R any](ctx context.Context, app *App, db *strata.DB, name string, args any) (R, error) {
	res, err := app.Call(ctx, db, name, args)
	if err != nil {
		var zero R
		return zero, err
	}
	return convert[R](name, res)
}

// RunQueryAs is Ctx.RunQuery with the result converted to R, as CallAs.
func RunQueryAs[R any](c *Ctx, name string, args any) (R, error) {
	res, err := c.RunQuery(name, args)
	if err != nil {
		var zero R
		return zero, err
	}
	return convert[R](name, res)
}

// RunMutationAs is Ctx.RunMutation with the result converted to R, as
// CallAs.
func RunMutationAs[R any](c *Ctx, name string, args any) (R, error) {
	res, err := c.RunMutation(name, args)
	if err != nil {
		var zero R
		return zero, err
	}
	return convert[R](name, res)
}

func convert[R any](name string, res any) (R, error) {
	var zero R
	if res == nil {
		return zero, nil
	}
	if r, ok := res.(R); ok {
		return r, nil
	}
	// Ids are stored as strings: accept either for the other.
	switch x := res.(type) {
	case string:
		if r, ok := any(strata.ID(x)).(R); ok {
			return r, nil
		}
	case strata.ID:
		if r, ok := any(string(x)).(R); ok {
			return r, nil
		}
	}
	// Objects into structs, arrays into slices, ...: as value.Assign.
	var r R
	if err := value.Assign(res, &r); err == nil {
		return r, nil
	}
	return zero, &CallError{Function: name, Err: fmt.Errorf("result is %T, not %T", res, zero)}
}
