package server_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/strata-db/strata/server"
)

// TestAdminRoutesRefuseWithoutKey walks every admin route: without the
// admin key, with a Bearer token, and with a wrong key, each answers 401
// and does nothing.
func TestAdminRoutesRefuseWithoutKey(t *testing.T) {
	url, _ := startServer(t, server.Config{AdminKey: testAdminKey})
	param := regexp.MustCompile(`\{[a-z]+\}`)
	routes := server.AdminRoutes()
	if len(routes) < 14 {
		t.Fatalf("only %d admin routes", len(routes))
	}
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		path = param.ReplaceAllString(path, "x")
		for _, auth := range []string{"", "Bearer " + testAdminKey, "Convex wrong-key", "Convex " + testAdminKey + "x"} {
			status, body := do(t, method, url+path, auth, `{"a":1}`)
			if status != 401 {
				t.Errorf("%s %s with %q: status %d, want 401: %s", method, path, auth, status, body)
			}
		}
		// With the key the route is reached (any answer but 401).
		if status, body := do(t, method, url+path, "Convex "+testAdminKey, `{"a":1}`); status == 401 {
			t.Errorf("%s %s with the key: 401 %s", method, path, body)
		}
	}
	// Nothing was written by the refused requests.
	_, body := do(t, "GET", url+"/api/admin/tables/x/documents", "Convex "+testAdminKey, "")
	if !strings.Contains(body, `"page":[{`) || strings.Count(body, `"_id"`) != 1 {
		t.Fatalf("table x after the walk (one insert with the key): %s", body)
	}
}

// TestAdminAPI drives the admin routes with the key: documents (insert,
// get, paginate, patch, delete), tables, schema, functions, migrations,
// scheduled functions (list, cancel), check.
func TestAdminAPI(t *testing.T) {
	url, _ := startServer(t, server.Config{AdminKey: testAdminKey})
	key := "Convex " + testAdminKey
	call := func(method, path, body string, wantStatus int) map[string]any {
		t.Helper()
		status, got := do(t, method, url+path, key, body)
		if status != wantStatus {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, status, wantStatus, got)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, got)
		}
		return m
	}
	var ids []string
	for _, body := range []string{`{"n":{"$integer":"1"}}`, `{"n":{"$integer":"AgAAAAAAAAA="}}`} {
		ids = append(ids, call("POST", "/api/admin/tables/things/documents", body, 200)["id"].(string))
	}
	doc := call("GET", "/api/admin/documents/"+ids[1], "", 200)["document"].(map[string]any)
	if n := doc["n"].(map[string]any)["$integer"]; n != "AgAAAAAAAAA=" {
		t.Fatalf("document n = %v", n)
	}
	page := call("GET", "/api/admin/tables/things/documents?limit=1", "", 200)
	if page["isDone"] != false || len(page["page"].([]any)) != 1 {
		t.Fatalf("first page: %v", page)
	}
	next := call("GET", "/api/admin/tables/things/documents?limit=1&cursor="+page["continueCursor"].(string), "", 200)
	if got := next["page"].([]any)[0].(map[string]any)["_id"]; got != ids[1] {
		t.Fatalf("second page holds %v, want %s", got, ids[1])
	}
	call("GET", "/api/admin/tables/things/documents?limit=0", "", 400)
	call("PATCH", "/api/admin/documents/"+ids[0], `{"tag":"x"}`, 200)
	if tag := call("GET", "/api/admin/documents/"+ids[0], "", 200)["document"].(map[string]any)["tag"]; tag != "x" {
		t.Fatalf("tag after patch: %v", tag)
	}
	call("DELETE", "/api/admin/documents/"+ids[0], "", 200)
	call("GET", "/api/admin/documents/"+ids[0], "", 404)
	call("DELETE", "/api/admin/documents/"+ids[0], "", 404)
	call("POST", "/api/admin/tables/things/documents", `[1]`, 400)

	tables := call("GET", "/api/admin/tables", "", 200)["tables"].([]any)
	found := false
	for _, ti := range tables {
		m := ti.(map[string]any)
		if m["name"] == "things" {
			found = m["count"] == float64(1)
		}
	}
	if !found {
		t.Fatalf("tables: %v", tables)
	}
	if s := call("GET", "/api/admin/schema", "", 200); s["schema"] != nil {
		t.Fatalf("schema of a schemaless database: %v", s)
	}
	fns := call("GET", "/api/admin/functions", "", 200)["functions"].([]any)
	if len(fns) < 5 || !strings.Contains(jsonText(t, fns), `{"internal":true,"kind":"query","name":"admin:secret"}`) {
		t.Fatalf("functions: %v", fns)
	}
	if ms := call("GET", "/api/admin/migrations", "", 200)["migrations"].([]any); len(ms) != 0 {
		t.Fatalf("migrations: %v", ms)
	}
	call("GET", "/api/admin/migrations/nope", "", 404)
	call("POST", "/api/admin/migrations/nope/explode", "", 404)
	call("POST", "/api/admin/migrations/nope/pause", "", 409)

	status, body := post(t, url+"/api/mutation", "", `{"path":"jobs:later","args":[{}]}`)
	if status != 200 {
		t.Fatalf("jobs:later: %d %s", status, body)
	}
	jobs := call("GET", "/api/admin/scheduled?state=pending", "", 200)["jobs"].([]any)
	if len(jobs) != 1 {
		t.Fatalf("pending jobs: %v", jobs)
	}
	job := jobs[0].(map[string]any)["_id"].(string)
	call("POST", "/api/admin/scheduled/"+job+"/cancel", "", 200)
	if jobs := call("GET", "/api/admin/scheduled?state=pending", "", 200)["jobs"].([]any); len(jobs) != 0 {
		t.Fatalf("pending jobs after cancel: %v", jobs)
	}
	call("POST", "/api/admin/scheduled/"+ids[1]+"/cancel", "", 404)
	if rep := call("POST", "/api/admin/check", "", 200); rep["problems"] == nil && rep["tables"] == nil {
		t.Fatalf("check: %v", rep)
	}
}

func jsonText(t testing.TB, x any) string {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
