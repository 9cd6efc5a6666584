package functions_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"
)

type CreateUser struct {
	Name  string   `strata:"name"`
	Age   *int8    `strata:"age"`
	Tags  []string `strata:"tags,omitempty"`
	Admin bool     `strata:"admin,omitempty"`
}

type userDoc struct {
	ID   strata.ID `strata:"_id"`
	Name string    `strata:"name"`
	Age  *int      `strata:"age"`
}

type byName struct {
	Name string `strata:"name"`
}

type summary struct {
	Count int      `strata:"count"`
	Names []string `strata:"names"`
}

func typedApp(t testing.TB) *functions.App {
	app := functions.NewApp()
	functions.Mutation(app, "users:create", func(ctx *functions.Ctx, a CreateUser) (strata.ID, error) {
		return ctx.Tx.Insert("users", userDoc{Name: a.Name, Age: intPtr(a.Age)})
	})
	functions.Query(app, "users:byName", func(ctx *functions.Ctx, a byName) (userDoc, error) {
		return strata.First[userDoc](ctx.Tx.Table("users").Filter(strata.Field("name").Eq(a.Name)))
	})
	functions.Query(app, "users:summary", func(ctx *functions.Ctx, _ struct{}) (summary, error) {
		us, err := strata.Collect[userDoc](ctx.Tx.Table("users"))
		s := summary{Count: len(us), Names: []string{}}
		for _, u := range us {
			s.Names = append(s.Names, u.Name)
		}
		return s, err
	})
	return app
}

func intPtr(p *int8) *int {
	if p == nil {
		return nil
	}
	n := int(*p)
	return &n
}

// TestTypedFunctions: functions registered with typed handlers get
// validators derived from their types, accept struct or map arguments,
// and return typed results.
func TestTypedFunctions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		db, _ := openDB(t, b)
		app := typedApp(t)
		f, _ := app.Lookup("users:create")
		want := v.Object{"name": v.String(), "age": v.Optional(v.Int64()), "tags": v.Optional(v.Array(v.String())), "admin": v.Optional(v.Boolean())}
		if !v.Equal(f.Args, want) || f.Returns != nil {
			t.Fatalf("derived Args %v, Returns %v", f.Args, f.Returns)
		}
		s, _ := app.Lookup("users:summary")
		if !v.Equal(s.Returns, v.Object{"count": v.Int64(), "names": v.Array(v.String())}) {
			t.Fatalf("derived Returns %v", s.Returns)
		}
		age := int8(36)
		id, err := functions.CallAs[strata.ID](context.Background(), app, db, "users:create", CreateUser{Name: "Ada", Age: &age})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Call(context.Background(), db, "users:create", map[string]any{"name": "Grace"}); err != nil {
			t.Fatal(err)
		}
		u, err := functions.CallAs[userDoc](context.Background(), app, db, "users:byName", byName{"Ada"})
		if err != nil || u.ID != id || *u.Age != 36 {
			t.Fatalf("users:byName = %+v, %v", u, err)
		}
		sum, err := functions.CallAs[summary](context.Background(), app, db, "users:summary", nil)
		if err != nil || sum.Count != 2 {
			t.Fatalf("users:summary = %+v, %v", sum, err)
		}
		if _, err := functions.CallAs[userDoc](context.Background(), app, db, "users:byName", byName{"nobody"}); !errors.Is(err, strata.ErrNotFound) {
			t.Fatalf("users:byName of nobody: %v", err)
		}
		for name, c := range map[string]struct {
			args any
			want string
		}{
			"missing field":   {map[string]any{}, "name: expected string, found undefined"},
			"wrong type":      {map[string]any{"name": 1}, "name: expected string, found int64"},
			"extra field":     {map[string]any{"name": "x", "nick": "y"}, "nick: unexpected field"},
			"int8 overflow":   {map[string]any{"name": "x", "age": 300}, "age: int64 300 overflows Go type int8"},
			"chan in a value": {map[string]any{"name": make(chan int)}, "name: unsupported Go type chan int"},
		} {
			_, err := app.Call(context.Background(), db, "users:create", c.args)
			if !errors.Is(err, functions.ErrInvalidArgs) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: got %v, want ErrInvalidArgs containing %q", name, err, c.want)
			}
		}
	})
}

// TestTypedRefuses: argument and result types with no strata meaning are
// refused at registration, naming the field.
func TestTypedRefuses(t *testing.T) {
	type withChan struct {
		C chan int `strata:"c"`
	}
	type withID struct {
		Author strata.ID `strata:"author"`
	}
	if _, err := functions.Typed(functions.KindMutation, "a:b", func(*functions.Ctx, withChan) (int, error) { return 0, nil }); err == nil || !strings.Contains(err.Error(), "args: v: validator for Go type functions_test.withChan: c: unsupported Go type chan int") {
		t.Errorf("chan argument: %v", err)
	}
	if _, err := functions.Typed(functions.KindMutation, "a:b", func(*functions.Ctx, withID) (int, error) { return 0, nil }); err == nil || !strings.Contains(err.Error(), "author: a strata.ID field needs the table") {
		t.Errorf("ID argument without table: %v", err)
	}
	if _, err := functions.Typed(functions.KindQuery, "a:b", func(*functions.Ctx, struct{}) (func(), error) { return nil, nil }); err == nil || !strings.Contains(err.Error(), "returns: ") {
		t.Errorf("func result: %v", err)
	}
	if _, err := functions.Typed(functions.KindQuery, "a:b", func(*functions.Ctx, int) (int, error) { return 0, nil }); err == nil || !strings.Contains(err.Error(), "not a struct") {
		t.Errorf("int arguments: %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "chan int") {
			t.Errorf("functions.Mutation with a bad type: recovered %v, want a panic naming it", r)
		}
	}()
	functions.Mutation(functions.NewApp(), "a:b", func(*functions.Ctx, withChan) (int, error) { return 0, nil })
}
