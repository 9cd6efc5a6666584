package cli_test

import (
	"bytes"
	"regexp"
	"testing"
)

// TestBenchServe runs a short bench serve: both workloads are measured in
// process and over HTTP, with a ratio and latencies, and no call fails.
func TestBenchServe(t *testing.T) {
	t.Parallel() // only the output's shape is checked, not its figures
	var out, errOut bytes.Buffer
	if err := cliRun([]string{"bench", "serve", "--duration", "100ms", "--clients", "4", "--docs", "20"}, &out, &errOut); err != nil {
		t.Fatalf("bench serve: %v\n%s", err, errOut.String())
	}
	for _, row := range []string{"point query", "one-document mutation"} {
		re := regexp.MustCompile(row + `\s+\d+\s+\d+\s+\d+%\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+0\n`)
		if !re.MatchString(out.String()) {
			t.Errorf("no complete row for %s without errors:\n%s", row, out.String())
		}
	}
	for _, server := range []string{`fasthttp \(strata serve's server\)`, "net/http"} {
		if !regexp.MustCompile(`(?m)^  ` + server + `:\s+\d+ calls/s \(\d+% of the point query in process\), p50 \S+, p99 \S+, CPU/call \S+\n`).MatchString(out.String()) {
			t.Errorf("no HTTP floor of %s:\n%s", server, out.String())
		}
	}
}
