package server_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/server"
)

// TestMetrics: /metrics reports HTTP requests by route and status,
// function calls by kind and outcome, migrations, index builds and the
// scheduler's queue, in Prometheus's text format.
func TestMetrics(t *testing.T) {
	url, _ := startServer(t, server.Config{AdminKey: testAdminKey})
	key := "Convex " + testAdminKey
	for _, c := range []struct{ method, path, auth, body string }{
		{"POST", "/api/mutation", "", `{"path":"messages:send","args":[{"author":"a","body":"b"}]}`},
		{"POST", "/api/query", "", `{"path":"errors:plain","args":[{}]}`},
		{"POST", "/api/mutation", "", `{"path":"jobs:later","args":[{}]}`},
		{"POST", "/api/admin/schema/push?wait=true", key, `{"tables": {"messages": {"fields": {"author": "string", "body": "string"}, "indexes": {"by_author": ["author"]}}}}`},
		{"POST", "/api/admin/migrations", key, `{"name": "add_n", "operations": [{"add_field": {"table": "messages", "field": "n", "type": "int64", "default": 0}}]}`},
	} {
		if status, body := do(t, c.method, url+c.path, c.auth, c.body); status >= 500 && status != 560 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, status, body)
		}
	}
	status, text := do(t, "GET", url+"/metrics", "", "")
	if status != 200 {
		t.Fatalf("/metrics: %d %s", status, text)
	}
	for _, want := range []string{
		`strata_http_request_duration_seconds_count{route="POST /api/mutation",status="200"} 2`,
		`strata_http_request_duration_seconds_count{route="POST /api/query",status="560"} 1`,
		`strata_function_duration_seconds_count{kind="mutation",outcome="success"} 2`,
		`strata_function_duration_seconds_count{kind="query",outcome="error"} 1`,
		`strata_scheduler_queue_depth 1`,
		`strata_scheduler_lag_seconds 0`,
		`strata_migration_total_documents{migration="add_n",state=`,
		`strata_migration_processed_documents{migration="add_n",state=`,
		`strata_index_build_processed_documents{index="by_author",state="ready",table="messages"} 1`,
		`strata_index_build_total_documents{index="by_author",state="ready",table="messages"} 1`,
		`strata_metrics_read_errors 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
}
