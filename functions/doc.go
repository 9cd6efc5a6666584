// Package functions holds named query and mutation functions and a durable
// scheduler for them: strata's version of Convex's query, mutation,
// internalMutation, ctx.runQuery, ctx.runMutation and ctx.scheduler.
//
// Register functions on an App, with validators for their arguments and
// result:
//
//	app := functions.NewApp()
//	app.Query("users:get", functions.Def{
//		Args:    v.Object{"id": v.ID("users")},
//		Returns: v.Union(v.Null(), v.Object{"name": v.String()}),
//		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
//			u, err := ctx.Tx.Get(strata.ID(args.StringOr("id", "")))
//			if err != nil || u == nil {
//				return nil, err
//			}
//			return map[string]any{"name": u.StringOr("name", "")}, nil
//		},
//	})
//
// and call them by name against a database:
//
//	res, err := app.Call(ctx, db, "users:get", map[string]any{"id": id})
//
// Or register them with typed arguments and result: the validators are
// derived from the Go types (v.For, v.TypeOf), the handler gets its
// arguments as a struct, and callers may pass a struct too:
//
//	type CreateUser struct {
//		Name  string  `strata:"name"`
//		Email *string `strata:"email"` // optional
//	}
//	functions.Mutation(app, "users:create", func(ctx *functions.Ctx, a CreateUser) (strata.ID, error) {
//		return ctx.Tx.Insert("users", a)
//	})
//	id, err := functions.CallAs[strata.ID](ctx, app, db, "users:create", CreateUser{Name: "Ada"})
//
// # Transactions
//
// A query runs in a read-only snapshot; a mutation in one serializable
// transaction (strata.DB.Mutation) that commits only if the handler and
// every validator succeed, and runs again from the start if it loses a
// serialization race. Ctx.RunQuery and Ctx.RunMutation call other
// functions inside the caller's transaction; a query may only RunQuery.
// Arguments are checked before a handler runs (errors wrap ErrInvalidArgs
// and the *v.Error naming the argument path); a result its validator
// rejects fails the call (ErrInvalidReturn) and rolls a mutation back.
//
// # Scheduler
//
// Ctx.Scheduler.RunAfter, RunAt and Cancel write jobs to the system table
// _scheduled_functions in the caller's transaction, so a job exists only
// if its caller committed:
//
//	_, err := ctx.Scheduler.RunAfter(0, "migrations:backfill", map[string]any{"cursor": page.ContinueCursor})
//
// A Worker (App.StartWorker) runs due jobs in scheduled-time order with
// bounded concurrency. Each mutation job runs exactly once: the check that
// it is still pending, the handler's writes and its final state (success
// with the result, or failed with the error) commit in one transaction.
// Any number of workers, in any number of processes sharing the database,
// may run at once. Workers are woken when a job's transaction commits in
// their process and poll for jobs scheduled elsewhere.
//
// # Visibility
//
// Internal functions (InternalQuery, InternalMutation) are for other
// functions, the scheduler and operators (strata run); a server that
// exposes functions to clients must refuse those whose Function.Internal
// is set.
package functions
