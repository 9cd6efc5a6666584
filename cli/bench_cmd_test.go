package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/internal/pgtest"
)

// TestBenchMigrate runs `strata bench migrate` on a small table, as a
// table and as JSON, on SQLite and on PostgreSQL. Only the shape of the
// output is checked: the figures are timings.
func TestBenchMigrate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(*testing.T) []string { return []string{"--backend", "sqlite"} }},
		{"postgres", func(t *testing.T) []string { return []string{"--backend", "postgres", pgtest.URL(t)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			backend := tt.args(t)
			common := []string{"bench", "migrate", "--docs", "300", "--idle", "100ms", "--rate", "200", "--rounds", "2"}
			out := benchRun(t, append(common, backend...)...)
			for _, want := range []string{"backfill of 300 documents on " + tt.name, "raw/strata", "strata, during the migration", "raw p99 during/idle"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			out = benchRun(t, append(append([]string{"--json"}, common...), backend...)...)
			var rep struct {
				Backfill struct {
					Backend         string
					Docs            int
					StrataNs, RawNs int64
					Ratio           float64
				}
				Latency struct {
					Rounds     int
					StrataIdle struct{ Writes int }
				}
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("--json: %v\n%s", err, out)
			}
			b := rep.Backfill
			if b.Backend != tt.name || b.Docs != 300 || b.StrataNs <= 0 || b.RawNs <= 0 || b.Ratio <= 0 || rep.Latency.StrataIdle.Writes == 0 || rep.Latency.Rounds != 2 {
				t.Errorf("--json: %+v", rep)
			}
		})
	}
}

func benchRun(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := cli.Run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("strata %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// TestBenchMigrateUsage: bad flags are usage errors.
func TestBenchMigrateUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bench", "migrate", "--docs", "0"},
		{"bench", "migrate", "--rounds", "0"},
		{"bench", "migrate", "--backend", "mysql"},
		{"bench", "migrate", "--backend", "postgres"},
		{"bench", "migrate", "--backend", "sqlite", "postgres://x"},
	} {
		var out, errOut bytes.Buffer
		if err := cli.Run(context.Background(), args, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "usage") {
			t.Errorf("strata %s: %v %q", strings.Join(args, " "), err, errOut.String())
		}
	}
}

// TestBenchLoad runs `strata bench load` briefly, as a table and as JSON:
// every workload at two concurrencies, both sides, the targets marked and
// every invariant held. Only the shape and the invariants are checked:
// the figures are timings.
func TestBenchLoad(t *testing.T) {
	t.Parallel()
	common := []string{"--db", pgtest.URL(t), "bench", "load", "--docs", "200", "--duration", "100ms", "--rounds", "2", "--clients", "1,4"}
	out := benchRun(t, common...)
	for _, want := range []string{"point read", "uniform update", "hot-spot update", "transfer + ledger insert", "strata/raw", ">= 0.80", ">= 0.85", "no lost updates", "total balance kept"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "BROKEN") {
		t.Errorf("an invariant broke:\n%s", out)
	}
	out = benchRun(t, append([]string{"--json"}, common...)...)
	var rep struct {
		Docs  int
		Cells []struct {
			Workload string
			Clients  int
			Strata   struct{ Commits int }
			Raw      struct{ Commits int }
			Target   float64
		}
		Checks []struct {
			Side, What string
			OK         bool
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if rep.Docs != 200 || len(rep.Cells) != 8 || len(rep.Checks) != 10 {
		t.Fatalf("--json: %d docs, %d cells, %d checks:\n%s", rep.Docs, len(rep.Cells), len(rep.Checks), out)
	}
	for _, c := range rep.Cells {
		if c.Strata.Commits == 0 || c.Raw.Commits == 0 || c.Target == 0 {
			t.Errorf("cell %+v", c)
		}
	}
	for _, c := range rep.Checks {
		if !c.OK {
			t.Errorf("%s: %s broke", c.Side, c.What)
		}
	}
}

// TestBenchLoadUsage: bad flags are usage errors.
func TestBenchLoadUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--db", "sqlite:x.db", "bench", "load"},
		{"--db", "postgres://x/y", "bench", "load", "--docs", "3"},
		{"--db", "postgres://x/y", "bench", "load", "--clients", "0"},
		{"--db", "postgres://x/y", "bench", "load", "--workloads", "scan"},
		{"--db", "postgres://x/y", "bench", "load", "--processes", "0"},
		{"--db", "postgres://x/y", "bench", "load", "--duration", "0s"},
	} {
		var out, errOut bytes.Buffer
		if err := cli.Run(context.Background(), args, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "usage") {
			t.Errorf("strata %s: %v %q", strings.Join(args, " "), err, errOut.String())
		}
	}
}
