package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/strata-db/strata/storage"
)

func testSnapshot(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "a")
	r := begin(t, b, false)
	// The snapshot is taken no later than the first read (a backend may
	// take it at Begin or with the first statement): read once, then
	// commit writes the transaction must not see.
	if got, err := r.Get("t", []byte("id-a")); err != nil || string(got) != "body-a" {
		t.Fatalf("read tx first read: %q, %v; want body-a", got, err)
	}
	update(t, b, func(tx storage.Tx) error {
		must(t, tx.Put("t", []byte("id-a"), []byte("v2")))
		must(t, tx.Put("t", []byte("id-b"), []byte("body-b")))
		must(t, tx.PutIndex("t", "i", []byte("b"), []byte("id-b")))
		return tx.Put("t3", []byte("x"), []byte("x"))
	})
	if got, err := r.Get("t", []byte("id-a")); err != nil || string(got) != "body-a" {
		t.Fatalf("read tx sees a later commit: %q, %v; want body-a", got, err)
	}
	if _, err := r.Get("t", []byte("id-b")); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("read tx sees a later insert: %v", err)
	}
	es, err := r.Scan(storage.ScanRequest{Table: "t", Index: "i"})
	must(t, err)
	if len(es) != 1 || string(es[0].Body) != "body-a" {
		t.Fatalf("read tx scan sees later commits: %+v", es)
	}
	// And after a second commit, still the same snapshot.
	update(t, b, func(tx storage.Tx) error { return tx.Delete("t", []byte("id-a")) })
	if got, err := r.Get("t", []byte("id-a")); err != nil || string(got) != "body-a" {
		t.Fatalf("read tx sees a later delete: %q, %v", got, err)
	}
	names, err := r.Tables()
	must(t, err)
	if len(names) != 1 || names[0] != "t" {
		t.Fatalf("read tx Tables sees later commits: %v", names)
	}
	must(t, r.Commit())
	if _, ok := get(t, b, "t", []byte("id-a")); ok {
		t.Fatal("a new read transaction does not see the delete")
	}
}

func testReadDuringWrite(t *testing.T, b storage.Backend) {
	fill(t, b, "t", "i", "a")
	w := begin(t, b, true)
	must(t, w.Put("t", []byte("id-a"), []byte("uncommitted")))
	must(t, w.Put("t", []byte("new"), []byte("uncommitted")))
	// A reader neither waits for the open write transaction nor sees it.
	done := make(chan error, 1)
	go func() {
		done <- Retry(context.Background(), b, false, func(r storage.Tx) error {
			got, err := r.Get("t", []byte("id-a"))
			if err != nil {
				return err
			}
			if string(got) != "body-a" {
				return fmt.Errorf("reader sees an uncommitted write: %q", got)
			}
			if _, err := r.Get("t", []byte("new")); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("reader sees an uncommitted insert: %v", err)
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("a read transaction waited for an open write transaction")
	}
	must(t, w.Commit())
	if got, _ := get(t, b, "t", []byte("id-a")); string(got) != "uncommitted" {
		t.Fatalf("after commit: %q", got)
	}
}

// increment adds delta to the decimal counter stored at table/id.
func increment(tx storage.Tx, table string, id []byte, delta int) error {
	n := 0
	v, err := tx.Get(table, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return err
	default:
		if n, err = strconv.Atoi(string(v)); err != nil {
			return fmt.Errorf("counter %q: %w", v, err)
		}
	}
	return tx.Put(table, id, []byte(strconv.Itoa(n+delta)))
}

func testLostUpdate(t *testing.T, b storage.Backend) {
	const goroutines, increments = 8, 25
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for range increments {
				if err := Retry(ctx, b, true, func(tx storage.Tx) error {
					return increment(tx, "counters", []byte("c"), 1)
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _ := get(t, b, "counters", []byte("c"))
	if want := strconv.Itoa(goroutines * increments); string(got) != want {
		t.Fatalf("counter = %s, want %s: updates were lost", got, want)
	}
}

// testWriteSkew runs the two-doctors-on-call scenario: each doctor goes
// off call only if the other is still on call. Under snapshot isolation
// both can succeed and leave nobody on call; serializable forbids it.
func testWriteSkew(t *testing.T, b storage.Backend) {
	const rounds = 20
	doctors := [][]byte{[]byte("alice"), []byte("bob")}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for round := range rounds {
		update(t, b, func(tx storage.Tx) error {
			for _, d := range doctors {
				if err := tx.Put("oncall", d, []byte("1")); err != nil {
					return err
				}
			}
			return nil
		})
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, len(doctors))
		for i, me := range doctors {
			wg.Go(func() {
				<-start
				errs[i] = Retry(ctx, b, true, func(tx storage.Tx) error {
					onCall := 0
					for _, d := range doctors {
						v, err := tx.Get("oncall", d)
						if err != nil {
							return err
						}
						if string(v) == "1" {
							onCall++
						}
					}
					if onCall < 2 {
						return nil // the other one already left
					}
					return tx.Put("oncall", me, []byte("0"))
				})
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		onCall := 0
		for _, d := range doctors {
			if v, _ := get(t, b, "oncall", d); string(v) == "1" {
				onCall++
			}
		}
		if onCall != 1 {
			t.Fatalf("round %d: %d doctors on call, want exactly 1 (write skew)", round, onCall)
		}
	}
}

// testConcurrentReadersWriters moves amounts between accounts in write
// transactions while readers check, in each snapshot, that the total is
// unchanged, through both Get and Scan.
func testConcurrentReadersWriters(t *testing.T, b storage.Backend) {
	const accounts, initial, writers, transfers, readers = 5, 100, 2, 50, 2
	update(t, b, func(tx storage.Tx) error {
		for i := range accounts {
			id := []byte{byte(i)}
			if err := tx.Put("acct", id, []byte(strconv.Itoa(initial))); err != nil {
				return err
			}
			if err := tx.PutIndex("acct", "by_id", id, id); err != nil {
				return err
			}
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stop := make(chan struct{})
	var wg, rg sync.WaitGroup
	errs := make(chan error, writers+readers)
	for w := range writers {
		wg.Go(func() {
			for i := range transfers {
				from, to := byte((w+i)%accounts), byte((w+2*i+1)%accounts)
				if from == to {
					continue
				}
				if err := Retry(ctx, b, true, func(tx storage.Tx) error {
					if err := increment(tx, "acct", []byte{from}, -7); err != nil {
						return err
					}
					return increment(tx, "acct", []byte{to}, 7)
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range readers {
		rg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := Retry(ctx, b, false, func(tx storage.Tx) error {
					sumGet, sumScan := 0, 0
					for i := range accounts {
						v, err := tx.Get("acct", []byte{byte(i)})
						if err != nil {
							return err
						}
						n, _ := strconv.Atoi(string(v))
						sumGet += n
					}
					es, err := tx.Scan(storage.ScanRequest{Table: "acct", Index: "by_id"})
					if err != nil {
						return err
					}
					for _, e := range es {
						n, _ := strconv.Atoi(string(e.Body))
						sumScan += n
					}
					if sumGet != accounts*initial || sumScan != accounts*initial {
						return fmt.Errorf("inconsistent snapshot: total %d by Get, %d by Scan, want %d", sumGet, sumScan, accounts*initial)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
