package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/server"
)

// adminKeyEnv names the environment variable that gives serve its admin
// key.
const adminKeyEnv = "STRATA_ADMIN_KEY"

func (a *app) serveCommand() *cobra.Command {
	var (
		addr    string
		cors    []string
		maxBody int64
		timeout time.Duration
		drain   time.Duration
		workers int
		newKey  bool
		migs    bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "serve the application's functions over HTTP, callable with Convex's clients",
		Long: `Serve the database over HTTP until interrupted (Ctrl-C drains the calls in
flight, then exits; so does SIGTERM). The application's functions (cli.MainWith(app)) answer
POST /api/query and /api/mutation exactly as a Convex deployment does, so
ConvexHttpClient from the convex npm package calls them unchanged:

  const client = new ConvexHttpClient("http://127.0.0.1:3210");
  await client.query(api.messages.list, {});

Internal functions and the admin API are served only to requests with the
admin key (Authorization: Convex KEY). On the first serve of a database,
strata makes a random key, stores its SHA-256 hash in the database and prints
the key once; --new-admin-key replaces it. $` + adminKeyEnv + `, when set, is
accepted as well (and nothing is generated). Scheduled functions run in this
process while it serves. So do migrations (unless --migrations=false): a
declarative migration, or a Go migration of this binary (cli.MainConfig),
marked running with no live runner — resumed through the admin API or the
dashboard, or left by a process that died — is continued here from where it
stopped, and tables whose records carry old shapes are compacted while idle. Every route is in docs/http-api.md.

The server listens on 127.0.0.1 unless --addr says otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// SIGTERM (what service managers and containers send) drains
			// like Ctrl-C.
			ctx, stopSignals := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
			defer stopSignals()
			db, err := a.open(ctx)
			if err != nil {
				return err
			}
			key := os.Getenv(adminKeyEnv)
			var printKey string
			if key == "" || newKey {
				k, created, err := server.EnsureAdminKey(ctx, db, newKey)
				if err != nil {
					return err
				}
				if created {
					printKey = k
				}
			}
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			s, err := server.New(server.Config{
				DB: db, Functions: a.fns, AdminKey: key,
				MaxBodyBytes: maxBody, Timeout: timeout, Logger: log, CORSOrigins: cors,
			})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			if a.fns != nil && workers > 0 {
				w, err := a.fns.StartWorker(ctx, db, functions.WorkerOptions{Concurrency: workers, Logger: log})
				if err != nil {
					ln.Close()
					return fmt.Errorf("serve: scheduled functions: %w", err)
				}
				defer w.Stop(ctx)
			}
			if migs {
				// Keep migrations moving while serving — declarative ones and
				// this binary's Go migrations (cli.MainConfig.Migrations); it
				// ends with ctx (Serve below returns first, on the same ctx).
				m := migrate.New(db)
				for _, mig := range a.migrations {
					if err := m.Define(mig); err != nil {
						ln.Close()
						return fmt.Errorf("serve: migrations: %w", err)
					}
				}
				mctx, stopMigs := context.WithCancel(ctx)
				migsDone := make(chan struct{})
				go func() {
					defer close(migsDone)
					_ = m.Serve(mctx, time.Second) // ctx.Err() at the end; failures are in the tracking documents
				}()
				defer func() { stopMigs(); <-migsDone }()
			}
			fmt.Fprintf(a.stdout, "strata serve: listening on http://%s\n", ln.Addr())
			if printKey != "" {
				fmt.Fprintf(a.stdout, "admin key (shown once; only its hash is stored; serve --new-admin-key replaces it): %s\n", printKey)
			}
			return s.Serve(ctx, ln, drain)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:3210", "address to listen on (host:port); 0.0.0.0:PORT exposes it to the network")
	f.StringSliceVar(&cors, "cors", nil, "origins browsers may call from (comma-separated; * for any)")
	f.Int64Var(&maxBody, "max-body", server.DefaultMaxBodyBytes, "largest request body in bytes (larger: 413)")
	f.DurationVar(&timeout, "timeout", server.DefaultTimeout, "longest a function call may run")
	f.DurationVar(&drain, "drain", server.DefaultDrain, "how long shutdown waits for calls in flight")
	f.IntVar(&workers, "workers", 4, "scheduled functions run at once in this process (0: none)")
	f.BoolVar(&newKey, "new-admin-key", false, "replace the stored admin key with a new one and print it")
	f.BoolVar(&migs, "migrations", true, "continue running migrations that have no live runner, and compact idle tables, in this process")
	return cmd
}
