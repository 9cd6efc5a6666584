// Package pgtest finds a PostgreSQL server for tests and gives each test
// a fresh, empty place in it.
//
// The server is, in order of preference:
//
//  1. the one at STRATA_TEST_POSTGRES, a URL such as
//     postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable (the
//     role must be allowed to create databases); if it does not answer,
//     tests fail;
//  2. a private throw-away server started from the installed PostgreSQL
//     binaries (initdb into a temporary directory, a free loopback port,
//     fsync off), one per test binary, stopped when the tests end;
//  3. none: tests that need one are skipped with a loud message, or fail
//     if STRATA_REQUIRE_POSTGRES=1 (as .ci/run sets).
//
// Each test binary (package) gets its own database, created on first use
// and dropped at the end, so packages can run in parallel; each call of
// URL gets its own schema in it. A package that uses pgtest runs its
// tests through Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding a server URL for tests.
const EnvURL = "STRATA_TEST_POSTGRES"

// EnvRequire names the environment variable that, set to 1, makes tests
// fail instead of skipping when no server is available.
const EnvRequire = "STRATA_REQUIRE_POSTGRES"

var (
	underMain atomic.Bool

	setupOnce sync.Once
	setupErr  error
	adminURL  string  // the server's maintenance database
	private   *Server // the private server, if one was started
	pkgDB     string  // this binary's database
	pkgURL    string  // URL of pkgDB

	schemaSeq atomic.Int64
)

// Main runs the tests of m, then drops the package's database, stops
// the private server if one was started, removes the directories
// SharedDir created, and exits with the tests' status.
//
// Unless -parallel is given, Main runs up to ParallelPerCPU parallel
// tests per CPU instead of the testing package's one: these tests mostly
// wait (for fsync, the server, a helper process or a lease), not compute.
func Main(m *testing.M) {
	underMain.Store(true)
	raiseParallel()
	code := m.Run()
	teardown()
	removeSharedDirs()
	os.Exit(code)
}

func teardown() {
	if pkgDB != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if c, err := pgx.Connect(ctx, adminURL); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{pkgDB}.Sanitize()+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
		cancel()
	}
	if private != nil {
		private.Stop()
	}
}

// unavailable skips the test, or fails it when EnvRequire is set.
func unavailable(tb testing.TB, why error) {
	tb.Helper()
	msg := fmt.Sprintf("\n*** pgtest: NO POSTGRESQL SERVER: %v\n*** set %s to a server URL, or install the PostgreSQL server binaries (initdb, pg_ctl)\n", why, EnvURL)
	if os.Getenv(EnvRequire) == "1" {
		tb.Fatalf("%s*** %s=1: failing instead of skipping", msg, EnvRequire)
	}
	tb.Skip(msg)
}

// errNoServer means neither a URL nor binaries are available.
var errNoServer = errors.New("no server")

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if u := os.Getenv(EnvURL); u != "" {
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			return fmt.Errorf("%s=%s does not answer: %w", EnvURL, u, err)
		}
		_ = c.Close(ctx)
		adminURL = u
	} else {
		if _, err := BinDir(); err != nil {
			return fmt.Errorf("%w: %s is not set and %v", errNoServer, EnvURL, err)
		}
		s, err := Start(Options{})
		if err != nil {
			return fmt.Errorf("starting a private server: %w", err)
		}
		private = s
		adminURL = s.URL
	}
	name := "strata_test_" + sanitize(strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")) + "_" + strconv.Itoa(os.Getpid()) + "_" + randHex(3)
	c, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("creating the test database: %w", err)
	}
	pkgDB = name
	pkgURL = WithDatabase(adminURL, name)
	return nil
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() > 20 {
		return b.String()[:20]
	}
	return b.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// server returns the package database's URL, or skips or fails tb.
func server(tb testing.TB) string {
	tb.Helper()
	if !underMain.Load() {
		tb.Fatal("pgtest: the package must run its tests through pgtest.Main (func TestMain(m *testing.M) { pgtest.Main(m) })")
	}
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		if errors.Is(setupErr, errNoServer) {
			unavailable(tb, setupErr)
		}
		tb.Fatalf("pgtest: %v", setupErr)
	}
	return pkgURL
}

// AdminURL returns the URL of the server's maintenance database, for tests
// that create databases or inspect sessions, or skips or fails tb when no
// server is available.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	server(tb)
	return adminURL
}

// PackageURL returns the URL of the package's database itself (no schema
// of its own), for fixtures shared by several tests or benchmarks; it is
// dropped with the database when the tests end.
func PackageURL(tb testing.TB) string {
	tb.Helper()
	return server(tb)
}

// URL returns a postgres:// URL of a fresh, empty schema (it is the first
// entry of search_path) in the package's database, with
// synchronous_commit=off. The schema is dropped
// when tb ends. With no server available it skips tb, or fails it when
// STRATA_REQUIRE_POSTGRES=1.
func URL(tb testing.TB) string {
	tb.Helper()
	base := server(tb)
	schema := fmt.Sprintf("t%d_%s", schemaSeq.Add(1), randHex(2))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("pgtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			_ = c.Close(ctx)
		}
	})
	// Commits need not wait for the disk in tests: a crash of the test
	// server loses nothing anyone needs, and the suite runs several times
	// faster on a server with fsync on.
	return WithParam(WithParam(base, "search_path", schema), "synchronous_commit", "off")
}

// WithDatabase returns u with its database replaced by name.
func WithDatabase(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + name
	return p.String()
}

// WithParam returns u with the query parameter key set to value.
func WithParam(u, key, value string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// BinDir returns the directory holding initdb and pg_ctl: the one on PATH,
// else the newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Options configure a private server.
type Options struct {
	// PasswordUser, if set, is created with PasswordUser's password
	// Password and must authenticate with it (scram-sha-256) over TCP;
	// every other role is trusted.
	PasswordUser, Password string
	// Settings are server parameters written to postgresql.conf after
	// the defaults (name = value; values are written as given, so quote
	// strings), for tests that need an unusual server, such as a tiny
	// predicate lock table.
	Settings map[string]string
}

// TinyPredicateLocks are Options.Settings for a server whose table of
// serializable predicate locks is as small as PostgreSQL allows (10 per
// transaction, few connections: about 150 locks in all) and that never
// trades row locks for page or relation locks: a serializable
// transaction that reads a few hundred rows fails with "out of shared
// memory" (SQLSTATE 53200), as one does on a busy shared server.
var TinyPredicateLocks = map[string]string{
	"max_connections":                "12",
	"superuser_reserved_connections": "2",
	"max_pred_locks_per_transaction": "10",
	"max_pred_locks_per_relation":    "1000000",
	"max_pred_locks_per_page":        "1000000",
	"max_worker_processes":           "0",
	"max_parallel_workers":           "0",
	"max_wal_senders":                "0",
	"autovacuum_max_workers":         "1",
}

// Server is a private throw-away PostgreSQL server.
type Server struct {
	// URL is the superuser's URL of the maintenance database "postgres".
	URL string
	// Port is the loopback TCP port the server listens on.
	Port int

	dir, data string
	asUser    string // run the binaries as this user ("" = as ourselves)
	bin       string
	stopOnce  sync.Once
}

// StartServer starts a private server for tb and stops it when tb ends.
// It skips tb (or fails it when STRATA_REQUIRE_POSTGRES=1) if no server
// binaries are installed.
func StartServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if _, err := BinDir(); err != nil {
		unavailable(tb, err)
	}
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Start starts a private server from the installed binaries: initdb into
// a new temporary directory (as the postgres user when running as root,
// which initdb refuses), a free loopback port, fsync off. Stop it with
// Stop.
func Start(opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "strata-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, data: filepath.Join(dir, "data"), bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, errors.New("running as root and there is no postgres user to run initdb as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.asUser = "postgres"
	}
	if err := s.start(opts); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if s.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (s *Server) run(name string, args ...string) error {
	out, err := s.cmd(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start(opts Options) error {
	if err := s.run("initdb", "-D", s.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return err
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\nshared_buffers = 32MB\n", s.dir)
	names := make([]string, 0, len(opts.Settings))
	for name := range opts.Settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		conf += fmt.Sprintf("%s = %s\n", name, opts.Settings[name])
	}
	if err := appendFile(filepath.Join(s.data, "postgresql.conf"), conf); err != nil {
		return err
	}
	if opts.PasswordUser != "" {
		hbaPath := filepath.Join(s.data, "pg_hba.conf")
		old, err := os.ReadFile(hbaPath)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("host all %s 127.0.0.1/32 scram-sha-256\n", opts.PasswordUser)
		if err := os.WriteFile(hbaPath, append([]byte(line), old...), 0o600); err != nil {
			return err
		}
	}
	var lastErr error
	for range 5 { // the free port may be taken between probe and start
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
		lastErr = s.run("pg_ctl", "-D", s.data, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "60",
			"-o", fmt.Sprintf("-p %d", port), "start")
		if lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("%w\nserver log:\n%s", lastErr, log)
	}
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.Port)
	if opts.PasswordUser != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, s.URL)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN SUPERUSER PASSWORD '%s'",
			pgx.Identifier{opts.PasswordUser}.Sanitize(), strings.ReplaceAll(opts.Password, "'", "''")))
		if err != nil {
			return err
		}
	}
	return nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Stop stops the server immediately and removes its directory. It is
// idempotent.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(s.data, "postmaster.pid")); err == nil {
			_ = s.run("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop")
		}
		os.RemoveAll(s.dir)
	})
}
