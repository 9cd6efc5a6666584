package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/pgtest"
)

// clockHelperEnv, when set in the environment, makes the test binary run
// clockHelper instead of the tests.
const clockHelperEnv = "STRATA_CLOCK_HELPER"

const (
	clockGoroutines = 16
	clockInserts    = 25 // transactions per goroutine
)

// clockHelper is one OS process of TestClockManyProcesses: clockGoroutines
// goroutines each run clockInserts transactions inserting into table
// "events" (one document, or three every fourth transaction), each
// document recording its process, goroutine, sequence number and the
// wall clock just before its transaction began.
func clockHelper() int {
	ctx := context.Background()
	proc, _ := strconv.Atoi(os.Getenv(clockHelperEnv))
	db, err := strata.Open(ctx, os.Getenv("STRATA_CLOCK_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan error, clockGoroutines)
	for g := range clockGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := int64(0)
			for i := range clockInserts {
				at := float64(time.Now().UnixMicro()) / 1000
				docs := 1
				if i%4 == 3 {
					docs = 3
				}
				err := db.Mutation(ctx, func(tx *strata.Tx) error {
					for k := range docs {
						if _, err := tx.Insert("events", strata.Doc{"p": int64(proc), "g": int64(g), "seq": seq + int64(k), "at": at}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("process %d goroutine %d insert %d: %w", proc, g, i, err)
					return
				}
				seq += int64(docs)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestClockManyProcesses: 4 processes of 16 goroutines insert into one
// table at once. Every document gets its own creation time; the times of
// each goroutine's documents strictly increase in the order it inserted
// them; and no time is below the wall clock at the start of its
// transaction (the ordering rule of docs/decisions.md, "_creationTime on
// PostgreSQL: per-process windows").
func TestClockManyProcesses(t *testing.T) {
	t.Parallel()
	const procs = 4
	ctx := context.Background()
	url := pgtest.URL(t)
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*strings.Builder, procs)
	for p := range procs {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", clockHelperEnv, p), "STRATA_CLOCK_URL="+url)
		outs[p] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[p], outs[p]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[p] = cmd
	}
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", p, err, outs[p])
		}
	}
	if t.Failed() {
		return
	}
	var docs []strata.Doc
	if err := db.Query(ctx, func(tx *strata.Tx) error {
		docs, err = tx.Table("events").Collect()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	perGoroutine := clockInserts + clockInserts/4*2
	if want := procs * clockGoroutines * perGoroutine; len(docs) != want {
		t.Fatalf("%d documents, want %d", len(docs), want)
	}
	type writer struct{ p, g int64 }
	last := map[writer]struct {
		seq int64
		ct  float64
	}{}
	for i, d := range docs {
		ct := d.CreationTime()
		if i > 0 && !(ct > docs[i-1].CreationTime()) {
			t.Fatalf("documents %d and %d share creation time %v (or by_creation_time is out of order)", i-1, i, ct)
		}
		p, _ := d.Int("p")
		g, _ := d.Int("g")
		seq, _ := d.Int("seq")
		at, _ := d.Float("at")
		if ct < at {
			t.Errorf("process %d goroutine %d seq %d: creation time %v below the wall clock %v at its transaction's start", p, g, seq, ct, at)
		}
		w := writer{p, g}
		prev, ok := last[w]
		// by_creation_time order must list a goroutine's documents in
		// its own order.
		if ok && !(seq > prev.seq && ct > prev.ct) {
			t.Errorf("process %d goroutine %d: seq %d at %v listed after seq %d at %v", p, g, seq, ct, prev.seq, prev.ct)
		}
		last[w] = struct {
			seq int64
			ct  float64
		}{seq, ct}
	}
}
