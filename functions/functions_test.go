package functions_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"
)

var errBoom = errors.New("boom")

// testApp registers the functions the tests call.
func testApp(t testing.TB) *functions.App {
	t.Helper()
	app := functions.NewApp()
	app.Mutation("users:create", functions.Def{
		Args:    v.Object{"name": v.String(), "age": v.Optional(v.Int64())},
		Returns: v.ID("users"),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.Tx.Insert("users", args)
		},
	})
	app.Query("users:get", functions.Def{
		Args:    v.Object{"id": v.ID("users")},
		Returns: v.Union(v.Null(), v.Object{"name": v.String()}),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			u, err := ctx.Tx.Get(strata.ID(args.StringOr("id", "")))
			if err != nil || u == nil {
				return nil, err
			}
			return map[string]any{"name": u.StringOr("name", "")}, nil
		},
	})
	app.Query("users:count", functions.Def{
		Args:    v.Object{},
		Returns: v.Int64(),
		Handler: func(ctx *functions.Ctx, _ strata.Doc) (any, error) {
			docs, err := ctx.Tx.Table("users").Collect()
			return int64(len(docs)), err
		},
	})
	app.InternalMutation("users:createFailing", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			if _, err := ctx.Tx.Insert("users", strata.Doc{"name": "ghost"}); err != nil {
				return nil, err
			}
			return nil, errBoom
		},
	})
	app.Mutation("users:badReturn", functions.Def{
		Returns: v.Object{"n": v.Int64()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			if _, err := ctx.Tx.Insert("users", strata.Doc{"name": "ghost"}); err != nil {
				return nil, err
			}
			return map[string]any{"n": "one"}, nil
		},
	})
	app.Mutation("users:notAValue", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			if _, err := ctx.Tx.Insert("users", strata.Doc{"name": "ghost"}); err != nil {
				return nil, err
			}
			return make(chan int), nil // a channel is not a strata value
		},
	})
	app.Query("users:tryMutation", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.RunMutation("users:create", map[string]any{"name": "x"})
		},
	})
	app.Query("users:trySchedule", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.Scheduler.RunAfter(0, "users:create", map[string]any{"name": "x"})
		},
	})
	app.Mutation("users:nested", functions.Def{
		Args:    v.Object{"name": v.String()},
		Returns: v.Object{"id": v.ID("users"), "seen": v.Object{"name": v.String()}, "count": v.Int64()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			id, err := ctx.RunMutation("users:create", args)
			if err != nil {
				return nil, err
			}
			seen, err := ctx.RunQuery("users:get", map[string]any{"id": id})
			if err != nil {
				return nil, err
			}
			n, err := ctx.RunQuery("users:count", nil)
			if err != nil {
				return nil, err
			}
			return map[string]any{"id": id, "seen": seen, "count": n}, nil
		},
	})
	app.Mutation("users:swallow", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			_, _ = ctx.RunMutation("users:createFailing", nil) // error ignored
			return nil, nil
		},
	})
	app.Mutation("users:recurse", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.RunMutation("users:recurse", nil)
		},
	})
	app.Mutation("users:runQueryAsMutation", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.RunQuery("users:create", map[string]any{"name": "x"})
		},
	})
	return app
}

func countUsers(t testing.TB, db *strata.DB) int {
	t.Helper()
	n := 0
	err := db.Query(context.Background(), func(tx *strata.Tx) error {
		docs, err := tx.Table("users").Collect()
		n = len(docs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCallQueryAndMutation(t *testing.T) {
	t.Parallel()
	eachBackend(t, testCallQueryAndMutation)
}

func testCallQueryAndMutation(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := testApp(t)
	ctx := context.Background()
	id, err := app.Call(ctx, db, "users:create", map[string]any{"name": "Ada", "age": int64(36)})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := app.Call(ctx, db, "users:get", strata.Doc{"id": id})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if m, _ := got.(map[string]any); m["name"] != "Ada" {
		t.Errorf("get = %#v", got)
	}
	res, err := app.Call(ctx, db, "users:nested", map[string]any{"name": "Grace"})
	if err != nil {
		t.Fatalf("nested: %v", err)
	}
	m := res.(map[string]any)
	if seen := m["seen"].(map[string]any); seen["name"] != "Grace" || m["count"] != int64(2) {
		t.Errorf("nested calls do not share the transaction: %#v", res)
	}
}

func TestLookupVisibility(t *testing.T) {
	t.Parallel()
	app := testApp(t)
	f, ok := app.Lookup("users:createFailing")
	if !ok || !f.Internal || f.Kind != functions.KindMutation {
		t.Errorf("users:createFailing = %+v, %v", f, ok)
	}
	f, ok = app.Lookup("users:get")
	if !ok || f.Internal || f.Kind != functions.KindQuery {
		t.Errorf("users:get = %+v, %v", f, ok)
	}
	if len(app.Functions()) == 0 {
		t.Error("Functions is empty")
	}
}

func TestRegisterErrors(t *testing.T) {
	t.Parallel()
	h := func(*functions.Ctx, strata.Doc) (any, error) { return nil, nil }
	tests := []struct {
		f    functions.Function
		want string
	}{
		{functions.Function{Name: "", Kind: functions.KindQuery, Handler: h}, "function name"},
		{functions.Function{Name: "a b", Kind: functions.KindQuery, Handler: h}, "function name"},
		{functions.Function{Name: "a:b", Kind: 9, Handler: h}, "invalid kind"},
		{functions.Function{Name: "a:b", Kind: functions.KindQuery}, "nil handler"},
		{functions.Function{Name: "a:b", Kind: functions.KindQuery, Handler: h, Args: v.Object{"x": nil}}, "args"},
		{functions.Function{Name: "a:b", Kind: functions.KindQuery, Handler: h, Returns: v.Optional(v.String())}, "returns"},
		{functions.Function{Name: "users:get", Kind: functions.KindQuery, Handler: h}, "already registered"},
	}
	app := testApp(t)
	for _, tt := range tests {
		err := app.Register(tt.f)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Register(%q): %v, want error containing %q", tt.f.Name, err, tt.want)
		}
	}
}

// TestBadInput is the table of bad calls with the error each gets. None
// of them may write anything.
func TestBadInput(t *testing.T) {
	t.Parallel()
	eachBackend(t, testBadInput)
}

func testBadInput(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := testApp(t)
	tests := []struct {
		name   string
		fn     string
		args   any
		is     error
		path   string // the *v.Error's Path, if one is expected
		substr string
	}{
		{"unknown function", "users:nope", nil, functions.ErrUnknownFunction, "", `functions: users:nope: unknown function "users:nope"`},
		{"args a string", "users:create", "Ada", functions.ErrInvalidArgs, "", "expected an object, found string"},
		{"args an array", "users:create", []any{"Ada"}, functions.ErrInvalidArgs, "", "expected an object, found array"},
		{"args an int64", "users:create", int64(1), functions.ErrInvalidArgs, "", "expected an object, found int64"},
		{"wrong type", "users:create", map[string]any{"name": int64(1)}, functions.ErrInvalidArgs, "name", "name: expected string, found int64"},
		{"wrong nested type", "users:create", map[string]any{"name": "x", "age": 3.5}, functions.ErrInvalidArgs, "age", "age: expected int64, found number"},
		{"missing arg", "users:create", map[string]any{}, functions.ErrInvalidArgs, "name", "name: expected string, found undefined"},
		{"extra arg", "users:create", map[string]any{"name": "x", "nick": "y"}, functions.ErrInvalidArgs, "nick", "nick: unexpected field"},
		{"Go chan arg", "users:create", map[string]any{"name": "x", "age": make(chan int)}, functions.ErrInvalidArgs, "", "invalid args: value: convert: age: unsupported Go type chan int"},
		{"Go uint64 overflow arg", "users:create", map[string]uint64{"age": 1 << 63}, functions.ErrInvalidArgs, "", "age: uint64 9223372036854775808 overflows int64"},
		{"wrong id table", "users:get", map[string]any{"id": "nope"}, functions.ErrInvalidArgs, "id", "id:"},
		{"bad return", "users:badReturn", nil, functions.ErrInvalidReturn, "n", "invalid return value: n: expected int64, found string"},
		{"return not a value", "users:notAValue", nil, functions.ErrInvalidReturn, "", "invalid return value: value: convert: unsupported Go type chan int"},
		{"query calls RunMutation", "users:tryMutation", nil, functions.ErrMutationInQuery, "", "RunMutation from users:tryMutation"},
		{"query schedules", "users:trySchedule", nil, functions.ErrMutationInQuery, "", "schedule"},
		{"handler error", "users:createFailing", nil, errBoom, "", "functions: users:createFailing: boom"},
		{"swallowed nested failure", "users:swallow", nil, functions.ErrNestedMutationFailed, "", "boom"},
		{"recursion", "users:recurse", nil, nil, "", "nested more than 64 deep"},
		{"RunQuery of a mutation", "users:runQueryAsMutation", nil, nil, "", "is a mutation (use RunMutation)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countUsers(t, db)
			_, err := app.Call(context.Background(), db, tt.fn, tt.args)
			if err == nil {
				t.Fatalf("Call(%s, %v) succeeded", tt.fn, tt.args)
			}
			var ce *functions.CallError
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *CallError: %v", err, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %q", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("error %q does not contain %q", err, tt.substr)
			}
			if tt.path != "" {
				var ve *v.Error
				if !errors.As(err, &ve) || ve.Path != tt.path {
					t.Errorf("error %q: want a *v.Error with path %q, got %+v", err, tt.path, ve)
				}
			}
			if after := countUsers(t, db); after != before {
				t.Errorf("a failed call wrote: %d users before, %d after", before, after)
			}
		})
	}
}

// TestRetriedMutationGetsFreshArgs: a handler that modifies its args and
// is rerun after a conflict sees the caller's arguments again.
func TestArgsAreCopied(t *testing.T) {
	t.Parallel()
	eachBackend(t, testArgsAreCopied)
}

func testArgsAreCopied(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := functions.NewApp()
	app.Mutation("m:mutateArgs", functions.Def{
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			args["x"] = "changed"
			return nil, nil
		},
	})
	args := map[string]any{"x": "orig"}
	if _, err := app.Call(context.Background(), db, "m:mutateArgs", args); err != nil {
		t.Fatal(err)
	}
	if args["x"] != "orig" {
		t.Errorf("handler modified the caller's args: %v", args)
	}
}

func TestConcurrentMutationsSerialize(t *testing.T) {
	t.Parallel()
	eachBackend(t, testConcurrentMutationsSerialize)
}

func testConcurrentMutationsSerialize(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := functions.NewApp()
	app.Mutation("counter:inc", functions.Def{
		Args: v.Object{"id": v.ID("counters")},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			id := strata.ID(args.StringOr("id", ""))
			d, err := ctx.Tx.Get(id)
			if err != nil {
				return nil, err
			}
			n, _ := d.Int("n")
			return nil, ctx.Tx.Patch(id, strata.Patch{"n": n + 1})
		},
	})
	var id strata.ID
	mutate(t, db, func(tx *strata.Tx) (err error) {
		id, err = tx.Insert("counters", strata.Doc{"n": int64(0)})
		return err
	})
	const workers, each = 8, 25
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range each {
				if _, err := app.Call(context.Background(), db, "counter:inc", map[string]any{"id": id}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	err := db.Query(context.Background(), func(tx *strata.Tx) error {
		d, err := tx.Get(id)
		if n, _ := d.Int("n"); n != workers*each {
			return fmt.Errorf("counter = %d, want %d", n, workers*each)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCallAs(t *testing.T) {
	t.Parallel()
	eachBackend(t, testCallAs)
}

func testCallAs(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	app := testApp(t)
	ctx := context.Background()
	id, err := functions.CallAs[strata.ID](ctx, app, db, "users:create", map[string]any{"name": "Ada"})
	if err != nil || id == "" {
		t.Fatalf("CallAs[ID]: %q, %v", id, err)
	}
	n, err := functions.CallAs[int64](ctx, app, db, "users:count", nil)
	if err != nil || n != 1 {
		t.Fatalf("CallAs[int64]: %d, %v", n, err)
	}
	if _, err := functions.CallAs[string](ctx, app, db, "users:count", nil); err == nil || !strings.Contains(err.Error(), "result is int64, not string") {
		t.Errorf("CallAs[string] of an int64: %v", err)
	}
	m, err := functions.CallAs[map[string]any](ctx, app, db, "users:get", map[string]any{"id": id})
	if err != nil || m["name"] != "Ada" {
		t.Errorf("CallAs[map]: %v, %v", m, err)
	}
}
