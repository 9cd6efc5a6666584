// Package cli is the strata command line. cmd/strata runs it as is;
// applications that embed strata can run it from their own binary with
// Main (or MainConfig, to add their functions and Go migrations), so
// operators get the same commands against the application's database.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/migrate"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

// Main runs the strata command line, as cmd/strata does, with os.Args
// and exits: 0 on success, 1 on any error or refusal, with the error on
// stderr in one line that starts with "strata: ". It is
// MainConfig(Config{DevCommands: true}): every command, demo and bench
// included.
func Main() { MainConfig(Config{DevCommands: true}) }

// MainWith is Main for an application binary that embeds the command line
// with its own functions: `run NAME 'JSON-ARGS'` calls them and `scheduled
// work` runs their scheduled jobs. fns may be nil (no functions). It is
// MainConfig(Config{Functions: fns}): without demo and bench.
func MainWith(fns *functions.App) { MainConfig(Config{Functions: fns}) }

// Config is what an application binary gives the command line it embeds.
// The zero Config has every command that works on a database, but not
// demo and bench; Config{DevCommands: true} is the plain strata command.
type Config struct {
	// Functions are the application's functions: `run NAME 'JSON-ARGS'`
	// calls them and `scheduled work` runs their scheduled jobs. nil: none.
	Functions *functions.App
	// Migrations are the application's Go migrations (declarative ones
	// need nothing: their file is stored in the database): `migrate run
	// NAME` runs or resumes one of them in the foreground, with progress.
	// The names must be unique.
	Migrations []migrate.Migration
	// DevCommands adds `demo` (builds a sample database and migrates it
	// while it serves traffic) and `bench` (measures strata against the
	// raw engine), the commands that try strata out rather than operate
	// an application's database. The plain strata command (Main, Run) has
	// them. Without it they are neither listed nor run: an application
	// binary does not offer them unless it asks.
	DevCommands bool
}

// MainConfig is Main for an application binary that embeds the command
// line with its functions and Go migrations:
//
//	func main() {
//		cli.MainConfig(cli.Config{Functions: app, Migrations: migrations.All})
//	}
func MainConfig(cfg Config) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := RunConfig(ctx, cfg, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

// Run runs the plain strata command line (every command, demo and bench
// included) with args, writing results to stdout and errors to stderr,
// and returns the error it reported. It is RunConfig with
// Config{DevCommands: true}.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return RunConfig(ctx, Config{DevCommands: true}, args, stdout, stderr)
}

// RunWith is Run for an application's command line: with its functions
// (nil for none) and without demo and bench. It is RunConfig with
// Config{Functions: fns}.
func RunWith(ctx context.Context, fns *functions.App, args []string, stdout, stderr io.Writer) error {
	return RunConfig(ctx, Config{Functions: fns}, args, stdout, stderr)
}

// RunConfig is Run with what an application gives the command line.
//
// Neither stderr nor the returned error repeats a password given in a
// database URL argument: every one is replaced by "xxxxx". stdout, which
// carries data (an export must stay byte for byte what the database
// holds, even where a document contains the password's text), is left
// alone: no command prints a URL there.
func RunConfig(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	if secrets := argSecrets(args); len(secrets) > 0 {
		stderr = &redactWriter{w: stderr, secrets: secrets}
		err := runConfig(ctx, cfg, args, stdout, stderr)
		return redactError(err, secrets)
	}
	return runConfig(ctx, cfg, args, stdout, stderr)
}

func runConfig(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	app := &app{stdout: stdout, stderr: stderr, fns: cfg.Functions, migrations: cfg.Migrations}
	root := app.rootCommand(cfg.DevCommands)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	app.closeDB()
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "strata: ")
		msg = strings.ReplaceAll(msg, "\n", "; ")
		fmt.Fprintf(stderr, "strata: %s\n", msg)
	}
	return err
}

// defaultDB is the database of a command without --db.
const defaultDB = "sqlite:./strata.db"

// app holds the global flags and the open database of one invocation.
type app struct {
	stdout, stderr io.Writer
	dbURL          string
	adminKey       string // --admin-key, for a --db that names a server
	cmdPath        string // the command run, "strata tables"
	json           bool
	readOnly       bool // the command only reads: open an existing database only
	progressEvery  time.Duration
	db             *strata.DB
	fns            *functions.App      // the application's functions, if any
	migrations     []migrate.Migration // the application's Go migrations, if any
}

// rootCommand builds the command tree: demo and bench only with
// devCommands (see Config.DevCommands).
func (a *app) rootCommand(devCommands bool) *cobra.Command {
	root := &cobra.Command{
		Use:   "strata",
		Short: "strata: a document database whose schema can change while the service runs",
		Long: `strata: a document database whose schema can change while the service runs.
Documents live in SQLite (a file; the default is ./strata.db) or PostgreSQL
(--db postgres://user:password@host:port/dbname), checked against a schema.

A first session:
  strata schema init                      write a starter schema.json to edit
  strata schema push schema.json          make it the schema
  strata import users users.jsonl         load documents, one JSON object a line
  strata data users                       look at them
  strata schema plan next.json -o m.json  plan a change that needs the data migrated
  strata migrate start m.json             run it; then strata migrate complete NAME

The file formats (schema, migration file, JSON Lines) are described in
docs/file-formats.md in the strata repository.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			a.readOnly = isReadOnly(cmd)
			a.cmdPath = cmd.CommandPath()
		},
	}
	root.PersistentFlags().StringVar(&a.dbURL, "db", defaultDB, "database URL: sqlite:PATH or postgres://..., or http://HOST:PORT of a strata serve (the commands whose help says so)")
	root.PersistentFlags().StringVar(&a.adminKey, "admin-key", "", "the admin key of the server --db http://... names (default $STRATA_ADMIN_KEY; never printed)")
	root.PersistentFlags().BoolVar(&a.json, "json", false, "print machine-readable JSON on stdout")
	root.PersistentFlags().DurationVar(&a.progressEvery, "progress-every", defaultProgressEvery, "long work (import, export, copy, check) reports progress on stderr: a bar on a terminal, else a line this often (0: no progress)")
	root.AddCommand(
		a.schemaCommand(),
		a.dataCommand(),
		a.importCommand(),
		a.exportCommand(),
		a.copyCommand(),
		a.checkCommand(),
		a.tablesCommand(),
		a.runCommand(), a.scheduledCommand(),
		a.migrateCommand(),
		a.genCommand(),
		a.serveCommand(),
	)
	if devCommands {
		root.AddCommand(a.demoCommand(), a.benchCommand())
	}
	return root
}

// open opens the database named by --db, once per invocation.
func (a *app) open(ctx context.Context) (*strata.DB, error) {
	return a.openWith(ctx, "", "")
}

// openWith is open with a SQLite URL parameter set to value unless --db
// sets it (param "": none); other backends ignore it.
func (a *app) openWith(ctx context.Context, param, value string) (*strata.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	if strings.TrimSpace(a.dbURL) == "" {
		return nil, usageErrorf("--db is empty: give a database URL, sqlite:PATH or postgres://user:password@host:port/dbname")
	}
	if isRemote(a.dbURL) {
		return nil, a.errNeedsLocal()
	}
	u := a.dbURL
	if a.readOnly {
		if err := mustExist(u); err != nil {
			return nil, err
		}
	}
	if param != "" && !strings.HasPrefix(u, "postgres") && !strings.Contains(u, param+"=") {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + param + "=" + value
	}
	db, err := strata.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	a.db = db
	return db, nil
}

// closeDB closes the database the command opened, if any. By then every
// commit of the command has succeeded or failed on its own, and a
// command that succeeded has printed its whole output: a failure to
// close (such as a final checkpoint on a full disk, which leaves the
// committed data in the write-ahead log, where the next open finds it)
// changes none of that, so it is a warning on stderr and does not make
// the command fail. Failing it would tell the operator that committed
// work was not done, and a retry would do it twice.
func (a *app) closeDB() {
	if a.db == nil {
		return
	}
	if err := a.db.Close(); err != nil {
		a.warnClose(err)
	}
	a.db = nil
}

// warnClose reports a failure to close a database whose work is done.
func (a *app) warnClose(err error) {
	msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "strata: "), "\n", "; ")
	fmt.Fprintf(a.stderr, "strata: warning: %s (what the command committed is safe)\n", msg)
}

// errUsage marks errors in how a command was called.
var errUsage = errors.New("usage")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
