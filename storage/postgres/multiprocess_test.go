package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
)

// helperEnv, when set in the environment, makes the test binary run
// counterHelper instead of the tests: the binary is its own helper.
const helperEnv = "STRATA_COUNTER_HELPER"

// counterHelper is one OS process of TestMultiProcessCounters: it opens
// the database at STRATA_COUNTER_URL and, for each of STRATA_COUNTER_OPS
// operations, increments counter (worker+i) mod len(ids) and inserts a log
// document, in one db.Mutation (which retries serialization failures).
func counterHelper() int {
	ctx := context.Background()
	ids := strings.Split(os.Getenv("STRATA_COUNTER_IDS"), ",")
	ops, _ := strconv.Atoi(os.Getenv("STRATA_COUNTER_OPS"))
	worker, _ := strconv.Atoi(os.Getenv(helperEnv))
	db, err := strata.Open(ctx, os.Getenv("STRATA_COUNTER_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	for i := range ops {
		id := strata.ID(ids[(worker+i)%len(ids)])
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			d, err := tx.Get(id)
			if err != nil {
				return err
			}
			n, _ := d.Int("n")
			if err := tx.Patch(id, strata.Patch{"n": n + 1}); err != nil {
				return err
			}
			_, err = tx.Insert("log", strata.Doc{"worker": int64(worker), "i": int64(i)})
			return err
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "worker %d op %d: %v\n", worker, i, err)
			return 1
		}
	}
	return 0
}

// TestMultiProcessCounters runs several OS processes that increment the
// same counters in one PostgreSQL database concurrently: the final sums
// are exact (no lost update) and every log document has its own creation
// time.
func TestMultiProcessCounters(t *testing.T) {
	t.Parallel()
	const procs, ops, counters = 3, 60, 2
	ctx := context.Background()
	url := pgtest.URL(t)
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []string
	if err := db.Mutation(ctx, func(tx *strata.Tx) error {
		ids = ids[:0]
		for range counters {
			id, err := tx.Insert("counters", strata.Doc{"n": int64(0)})
			if err != nil {
				return err
			}
			ids = append(ids, string(id))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*strings.Builder, procs)
	start := time.Now()
	for w := range procs {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(),
			fmt.Sprintf("%s=%d", helperEnv, w),
			"STRATA_COUNTER_URL="+url,
			"STRATA_COUNTER_IDS="+strings.Join(ids, ","),
			fmt.Sprintf("STRATA_COUNTER_OPS=%d", ops))
		outs[w] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[w], outs[w]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[w] = cmd
	}
	for w, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", w, err, outs[w])
		}
	}
	t.Logf("%d processes x %d increments in %v", procs, ops, time.Since(start))
	if t.Failed() {
		return
	}
	var total int64
	var logs []strata.Doc
	if err := db.Query(ctx, func(tx *strata.Tx) error {
		for _, id := range ids {
			d, err := tx.Get(strata.ID(id))
			if err != nil {
				return err
			}
			n, _ := d.Int("n")
			total += n
		}
		logs, err = tx.Table("log").Collect()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if total != procs*ops {
		t.Errorf("counters sum to %d, want %d: updates were lost", total, procs*ops)
	}
	if len(logs) != procs*ops {
		t.Errorf("%d log documents, want %d", len(logs), procs*ops)
	}
	for i := 1; i < len(logs); i++ {
		if !(logs[i].CreationTime() > logs[i-1].CreationTime()) {
			t.Fatalf("log creation times not strictly increasing at %d", i)
		}
	}
}
