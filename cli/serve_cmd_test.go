package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema/op"
)

// lockedBuffer is a bytes.Buffer safe for a command writing while the
// test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs `serve --addr 127.0.0.1:0` of an application binary in
// the background and returns its URL, the admin key it printed ("" if
// none), its stderr and a function that interrupts it and returns its
// error.
func startServe(t testing.TB, db, env string, extra ...string) (url, key string, stderr *lockedBuffer, stop func() error) {
	t.Helper()
	return startServeConfig(t, cli.Config{Functions: fnApp()}, db, env, extra...)
}

// startServeConfig is startServe of an application binary made with cfg.
func startServeConfig(t testing.TB, cfg cli.Config, db, env string, extra ...string) (url, key string, stderr *lockedBuffer, stop func() error) {
	t.Helper()
	t.Setenv("STRATA_ADMIN_KEY", env)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- cli.RunConfig(ctx, cfg, append([]string{"--db", db, "serve", "--addr", "127.0.0.1:0"}, extra...), stdout, stderr)
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	keyLine := regexp.MustCompile(`admin key \(shown once.*\): (\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			if k := keyLine.FindStringSubmatch(stdout.String()); k != nil {
				key = k[1]
			}
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s %s", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return url, key, stderr, func() error { cancel(); return <-done }
}

func callAPI(t testing.TB, url, route, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+route, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServe: serve answers the function API with the application's
// functions, prints a generated admin key once (or uses
// STRATA_ADMIN_KEY's, printing nothing), logs requests without the key,
// and returns nil when interrupted.
func TestServe(t *testing.T) {
	tests := []struct {
		name, env string
	}{
		{"generated key", ""},
		{"key from the environment", "env-key-123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "serve.db")
			url, key, stderr, stop := startServe(t, db, tt.env)
			if !strings.HasPrefix(url, "http://127.0.0.1:") {
				t.Errorf("listening on %s, want loopback", url)
			}
			switch {
			case tt.env == "" && !strings.HasPrefix(key, "strata-"):
				t.Fatalf("no generated admin key printed (got %q)", key)
			case tt.env != "" && key != "":
				t.Fatalf("printed a key although %s was set", "STRATA_ADMIN_KEY")
			case tt.env != "":
				key = tt.env
			}
			status, body := callAPI(t, url, "/api/mutation", "", `{"path":"notes:add","format":"convex_encoded_json","args":[{"text":"hi","n":{"$integer":"BwAAAAAAAAA="}}]}`)
			if status != 200 || !strings.Contains(body, `"status":"success"`) {
				t.Fatalf("notes:add: %d %s", status, body)
			}
			// notes:count is internal: refused without the key.
			if status, body := callAPI(t, url, "/api/query", "", `{"path":"notes:count","args":[{}]}`); status != 560 || !strings.Contains(body, "Could not find public function") {
				t.Fatalf("internal without key: %d %s", status, body)
			}
			status, body = callAPI(t, url, "/api/query", "Convex "+key, `{"path":"notes:count","args":[{}]}`)
			if status != 200 || !strings.Contains(body, `"value":{"$integer":"AQAAAAAAAAA="}`) {
				t.Fatalf("internal with key: %d %s", status, body)
			}
			if err := stop(); err != nil {
				t.Fatalf("serve after interrupt: %v", err)
			}
			logs := stderr.String()
			if !strings.Contains(logs, "route=\"POST /api/query\"") || !strings.Contains(logs, "status=560") {
				t.Errorf("access log lacks the requests:\n%s", logs)
			}
			if strings.Contains(logs, key) {
				t.Errorf("access log contains the admin key:\n%s", logs)
			}
		})
	}
}

// TestServeAdminKeyStored: the first serve of a database prints a key and
// stores only its hash; the next serve prints none and accepts the same
// key; --new-admin-key replaces it, and the old key is refused.
func TestServeAdminKeyStored(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "serve.db")
	count := `{"path":"notes:count","args":[{}]}`
	_, key, _, stop := startServe(t, db, "")
	if key == "" {
		t.Fatal("first serve printed no key")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "serve.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(key)) {
		t.Fatal("the database file holds the admin key itself")
	}
	url, again, _, stop := startServe(t, db, "")
	if again != "" {
		t.Fatalf("second serve printed a key %q", again)
	}
	if status, body := callAPI(t, url, "/api/query", "Convex "+key, count); status != 200 {
		t.Fatalf("stored key refused: %d %s", status, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	url, fresh, _, stop := startServe(t, db, "", "--new-admin-key")
	defer stop()
	if fresh == "" || fresh == key {
		t.Fatalf("--new-admin-key printed %q", fresh)
	}
	if status, _ := callAPI(t, url, "/api/query", "Convex "+key, count); status != 401 {
		t.Fatalf("old key after --new-admin-key: %d", status)
	}
	if status, _ := callAPI(t, url, "/api/query", "Convex "+fresh, count); status != 200 {
		t.Fatalf("new key: %d", status)
	}
}

// TestServeSIGTERM: serve in its own process stops cleanly (exit 0) on
// SIGTERM, as on Ctrl-C.
func TestServeSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db := "sqlite:" + filepath.Join(t.TempDir(), "term.db")
	args, _ := json.Marshal([]string{"--db", db, "serve", "--addr", addr})
	p := startProc(t, "cli", "started", "STRATA_PROC_ARGS="+string(args), "STRATA_ADMIN_KEY=k")
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen on %s: %s", addr, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, p.stderr.String())
	}
}

// TestServeContinuesResumedMigration: a migration paused after one batch
// and resumed through the admin API is continued by the serving process
// to its end (250 documents processed, none twice): a declarative one, and
// a Go migration of the application binary (cli.Config.Migrations); with
// --migrations=false it stays where it was. The three cases serve at once
// (each its own database), so that the serving loops' one-second polls and
// the wait of the case that must see nothing overlap; the test cannot run
// in parallel with others (startServeConfig sets STRATA_ADMIN_KEY).
func TestServeContinuesResumedMigration(t *testing.T) {
	touch := migrate.Migration{Name: "touch", Table: "users", BatchSize: 50, MaxBatchSize: 50,
		MigrateOne: func(d strata.Doc) (strata.Patch, error) { return strata.Patch{"touched": true}, nil }}
	type resumeCase struct {
		name, migration string
		run             bool
		done            migrate.State
		url             string
		stop            func() error
		st              migrate.Status // the last status read
		settled         bool           // st is final (or, if !run, the wait is over)
	}
	cases := []*resumeCase{
		{name: "declarative", migration: "ren", run: true, done: migrate.Ready},
		{name: "go", migration: "touch", run: true, done: migrate.Completed},
		{name: "off", migration: "ren", run: false},
	}
	for _, c := range cases {
		e := newEnv(t)
		e.ok("schema", "set", e.file("v1.json", `{"tables":{"users":{"fields":{"userName":"string","touched":{"optional":"boolean"}},"indexes":{}}}}`))
		e.ok("import", "users", e.file("u.jsonl", strings.Repeat(`{"userName":"ada"}`+"\n", 250)))
		e.withDB(func(db *strata.DB) {
			ctx, stop := stopAfter(1)
			m := migrate.New(db, migrate.Options{Rewrite: true, BatchSize: 50, MaxBatchSize: 50, OnProgress: stop})
			var st migrate.Status
			var err error
			if c.migration == "touch" {
				m.Define(touch)
				st, err = m.Run(ctx, "touch")
			} else {
				f, perr := op.ParseFile([]byte(`{"name":"ren","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`))
				if perr != nil {
					t.Fatal(perr)
				}
				st, err = m.Start(ctx, f)
			}
			if err == nil || st.State != migrate.Paused || st.Processed != 50 {
				t.Fatalf("%s: interrupted: %+v %v", c.name, st, err)
			}
		})
		cfg := cli.Config{Functions: fnApp(), Migrations: []migrate.Migration{touch}}
		c.url, _, _, c.stop = startServeConfig(t, cfg, e.db, "k3y", "--migrations="+strconv.FormatBool(c.run))
	}
	for _, c := range cases {
		if code, body := callAPI(t, c.url, "/api/admin/migrations/"+c.migration+"/resume", "Convex k3y", ""); code != 200 {
			t.Fatalf("%s: resume: %d %s", c.name, code, body)
		}
	}
	resumed := time.Now()
	for deadline := resumed.Add(20 * time.Second); ; {
		settled := true
		for _, c := range cases {
			if c.settled {
				continue
			}
			req, _ := http.NewRequest(http.MethodGet, c.url+"/api/admin/migrations/"+c.migration, nil)
			req.Header.Set("Authorization", "Convex k3y")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Migration migrate.Status `json:"migration"`
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			c.st = st.Migration
			// Without a serving loop, 3 s is ample for one to have
			// taken it (it looks every second).
			c.settled = c.run && c.st.State == c.done || !c.run && time.Since(resumed) > 3*time.Second
			settled = settled && c.settled
		}
		if settled || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range cases {
		if err := c.stop(); err != nil {
			t.Fatalf("%s: serve: %v", c.name, err)
		}
		if c.run && (c.st.State != c.done || c.st.Processed != 250) {
			t.Errorf("%s: after resume: %+v, want %s with 250 processed", c.name, c.st, c.done)
		}
		if !c.run && (c.st.State != migrate.Running || c.st.Processed != 50) {
			t.Errorf("%s: --migrations=false: after resume: %+v, want running with 50 processed", c.name, c.st)
		}
	}
}
