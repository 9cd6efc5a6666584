package loadbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/strata-db/strata"
)

// WorkerArgs are what a worker process of a multi-process run needs: the
// database, the side and workload, its clients and when its turn starts
// and ends.
type WorkerArgs struct {
	URL      string    `json:"url"`
	Side     string    `json:"side"` // "strata" or "raw"
	Workload string    `json:"workload"`
	Clients  int       `json:"clients"`
	Pool     int       `json:"pool"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// WorkerResult is what a worker process reports.
type WorkerResult struct {
	Commits   int             `json:"commits"`
	Attempts  int             `json:"attempts"`
	Latencies []time.Duration `json:"latencies"`
	Errors    map[string]int  `json:"errors,omitempty"`
}

// Spawner starts a worker process that runs RunWorker with the JSON
// encoding of its WorkerArgs, given as one argument, and writes the JSON
// encoding of its WorkerResult on standard output.
type Spawner func(ctx context.Context, args string) *exec.Cmd

// Attach opens the fixture that a process of the same run loaded at url:
// strata's accounts in creation order and the raw side's, without loading
// anything.
func Attach(ctx context.Context, url string, pool int) (_ *Fixture, err error) {
	f := &Fixture{Pool: pool}
	if err := f.open(ctx, url); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	err = f.DB.Query(ctx, func(tx *strata.Tx) error {
		f.IDs = f.IDs[:0]
		return tx.Table(accounts).Each(func(d strata.Doc) error {
			f.IDs = append(f.IDs, d.ID())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("loadbench: attach: %w", err)
	}
	for i := range f.IDs {
		f.RIDs = append(f.RIDs, rawID(i))
	}
	return f, nil
}

// RunWorker runs one worker process's share of a turn and returns its
// result.
func RunWorker(ctx context.Context, a WorkerArgs) (*WorkerResult, error) {
	f, err := Attach(ctx, a.URL, a.Pool)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var fn op
	if a.Side == "raw" {
		fn, err = f.rawOp(a.Workload)
	} else {
		fn, err = f.strataOp(a.Workload)
	}
	if err != nil {
		return nil, err
	}
	// Warm the pool before the turn starts.
	_ = f.Raw.Ping(ctx)
	var s sideRun
	if d := time.Until(a.Start); d > 0 {
		time.Sleep(d)
	}
	s.run(ctx, fn, a.Clients, time.Until(a.End))
	return &WorkerResult{Commits: s.commits, Attempts: s.attempts, Latencies: s.lat, Errors: s.errors}, nil
}

// runProcesses runs one turn of one side with procs processes of clients
// goroutines each: this one and procs-1 workers, started together.
func (f *Fixture) runProcesses(ctx context.Context, s *sideRun, fn op, side, workload string, procs, clients int, d time.Duration, spawn Spawner) error {
	start := time.Now().Add(2 * time.Second) // time for the workers to attach
	a := WorkerArgs{URL: f.url, Side: side, Workload: workload, Clients: clients, Pool: f.Pool, Start: start, End: start.Add(d)}
	enc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	type out struct {
		res *WorkerResult
		err error
	}
	outs := make([]out, procs-1)
	var wg sync.WaitGroup
	for i := range procs - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := spawn(ctx, string(enc))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				outs[i].err = fmt.Errorf("worker process: %w: %s", err, strings.TrimSpace(stderr.String()))
				return
			}
			var r WorkerResult
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				outs[i].err = fmt.Errorf("worker process: %w", err)
				return
			}
			outs[i].res = &r
		}()
	}
	if wait := time.Until(start); wait > 0 {
		time.Sleep(wait)
	}
	var mine sideRun
	mine.run(ctx, fn, clients, time.Until(a.End))
	wg.Wait()
	elapsed := mine.elapsed
	s.merge(&mine)
	for _, o := range outs {
		if o.err != nil {
			return o.err
		}
		s.merge(&sideRun{commits: o.res.Commits, attempts: o.res.Attempts, lat: o.res.Latencies, errors: o.res.Errors})
	}
	s.elapsed += elapsed
	return nil
}

// merge adds o's transactions (not its time) to s.
func (s *sideRun) merge(o *sideRun) {
	s.commits += o.commits
	s.attempts += o.attempts
	s.lat = append(s.lat, o.lat...)
	for k, v := range o.errors {
		if s.errors == nil {
			s.errors = map[string]int{}
		}
		s.errors[k] += v
	}
}

func rawID(i int) string { return "acct" + fmt.Sprintf("%07d", i) }
