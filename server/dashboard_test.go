package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/server"
	"github.com/strata-db/strata/v"
)

// TestDashboardRoutesRefuseWithoutKey walks the dashboard's admin routes:
// without the admin key, with a Bearer token and with a wrong key each
// answers 401; with the key each is reached.
func TestDashboardRoutesRefuseWithoutKey(t *testing.T) {
	t.Parallel()
	url, _ := startServer(t, server.Config{AdminKey: testAdminKey})
	param := regexp.MustCompile(`\{[a-z]+\}`)
	for _, route := range server.DashboardRoutes() {
		method, path, _ := strings.Cut(route, " ")
		path = param.ReplaceAllString(path, "x")
		if strings.HasSuffix(path, "/events") {
			path += "?interval=100000" // refused before streaming
		}
		for _, auth := range []string{"", "Bearer " + testAdminKey, "Convex wrong-key"} {
			if status, body := do(t, method, url+path, auth, `{"a":1}`); status != 401 {
				t.Errorf("%s %s with %q: %d, want 401: %s", method, path, auth, status, body)
			}
		}
		if status, body := do(t, method, url+path, "Convex "+testAdminKey, `{"a":1}`); status == 401 {
			t.Errorf("%s %s with the key: 401 %s", method, path, body)
		}
	}
}

// TestDashboardAssets: the pages are served without a key, from the
// binary, with a content security policy that allows no inline script.
func TestDashboardAssets(t *testing.T) {
	t.Parallel()
	url, _ := startServer(t, server.Config{AdminKey: testAdminKey})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/dashboard/" {
		t.Fatalf("GET /dashboard: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range []struct{ path, contains, ctype string }{
		{"/dashboard/", `<script src="app.js"`, "text/html"},
		{"/dashboard/app.js", "streamEvents", "text/javascript"},
		{"/dashboard/app.css", ".migration", "text/css"},
	} {
		resp, err := http.Get(url + c.path)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, err = bufio.NewReader(resp.Body).WriteTo(&b)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !strings.Contains(b.String(), c.contains) || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %q (%v), want %s holding %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), err, c.ctype, c.contains)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
		}
	}
	if status, _ := do(t, "GET", url+"/dashboard/nope.js", "", ""); status != 404 {
		t.Errorf("GET /dashboard/nope.js: %d, want 404", status)
	}
}

// usersServer serves a database with a users table of n documents
// ({name, age, settings: {theme}}) under a schema.
func usersServer(t *testing.T, n int) (string, *strata.DB) {
	t.Helper()
	url, db := startServer(t, server.Config{AdminKey: testAdminKey})
	ctx := context.Background()
	s, err := strata.NewSchema(strata.Table("users", v.Object{
		"name": v.String(), "age": v.Number(), "settings": v.Optional(v.Object{"theme": v.String()}),
	}).Index("by_age", "age"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		for i := range n {
			if _, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("u%d", i), "age": float64(i % 50)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return url, db
}

// TestDashboardReplaceShowsPath: a replacement the schema refuses answers
// 400 with the path of the offending value; nothing is written.
func TestDashboardReplaceShowsPath(t *testing.T) {
	t.Parallel()
	url, db := usersServer(t, 1)
	var id strata.ID
	err := db.Query(context.Background(), func(tx *strata.Tx) error {
		d, err := tx.Table("users").First()
		id = d.ID()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	key := "Convex " + testAdminKey
	for _, c := range []struct {
		body   string
		status int
		path   string
	}{
		{`{"name": "a", "age": "thirty"}`, 400, "age"},
		{`{"name": "a", "age": 3, "settings": {"theme": 1}}`, 400, "settings.theme"},
		{`{"age": 3}`, 400, "name"},
		{`{"name": "a", "age": 3, "extra": true}`, 400, "extra"},
		{`[1]`, 400, "-"},
		{`{"name": "b", "age": {"$integer": "7"}, "_id": "ignored"}`, 400, "age"},
		{`{"name": "b", "age": 7, "settings": {"theme": "dark"}}`, 200, "-"},
	} {
		status, body := do(t, "PUT", url+"/api/admin/dashboard/documents/"+string(id), key, c.body)
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("PUT %s: not JSON: %s", c.body, body)
		}
		path, hasPath := m["path"].(string)
		if status != c.status || (c.path == "-") == hasPath || (hasPath && path != c.path) {
			t.Errorf("PUT %s: %d %s, want %d with path %q", c.body, status, body, c.status, c.path)
		}
	}
	_, body := do(t, "GET", url+"/api/admin/documents/"+string(id), key, "")
	if !strings.Contains(body, `"name":"b"`) || !strings.Contains(body, `"theme":"dark"`) || !strings.Contains(body, `"_creationTime"`) {
		t.Fatalf("after the replacements: %s", body)
	}
	if status, _ := do(t, "PUT", url+"/api/admin/dashboard/documents/"+string(id[:len(id)-1])+"x", key, `{"name": "c", "age": 1}`); status != 400 && status != 404 {
		t.Fatalf("PUT of an unknown id: %d", status)
	}
}

// TestDashboardHealth: the health summary counts tables and migrations.
func TestDashboardHealth(t *testing.T) {
	t.Parallel()
	url, _ := usersServer(t, 25)
	status, body := do(t, "GET", url+"/api/admin/dashboard/health", "Convex "+testAdminKey, "")
	var h struct {
		Tables       int            `json:"tables"`
		SchemaTables int            `json:"schemaTables"`
		Migrations   map[string]int `json:"migrations"`
		Scheduled    struct {
			Pending int `json:"pending"`
		} `json:"scheduled"`
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(body), &h); status != 200 || err != nil || h.Tables < 1 || h.SchemaTables != 1 || len(h.Problems) != 0 || h.Migrations == nil {
		t.Fatalf("health: %d %s", status, body)
	}
}

// event is one Server-Sent Event.
type event struct{ name, data string }

// readEvents reads the event stream at url until stop returns true for
// an event or the timeout passes.
func readEvents(t *testing.T, url string, timeout time.Duration, stop func(event) bool) []event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Convex "+testAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var (
		out []event
		cur event
		sc  = bufio.NewScanner(resp.Body)
	)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data != "" {
				out = append(out, cur)
				if stop(cur) {
					return out
				}
			}
			cur = event{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		}
	}
	t.Fatalf("the event stream ended after %d events without the awaited one (%v)", len(out), sc.Err())
	return nil
}

// TestDashboardMigrationEvents starts a throttled migration in the
// background and follows it on the event stream: its fraction rises
// through intermediate values, with a rate and an ETA, to 1 when it is
// ready.
func TestDashboardMigrationEvents(t *testing.T) {
	t.Parallel()
	url, _ := usersServer(t, 400)
	key := "Convex " + testAdminKey
	for _, c := range []struct {
		query, body string
		status      int
	}{
		{"", `{"name": "x"}`, 400},
		{"?batchSize=0", `{}`, 400},
		{"?rateLimit=-1", `{}`, 400},
		{"", `{"name": "m0", "operations": [{"add_field": {"table": "nope", "field": "f", "type": "string", "default": ""}}]}`, 409},
	} {
		if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations"+c.query, key, c.body); status != c.status {
			t.Errorf("start %s %s: %d %s, want %d", c.query, c.body, status, body, c.status)
		}
	}
	if status, _ := do(t, "GET", url+"/api/admin/dashboard/events?interval=5", key, ""); status != 400 {
		t.Errorf("events?interval=5: %d, want 400", status)
	}
	file := `{"name": "m1", "operations": [{"add_field": {"table": "users", "field": "plan", "type": "string", "default": "free"}}]}`
	status, body := do(t, "POST", url+"/api/admin/dashboard/migrations?rewrite=1&batchSize=10&maxBatchSize=10&rateLimit=400", key, file)
	// 202 as soon as it runs, with its status; on a loaded machine the
	// answer's grace may pass before the migration has recorded a state.
	if status != 202 || !strings.Contains(body, `"background":"start"`) ||
		strings.Contains(body, `"state"`) && !strings.Contains(body, `"state":"running"`) {
		t.Fatalf("start m1: %d %s", status, body)
	}
	type mig struct {
		Name       string  `json:"name"`
		State      string  `json:"state"`
		Fraction   float64 `json:"fraction"`
		Rate       float64 `json:"rate"`
		ETASeconds float64 `json:"etaSeconds"`
		Total      int64   `json:"total"`
	}
	var (
		intermediate, withRate int
		last                   mig
	)
	readEvents(t, url+"/api/admin/dashboard/events?interval=100", 20*time.Second, func(ev event) bool {
		if ev.name != "migrations" {
			t.Fatalf("event %s: %s", ev.name, ev.data)
		}
		var data struct {
			Migrations []mig `json:"migrations"`
		}
		if err := json.Unmarshal([]byte(ev.data), &data); err != nil {
			t.Fatalf("event data: %v: %s", err, ev.data)
		}
		for _, m := range data.Migrations {
			if m.Name != "m1" {
				continue
			}
			if m.Fraction < last.Fraction {
				t.Fatalf("progress went back: %+v after %+v", m, last)
			}
			last = m
			if m.Fraction > 0 && m.Fraction < 1 {
				intermediate++
				if m.Rate > 0 && m.ETASeconds > 0 {
					withRate++
				}
			}
		}
		return last.State == "ready"
	})
	if last.Fraction != 1 || last.Total != 400 || intermediate < 2 || withRate < 1 {
		t.Fatalf("last %+v after %d intermediate events (%d with a rate and an ETA)", last, intermediate, withRate)
	}
	// Starting it again says it is ready, at once.
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations", key, file); status != 200 || !strings.Contains(body, `"state":"ready"`) {
		t.Fatalf("start m1 again: %d %s", status, body)
	}
	// Steps refused at once are answered with their error.
	for _, path := range []string{"nope/complete", "nope/rollback", "nope/pause", "m1/explode", "m1/resume"} {
		if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations/"+path, key, ""); status != 409 && status != 404 {
			t.Errorf("POST %s: %d %s, want 409 or 404", path, status, body)
		}
	}
	// Complete, throttled, runs in the background: 202, then a second
	// complete is refused while it runs, and the stream shows the
	// contract pass to its end.
	status, body = do(t, "POST", url+"/api/admin/dashboard/migrations/m1/complete?batchSize=10&maxBatchSize=10&rateLimit=200", key, "")
	if status != 202 || !strings.Contains(body, `"background":"complete"`) {
		t.Fatalf("complete m1: %d %s", status, body)
	}
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations/m1/complete", key, ""); status != 409 || !strings.Contains(body, "background") {
		t.Fatalf("complete m1 while it completes: %d %s", status, body)
	}
	sawCompleting := false
	readEvents(t, url+"/api/admin/dashboard/events?interval=100", 20*time.Second, func(ev event) bool {
		sawCompleting = sawCompleting || strings.Contains(ev.data, `"state":"completing"`) && strings.Contains(ev.data, `"background":"complete"`)
		if strings.Contains(ev.data, `"backgroundError"`) {
			t.Fatalf("complete failed: %s", ev.data)
		}
		return strings.Contains(ev.data, `"state":"completed"`) && !strings.Contains(ev.data, `"background"`)
	})
	if !sawCompleting {
		t.Fatal("the stream never showed the migration completing in the background")
	}
}

// TestDashboardStartConflict: a start that conflicts with a migration in
// progress is refused with the reason (409), not accepted and lost.
func TestDashboardStartConflict(t *testing.T) {
	t.Parallel()
	url, _ := usersServer(t, 3)
	key := "Convex " + testAdminKey
	file := `{"name": "m2", "operations": [{"rename_field": {"table": "users", "from": "name", "to": "fullName"}}]}`
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations", key, file); status != 200 && status != 202 {
		t.Fatalf("start m2: %d %s", status, body)
	}
	readEvents(t, url+"/api/admin/dashboard/events?interval=100", 10*time.Second, func(ev event) bool {
		return strings.Contains(ev.data, `"name":"m2"`) && strings.Contains(ev.data, `"state":"ready"`)
	})
	clash := `{"name": "m3", "operations": [{"rename_field": {"table": "users", "from": "name", "to": "other"}}]}`
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations", key, clash); status != 409 || !strings.Contains(body, "m2") {
		t.Fatalf("start m3 (conflicting with m2): %d %s", status, body)
	}
}

// TestDashboardPauseResume pauses a backfill the dashboard started (no
// error is shown for it: the operator asked) and resumes it: the server
// continues it to ready, where `resume` of the admin API would only mark
// it running for another process.
func TestDashboardPauseResume(t *testing.T) {
	t.Parallel()
	url, _ := usersServer(t, 400)
	key := "Convex " + testAdminKey
	file := `{"name": "m4", "operations": [{"add_field": {"table": "users", "field": "plan", "type": "string", "default": "free"}}]}`
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations?rewrite=1&batchSize=10&maxBatchSize=10&rateLimit=200", key, file); status != 202 {
		t.Fatalf("start m4: %d %s", status, body)
	}
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations/m4/resume", key, ""); status != 409 {
		t.Fatalf("resume m4 while it runs: %d %s, want 409", status, body)
	}
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations/m4/pause", key, ""); status != 200 || !strings.Contains(body, `"state":"paused"`) {
		t.Fatalf("pause m4: %d %s", status, body)
	}
	// The start's goroutine ends without an error; then resume.
	readEvents(t, url+"/api/admin/dashboard/events?interval=100", 10*time.Second, func(ev event) bool {
		if strings.Contains(ev.data, "backgroundError") {
			t.Fatalf("pausing showed an error: %s", ev.data)
		}
		return strings.Contains(ev.data, `"state":"paused"`) && !strings.Contains(ev.data, `"background"`)
	})
	var processed int64
	if status, body := do(t, "POST", url+"/api/admin/dashboard/migrations/m4/resume?rateLimit=400", key, ""); status != 202 && status != 200 {
		t.Fatalf("resume m4: %d %s", status, body)
	}
	readEvents(t, url+"/api/admin/dashboard/events?interval=100", 20*time.Second, func(ev event) bool {
		if strings.Contains(ev.data, "backgroundError") {
			t.Fatalf("resume failed: %s", ev.data)
		}
		var data struct {
			Migrations []struct {
				State     string `json:"state"`
				Processed int64  `json:"processed"`
			} `json:"migrations"`
		}
		if err := json.Unmarshal([]byte(ev.data), &data); err != nil || len(data.Migrations) != 1 {
			t.Fatalf("event: %v %s", err, ev.data)
		}
		processed = data.Migrations[0].Processed
		return data.Migrations[0].State == "ready"
	})
	if processed != 400 {
		t.Fatalf("ready after %d documents processed, want 400", processed)
	}
}
