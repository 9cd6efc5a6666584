package server_test

import (
	neturl "net/url"
	"strings"
	"testing"

	"github.com/strata-db/strata/server"
)

// TestAdminSchemaAndMigrations: diff, a dry-run push that writes nothing,
// a push, a plan, and a migration file started, paused, resumed and
// completed, all through the admin API.
func TestAdminSchemaAndMigrations(t *testing.T) {
	url, _ := startServer(t, server.Config{AdminKey: testAdminKey})
	key := "Convex " + testAdminKey
	step := func(method, path, body string, status int, want string) string {
		t.Helper()
		got, out := do(t, method, url+path, key, body)
		if got != status || !strings.Contains(out, want) {
			t.Fatalf("%s %s: %d %s; want %d containing %q", method, path, got, out, status, want)
		}
		return out
	}
	v1 := `{"tables": {"users": {"fields": {"name": "string"}, "indexes": {"by_name": ["name"]}}}}`
	step("POST", "/api/admin/schema/diff", v1, 200, `"class":"safe"`)
	step("POST", "/api/admin/schema/push?dryRun=true", v1, 200, `"dryRun":true`)
	step("GET", "/api/admin/schema", "", 200, `"schema":null`)
	step("POST", "/api/admin/schema/push?wait=true", v1, 200, `"dryRun":false`)
	step("GET", "/api/admin/schema", "", 200, `"by_name"`)
	step("POST", "/api/admin/schema/push", `{"tables": 5}`, 400, `"error"`)
	step("POST", "/api/admin/tables/users/documents", `{"name":"ann"}`, 200, `"id"`)
	step("POST", "/api/admin/tables/users/documents", `{"name":5}`, 400, `"error"`)
	step("GET", "/api/admin/tables", "", 200, `{"name":"users","count":1,"indexes":[{"name":"by_name","fields":["name"],"state":"ready"}]}`)
	for _, n := range []string{"bob", "cy", "dee"} {
		step("POST", "/api/admin/tables/users/documents", `{"name":"`+n+`"}`, 200, `"id"`)
	}
	rng := "/api/admin/tables/users/documents?index=by_name&range=" + neturl.QueryEscape(`[["gte","name","bob"],["lt","name","dee"]]`)
	page := step("GET", rng+"&order=desc", "", 200, `"isDone":true`)
	if i, j := strings.Index(page, `"cy"`), strings.Index(page, `"bob"`); i < 0 || j < 0 || i > j || strings.Contains(page, `"ann"`) || strings.Contains(page, `"dee"`) {
		t.Fatalf("by_name in [bob, dee) descending: %s", page)
	}
	step("GET", rng+"&limit=1", "", 200, `"isDone":false`)
	step("GET", "/api/admin/tables/users/documents?index=nope", "", 400, `"error"`)
	step("GET", "/api/admin/tables/users/documents?range=[]", "", 200, `"page"`)
	step("GET", "/api/admin/tables/users/documents?index=by_name&range="+neturl.QueryEscape(`[["like","name","a"]]`), "", 400, `OP is eq`)
	step("GET", "/api/admin/tables/users/documents?order=up", "", 400, `asc or desc`)

	v2 := `{"tables": {"users": {"fields": {"name": "string", "age": "int64"}, "indexes": {"by_name": ["name"]}}}}`
	step("POST", "/api/admin/schema/diff", v2, 200, `"class":"needs_data"`)
	step("POST", "/api/admin/schema/push", v2, 409, `"error"`)
	step("POST", "/api/admin/schema/plan?name=add_age", v2, 409, `needs input`)
	step("POST", "/api/admin/schema/plan", `{"tables": {"users": {"fields": {"name": "string", "nick": {"optional": "string"}}, "indexes": {"by_name": ["name"]}}}}`, 200, `"file":null`)

	file := `{"name": "add_age", "operations": [{"add_field": {"table": "users", "field": "age", "type": "int64", "default": 0}}]}`
	step("POST", "/api/admin/migrations", file, 200, `"name":"add_age"`)
	step("GET", "/api/admin/migrations", "", 200, `"name":"add_age"`)
	step("GET", "/api/admin/migrations/add_age", "", 200, `"name":"add_age"`)
	step("POST", "/api/admin/migrations/add_age/complete", "", 200, `"name":"add_age"`)
	step("GET", "/api/admin/schema", "", 200, `"age"`)
	step("POST", "/api/admin/migrations", `{"name": 1}`, 400, `"error"`)
	hist := step("GET", "/api/admin/schema/history", "", 200, `"state":"active"`)
	if !strings.Contains(hist, `"actor":"admin API"`) || !strings.Contains(hist, `by_name`) || !strings.Contains(hist, `"changes":[`) {
		t.Fatalf("history: %s", hist)
	}
	step("GET", "/api/admin/schema/history?limit=1", "", 200, `"history":[{`)
	step("GET", "/api/admin/schema/history?limit=x", "", 400, `"error"`)
}
