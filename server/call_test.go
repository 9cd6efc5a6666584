package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/server"
)

// TestFunctionAPI calls the function API over HTTP as ConvexHttpClient
// does and checks status and body of every kind of answer.
func TestFunctionAPI(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			url, _ := tr.start(t, server.Config{AdminKey: testAdminKey, MaxBodyBytes: 1 << 10})
			testFunctionAPI(t, url)
		})
	}
}

func testFunctionAPI(t *testing.T, url string) {
	body := func(path, args string) string {
		return `{"path":"` + path + `","format":"convex_encoded_json","args":[` + args + `]}`
	}
	tests := []struct {
		name, route, auth, body string
		status                  int
		want                    string // the whole body when it starts with {, else a substring
	}{
		{"query", "/api/query", "", body("messages:count", `{}`), 200, `{"status":"success","value":{"$integer":"AAAAAAAAAAA="},"logLines":[]}`},
		{"bearer ignored", "/api/query", "Bearer some.jwt", body("messages:count", `{}`), 200, `{"status":"success","value":{"$integer":"AAAAAAAAAAA="},"logLines":[]}`},
		{"int64 bytes NaN echo", "/api/query", "", body("values:echo", `{"x":[{"$integer":"//////////8="},{"$bytes":"AQID"},{"$float":"IwEAAAAA+P8="},1.5]}`), 200,
			`{"status":"success","value":[{"$integer":"//////////8="},{"$bytes":"AQID"},{"$float":"IwEAAAAA+P8="},1.5],"logLines":[]}`},
		{"args as a bare object", "/api/query", "", `{"path":"values:echo","args":{"x":"hi"}}`, 200, `{"status":"success","value":"hi","logLines":[]}`},
		{"module default", "/api/query", "", body("chat/rooms.js", `{}`), 200, `{"status":"success","value":"default export","logLines":[]}`},
		{"invalid args", "/api/mutation", "", body("messages:send", `{"author":"ann"}`), 560, `"errorMessage":"ArgumentValidationError: `},
		{"thrown with data", "/api/mutation", "", body("errors:throw", `{}`), 560, `{"status":"error","errorMessage":"boom","errorData":{"code":{"$integer":"KgAAAAAAAAA="}},"logLines":[]}`},
		{"thrown", "/api/query", "", body("errors:plain", `{}`), 560, `{"status":"error","errorMessage":"plain failure","logLines":[]}`},
		{"unknown", "/api/query", "", body("messages:nope", `{}`), 560, `Could not find public function for 'messages:nope'.`},
		{"internal without key", "/api/query", "", body("admin:secret", `{}`), 560, `Could not find public function for 'admin:secret'.`},
		{"internal bearer", "/api/query", "Bearer " + testAdminKey, body("admin:secret", `{}`), 560, `Could not find public function`},
		{"internal with key", "/api/query", "Convex " + testAdminKey, body("admin:secret", `{}`), 200, `{"status":"success","value":"secret","logLines":[]}`},
		{"key with identity", "/api/query", "Convex " + testAdminKey + ":eyJzdWIiOiJ4In0=", body("admin:secret", `{}`), 200, `"value":"secret"`},
		{"wrong key", "/api/query", "Convex wrong", body("messages:count", `{}`), 401, "admin key is wrong"},
		{"unknown scheme", "/api/query", "Basic eDp5", body("messages:count", `{}`), 401, "Authorization"},
		{"mutation as query", "/api/query", "", body("messages:send", `{"author":"a","body":"b"}`), 560, `Trying to execute messages:send as Query, but it is defined as Mutation.`},
		{"action", "/api/action", "", body("messages:send", `{}`), 560, `strata has no actions`},
		{"query_at_ts", "/api/query_at_ts", "", body("messages:count", `{}`), 501, `past timestamp`},
		{"malformed JSON", "/api/query", "", `{"path":`, 400, "JSON object"},
		{"strata's int64 form", "/api/query", "", body("values:echo", `{"x":{"$integer":"5"}}`), 400, `invalid $integer`},
		{"other format", "/api/query", "", `{"path":"values:echo","format":"json","args":[{}]}`, 400, "unsupported format"},
		{"two args", "/api/query", "", `{"path":"values:echo","args":[{},{}]}`, 400, "one arguments object"},
		{"no path", "/api/query", "", `{"args":[{}]}`, 400, "missing"},
		{"not an object", "/api/query", "", `["values:echo"]`, 400, "JSON object"},
		{"path not a string", "/api/query", "", `{"path":5,"args":[{}]}`, 400, `"path" must be a string`},
		{"bad value in args", "/api/query", "", body("values:echo", `{"x":{"$bytes":"!"}}`), 400, `args[0].x`},
		{"unknown fields ignored", "/api/query", "", `{"path":"values:echo","debug":true,"args":[{"x":"hi"}]}`, 200, `"value":"hi"`},
		{"too large", "/api/query", "", body("values:echo", `{"x":"`+strings.Repeat("a", 2000)+`"}`), 413, "larger than 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := post(t, url+tt.route, tt.auth, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body %s", status, tt.status, got)
			}
			if strings.HasPrefix(tt.want, "{") {
				if strings.TrimSpace(got) != tt.want {
					t.Fatalf("body\n%s\nwant\n%s", got, tt.want)
				}
			} else if !strings.Contains(got, tt.want) {
				t.Fatalf("body %s does not contain %q", got, tt.want)
			}
		})
	}
}

// TestFunctionAPIWrites: a mutation's writes are visible to the next
// query; a failed mutation's are rolled back.
func TestFunctionAPIWrites(t *testing.T) {
	url, _ := startServer(t, server.Config{})
	status, got := post(t, url+"/api/mutation", "", `{"path":"messages:send","args":[{"author":"ann","body":"hi"}]}`)
	if status != 200 || !strings.Contains(got, `"status":"success","value":"`) {
		t.Fatalf("send: %d %s", status, got)
	}
	id := strings.Split(got, `"`)[7]
	if status, _ := post(t, url+"/api/mutation", "", `{"path":"errors:throw","args":[{}]}`); status != 560 {
		t.Fatalf("throw: status %d", status)
	}
	_, got = post(t, url+"/api/query", "", `{"path":"messages:count","args":[{}]}`)
	if !strings.Contains(got, `"value":{"$integer":"AQAAAAAAAAA="}`) {
		t.Fatalf("count after a committed and a failed mutation: %s", got)
	}
	_, got = post(t, url+"/api/query", "", `{"path":"messages:get","args":[{"id":"`+id+`"}]}`)
	if !strings.Contains(got, `"author":"ann"`) || !strings.Contains(got, `"body":"hi"`) {
		t.Fatalf("get %s: %s", id, got)
	}
}

// TestMethodNotAllowed: the function routes take POST only.
func TestMethodNotAllowed(t *testing.T) {
	url, _ := startServer(t, server.Config{})
	resp, err := http.Get(url + "/api/query")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /api/query: %d", resp.StatusCode)
	}
}

// TestCORS: an allowed origin gets the headers on its calls and its
// preflight is answered; another origin gets none. Both transports.
func TestCORS(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			url, _ := tr.start(t, server.Config{CORSOrigins: []string{"https://app.example"}})
			tests := []struct {
				origin, want string
			}{
				{"https://app.example", "https://app.example"},
				{"https://evil.example", ""},
			}
			for _, tt := range tests {
				req, _ := http.NewRequest(http.MethodOptions, url+"/api/query", nil)
				req.Header.Set("Origin", tt.origin)
				req.Header.Set("Access-Control-Request-Method", "POST")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.want {
					t.Errorf("preflight from %s: Allow-Origin %q, want %q", tt.origin, got, tt.want)
				}
				if tt.want != "" && (resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")) {
					t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
				}
				req, _ = http.NewRequest(http.MethodPost, url+"/api/query", strings.NewReader(`{"path":"messages:count","args":[{}]}`))
				req.Header.Set("Origin", tt.origin)
				resp, err = http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.Header.Get("Access-Control-Allow-Origin"); resp.StatusCode != 200 || got != tt.want {
					t.Errorf("call from %s: %d, Allow-Origin %q, want %q", tt.origin, resp.StatusCode, got, tt.want)
				}
				if vary := resp.Header.Get("Vary"); tt.want != "" && vary != "Origin" {
					t.Errorf("call from %s: Vary %q, want Origin", tt.origin, vary)
				}
			}
		})
	}
}

// transports are the two ways a Server answers: Serve, and ServeHTTP
// under net/http's server.
var transports = []struct {
	name  string
	start func(testing.TB, server.Config) (string, *strata.DB)
}{{"Serve", startServer}, {"ServeHTTP", startHandler}}

// TestLargeHeader: a request header block larger than Serve reads is
// refused with 431 and the server goes on answering.
func TestLargeHeader(t *testing.T) {
	url, _ := startServer(t, server.Config{})
	req, _ := http.NewRequest(http.MethodPost, url+"/api/query", strings.NewReader(`{"path":"messages:count","args":[{}]}`))
	req.Header.Set("X-Big", strings.Repeat("x", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(string(b), "request header larger than") {
		t.Fatalf("64 KB header: %d %s", resp.StatusCode, b)
	}
	if status, body := post(t, url+"/api/query", "", `{"path":"messages:count","args":[{}]}`); status != 200 {
		t.Fatalf("after the refusal: %d %s", status, body)
	}
}

// TestGracefulShutdown: a call in flight when the server is told to stop
// still gets its answer; Serve then returns nil.
func TestGracefulShutdown(t *testing.T) {
	db, err := strata.Open(context.Background(), "sqlite:"+t.TempDir()+"/g.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	app := functions.NewApp()
	app.Query("slow:q", functions.Def{Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
		close(entered)
		<-release
		return "done", nil
	}})
	s, err := server.New(server.Config{DB: db, Functions: app})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, served := serve(t, s, time.Minute)
	type answer struct {
		status int
		body   string
	}
	answered := make(chan answer, 1)
	go func() {
		st, b := post(t, "http://"+addr+"/api/query", "", `{"path":"slow:q","args":[{}]}`)
		answered <- answer{st, b}
	}()
	<-entered
	stop()
	time.Sleep(50 * time.Millisecond) // let Shutdown close the listener
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the listener still accepts connections after shutdown began")
	}
	close(release)
	a := <-answered
	if a.status != 200 || !strings.Contains(a.body, `"value":"done"`) {
		t.Fatalf("in-flight call: %d %s", a.status, a.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestTimeout: a call still running at Config.Timeout fails with 560 and
// says so; its context ended.
func TestTimeout(t *testing.T) {
	app := functions.NewApp()
	app.Query("slow:wait", functions.Def{Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
		<-ctx.Context().Done()
		return nil, ctx.Context().Err()
	}})
	url, _ := startServer(t, server.Config{Functions: app, Timeout: 50 * time.Millisecond})
	status, body := post(t, url+"/api/query", "", `{"path":"slow:wait","args":[{}]}`)
	if status != 560 || !strings.Contains(body, "did not finish within the server's 50ms timeout") {
		t.Fatalf("slow call: %d %s", status, body)
	}
}

// TestShutdownEndsEventStreams: a dashboard event stream open when Serve
// is told to stop ends at once, so that shutdown completes within its
// drain (the stream would otherwise last until the request's timeout) and
// Serve returns nil.
func TestShutdownEndsEventStreams(t *testing.T) {
	t.Parallel()
	db, err := strata.Open(context.Background(), "sqlite:"+t.TempDir()+"/events.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := server.New(server.Config{DB: db, AdminKey: testAdminKey})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, served := serve(t, s, 2*time.Second)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/admin/dashboard/events?interval=100", nil)
	req.Header.Set("Authorization", "Convex "+testAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 256)
	if n, err := resp.Body.Read(first); err != nil || !strings.Contains(string(first[:n]), "retry") {
		t.Fatalf("stream start: %q %v", first[:n], err)
	}
	stop()
	if err := <-served; err != nil {
		t.Fatalf("Serve with an event stream open: %v", err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
}

// TestServeStoppedAtOnce: Serve told to stop before it has begun to
// accept still returns, with nil, and closes its listener.
func TestServeStoppedAtOnce(t *testing.T) {
	t.Parallel()
	db, err := strata.Open(context.Background(), "sqlite:"+t.TempDir()+"/stop.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := server.New(server.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		stop() // done before Serve starts
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, ln, time.Second) }()
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Serve told to stop at once never returned")
		}
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			t.Fatal("the listener still accepts after Serve returned")
		}
	}
}
