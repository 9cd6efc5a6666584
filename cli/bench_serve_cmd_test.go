package cli_test

import (
	"bytes"
	"regexp"
	"testing"
)

// TestBenchServe runs a short bench serve: both workloads are measured in
// process and over HTTP, with a ratio and latencies, and no call fails.
func TestBenchServe(t *testing.T) {
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
	if !regexp.MustCompile(`HTTP floor: .*\n.*: \d+ calls/s \(\d+% of the point query in process\)`).MatchString(out.String()) {
		t.Errorf("no HTTP floor:\n%s", out.String())
	}
}
