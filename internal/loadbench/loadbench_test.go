package loadbench_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/loadbench"
	"github.com/strata-db/strata/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// BenchmarkLoad runs each workload of `strata bench load` at 1 and 16
// clients on 10,000 accounts, strata and raw pgx alternating in the same
// run, and reports strata's throughput as a fraction of raw's
// (strata/raw) beside both sides' transactions a second. Invariants that
// break fail the benchmark. Run with:
//
//	go test -run '^$' -bench Load ./internal/loadbench
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	f, err := loadbench.Open(ctx, pgtest.URL(b), 10_000, 4)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, w := range loadbench.Workloads {
		for _, clients := range []int{1, 16} {
			b.Run(w+"/clients="+strconv.Itoa(clients), func(b *testing.B) {
				var rep *loadbench.Report
				for b.Loop() {
					rep, err = f.Run(ctx, loadbench.Options{Workloads: []string{w}, Clients: []int{clients}, Duration: 2 * time.Second}, nil)
					if err != nil {
						b.Fatal(err)
					}
				}
				c := rep.Cells[0]
				b.ReportMetric(c.Ratio, "strata/raw")
				b.ReportMetric(c.Strata.TxPerSec, "strata-tx/s")
				b.ReportMetric(c.Raw.TxPerSec, "raw-tx/s")
				for _, ch := range rep.Checks {
					if !ch.OK {
						b.Errorf("%s: %s: %s", ch.Side, ch.What, ch.Got)
					}
				}
			})
		}
	}
}
