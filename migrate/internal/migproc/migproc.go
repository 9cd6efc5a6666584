// Package migproc is the helper application of package migrate's
// multi-process and kill -9 tests: a process that runs one tracked custom
// migration over the table "docs" while, optionally, its own writer
// goroutines insert and delete documents of that table. The test binary
// runs itself as the helper (Main) when MIGPROC=1 is in its environment
// (see TestMain), so no helper program is built:
//
//	migrate.test --db URL [--lease 2s] [--writers N] [--once] [--start-at UNIXMS] [--per-doc DUR]
//
// The migration ("count_once") is idempotent and increments a per-document
// counter: a document without "migrated" gets {migrated: true, counter:
// counter+1}. It runs with TransformWrites, so the writers' inserts arrive
// migrated. Every writer transaction also inserts a document into "log"
// saying what it did ({op: "insert"} or {op: "delete", initial, migrated}),
// so the test can count inserts and deletes exactly, whatever moment the
// process is killed at.
//
// It prints "progress PROCESSED" after every batch and "completed
// PROCESSED CHANGED" at the end ("already-completed" if it was), and exits
// 0. With --once, a migration
// running elsewhere prints "running-elsewhere" and exits 3; without it,
// the process retries until the other runner's lease expires.
package migproc

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"

	_ "github.com/strata-db/strata/storage/postgres"
	_ "github.com/strata-db/strata/storage/sqlite"
)

// Name is the migration's name; Table the table it migrates.
const (
	Name  = "count_once"
	Table = "docs"
	// ExitRunningElsewhere is the exit code for migrate.ErrRunningElsewhere
	// with --once.
	ExitRunningElsewhere = 3
)

// Main runs the helper with the command line os.Args[1:] and exits.
func Main() {
	fs := flag.NewFlagSet("migproc", flag.ExitOnError)
	var (
		url     = fs.String("db", "", "database URL")
		lease   = fs.Duration("lease", 2*time.Second, "lease duration")
		writers = fs.Int("writers", 0, "concurrent writer goroutines")
		once    = fs.Bool("once", false, "do not wait for another runner's lease to expire")
		startAt = fs.Int64("start-at", 0, "wall-clock time (unix ms) to call Run at")
		perDoc  = fs.Duration("per-doc", 0, "time the migration function spends per document")
		rate    = fs.Float64("rate", 0, "rate limit of the migration, documents per second")
		compact = fs.Bool("compact", false, "compact the table (migrate.Compact) instead of running count_once")
		noDel   = fs.Bool("no-deletes", false, "writers only insert")
	)
	_ = fs.Parse(os.Args[1:]) // ExitOnError: exits on a bad flag
	noDeletes = *noDel
	var code int
	var err error
	if *compact {
		code, err = runCompact(*url, *lease, *writers, *rate)
	} else {
		code, err = run(*url, *lease, *writers, *once, *startAt, *perDoc, *rate)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "migproc: %v\n", err)
	}
	os.Exit(code)
}

// noDeletes makes writers only insert.
var noDeletes bool

// runCompact compacts Table, with writers inserting from its first batch
// on, and prints "completed <processed> <changed>".
func runCompact(url string, lease time.Duration, writers int, rate float64) (int, error) {
	ctx := context.Background()
	db, err := strata.Open(ctx, url)
	if err != nil {
		return 1, fmt.Errorf("open: %w", err)
	}
	defer db.Close()
	w := &writerSet{db: db, n: writers}
	m := migrate.New(db, migrate.Options{
		LeaseDuration: lease, RateLimit: rate,
		OnProgress: func(p migrate.Progress) {
			fmt.Printf("progress %d\n", p.Processed)
			w.start()
		},
	})
	for {
		st, err := m.Compact(ctx, Table)
		if errors.Is(err, migrate.ErrRunningElsewhere) {
			time.Sleep(lease / 10)
			continue
		}
		w.stop()
		if err != nil {
			return 1, fmt.Errorf("compact: %w", err)
		}
		if werr := w.err(); werr != nil {
			return 1, fmt.Errorf("writer: %w", werr)
		}
		fmt.Printf("completed %d %d\n", st.Processed, st.Changed)
		return 0, nil
	}
}

// migrateOne is the migration's per-document function.
func migrateOne(perDoc time.Duration) func(strata.Doc) (strata.Patch, error) {
	return func(d strata.Doc) (strata.Patch, error) {
		if d.Has("migrated") {
			return nil, nil
		}
		if perDoc > 0 {
			time.Sleep(perDoc)
		}
		c, _ := d.Int("counter")
		return strata.Patch{"migrated": true, "counter": c + 1}, nil
	}
}

func run(url string, lease time.Duration, writers int, once bool, startAt int64, perDoc time.Duration, rate float64) (int, error) {
	ctx := context.Background()
	db, err := strata.Open(ctx, url)
	if err != nil {
		return 1, fmt.Errorf("open: %w", err)
	}
	defer db.Close()

	w := &writerSet{db: db, n: writers}
	var progressed atomic.Bool
	m := migrate.New(db, migrate.Options{
		LeaseDuration: lease,
		OnProgress: func(p migrate.Progress) {
			fmt.Printf("progress %d\n", p.Processed)
			// The transform is installed once a batch has run: only
			// then may writers write (what they insert must arrive
			// migrated).
			if progressed.CompareAndSwap(false, true) {
				w.start()
			}
			// Stop the writers before Run returns and removes the
			// transform: after completion, the application's new code
			// would write the new shape itself.
			if st, err := migrate.StatusOf(ctx, db, Name); err == nil && st.State == migrate.Completed {
				w.stop()
			}
		},
	})
	err = m.Define(migrate.Migration{
		Name:            Name,
		Table:           Table,
		TransformWrites: true,
		MigrateOne:      migrateOne(perDoc),
		RateLimit:       rate,
	})
	if err != nil {
		return 1, err
	}
	if startAt > 0 {
		time.Sleep(time.Until(time.UnixMilli(startAt)))
	}
	for {
		st, err := m.Run(ctx, Name)
		if errors.Is(err, migrate.ErrRunningElsewhere) {
			if once {
				fmt.Println("running-elsewhere")
				return ExitRunningElsewhere, nil
			}
			time.Sleep(lease / 10)
			continue
		}
		w.stop()
		if err != nil {
			return 1, fmt.Errorf("run: %w", err)
		}
		if werr := w.err(); werr != nil {
			return 1, fmt.Errorf("writer: %w", werr)
		}
		if strings.HasPrefix(st.Message, "already completed") {
			fmt.Println("already-completed")
			return 0, nil
		}
		fmt.Printf("completed %d %d\n", st.Processed, st.Changed)
		return 0, nil
	}
}

// writerSet runs n writer goroutines between start and stop.
type writerSet struct {
	db *strata.DB
	n  int

	once     sync.Once
	stopOnce sync.Once
	quit     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	firstErr error
}

func (w *writerSet) start() {
	w.once.Do(func() {
		w.quit = make(chan struct{})
		for i := range w.n {
			w.wg.Add(1)
			go w.loop(uint64(i))
		}
	})
}

func (w *writerSet) stop() {
	w.once.Do(func() {}) // never start after a stop
	w.stopOnce.Do(func() {
		if w.quit != nil {
			close(w.quit)
		}
	})
	w.wg.Wait()
}

func (w *writerSet) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.firstErr
}

// loop inserts (two times in three) or deletes (one in three) a document
// per transaction, and logs what it did in the same transaction.
func (w *writerSet) loop(seed uint64) {
	defer w.wg.Done()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	var lo, hi float64
	err := w.db.Query(ctx, func(tx *strata.Tx) error {
		first, err := tx.Table(Table).First()
		if err != nil || first == nil {
			return err
		}
		last, err := tx.Table(Table).Order(strata.Desc).First()
		lo, hi = first.CreationTime(), last.CreationTime()
		return err
	})
	for err == nil {
		select {
		case <-w.quit:
			return
		default:
		}
		del := !noDeletes && rng.IntN(3) == 0
		at := lo + rng.Float64()*(hi-lo)
		err = w.db.Mutation(ctx, func(tx *strata.Tx) error {
			if del {
				d, err := tx.Table(Table).WithIndex("by_creation_time", strata.Gte(strata.FieldCreationTime, at)).First()
				if err != nil || d == nil {
					return err
				}
				initial, _ := d.Bool("initial")
				if err := tx.Delete(d.ID()); err != nil {
					return err
				}
				_, err = tx.Insert("log", strata.Doc{"op": "delete", "initial": initial, "migrated": d.Has("migrated")})
				return err
			}
			id, err := tx.Insert(Table, strata.Doc{"counter": int64(0), "initial": false})
			if err != nil {
				return err
			}
			d, err := tx.Get(id)
			if err != nil {
				return err
			}
			_, err = tx.Insert("log", strata.Doc{"op": "insert", "transformed": d.Has("migrated")})
			return err
		})
		time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
	}
	w.mu.Lock()
	if w.firstErr == nil {
		w.firstErr = err
	}
	w.mu.Unlock()
}
