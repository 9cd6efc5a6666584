package migrate_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// Phases of the rename as the traffic of TestRenameWithConcurrentWriters
// sees them; the main goroutine moves the phase on before calling (and
// after returning from) Start and Complete.
const (
	phaseBefore     int32 = iota // before Start
	phaseStarting                // Start running: expand, backfill
	phaseReady                   // Start returned, Complete not called yet
	phaseCompleting              // Complete running: verify, contract, final schema
	phaseCompleted               // Complete returned
	phases
)

var phaseNames = [phases]string{"before", "starting", "ready", "completing", "completed"}

// Writer kinds: the old service version writes userName only, the new one
// displayName only.
const (
	oldKind = iota
	newKind
	kinds
)

var kindFields = [kinds]string{"userName", "displayName"}

// renameTraffic is the application traffic of
// TestRenameWithConcurrentWriters and what it observed.
type renameTraffic struct {
	db    *strata.DB
	phase atomic.Int32

	mu       sync.Mutex
	ids      []strata.ID
	want     map[strata.ID]string // the value last written to each document
	inserted int

	// Writes to one document (ids index mod len) go one at a time, so the
	// value last written to it is well defined whatever the backend.
	docLocks [64]sync.Mutex

	// writes counts successful writes by kind and phase (the phase when
	// the write returned).
	writes [kinds][phases]atomic.Int64

	errMu          sync.Mutex
	refused        []string // writes refused that no schema in force should have refused (first ones)
	refusedN       int
	conflicts      int      // writes that lost every serialization retry
	finalRefusals  int      // old-shape writes refused by the final schema
	inconsistent   []string // documents read with the two fields out of step (first ones)
	inconsistentN  int
	checkerReads   int64
	readyScanDocs  int
	readyScanCount int
}

func (tr *renameTraffic) recordBad(list *[]string, n *int, msg string) {
	tr.errMu.Lock()
	defer tr.errMu.Unlock()
	*n++
	if len(*list) < 10 {
		*list = append(*list, msg)
	}
}

// failed classifies the error of a write of field by writer name.
func (tr *renameTraffic) failed(name, field string, err error) {
	phase := tr.phase.Load()
	switch {
	case errors.Is(err, strata.ErrConflict):
		tr.errMu.Lock()
		tr.conflicts++
		tr.errMu.Unlock()
	case field == "userName" && phase >= phaseCompleting && refusedByFinalSchema(err):
		// Complete has pushed the final schema: the old shape is gone.
		tr.errMu.Lock()
		tr.finalRefusals++
		tr.errMu.Unlock()
	default:
		tr.recordBad(&tr.refused, &tr.refusedN, fmt.Sprintf("%s (%s): %v", name, phaseNames[phase], err))
	}
}

// refusedByFinalSchema reports whether err is the refusal of an old-shape
// write by the rename's final schema, which requires displayName and has
// no userName (the expanded schema has both, optional, so it cannot give
// either error).
func refusedByFinalSchema(err error) bool {
	var ve *v.Error
	if !errors.As(err, &ve) {
		return false
	}
	return ve.Path == "displayName" && ve.Reason == "required field missing" ||
		ve.Path == "userName" && strings.HasPrefix(ve.Reason, "unexpected field")
}

func (tr *renameTraffic) succeeded(kind int) {
	tr.writes[kind][tr.phase.Load()].Add(1)
}

// insert inserts a document with only field of kind (and email) set.
func (tr *renameTraffic) insert(name string, kind int, val string) {
	field := kindFields[kind]
	var id strata.ID
	err := tr.db.Mutation(ctx, func(tx *strata.Tx) error {
		var err error
		id, err = tx.Insert("users", strata.Doc{field: val, "email": name + "@x"})
		return err
	})
	if err != nil {
		tr.failed(name, field, err)
		return
	}
	tr.mu.Lock()
	tr.ids = append(tr.ids, id)
	tr.want[id] = val
	tr.inserted++
	tr.mu.Unlock()
	tr.succeeded(kind)
}

// patch sets only field of kind on a random document.
func (tr *renameTraffic) patch(rng *rand.Rand, name string, kind int, val string) {
	field := kindFields[kind]
	tr.mu.Lock()
	i := rng.IntN(len(tr.ids))
	id := tr.ids[i]
	tr.mu.Unlock()
	l := &tr.docLocks[i%len(tr.docLocks)]
	l.Lock()
	defer l.Unlock()
	err := tr.db.Mutation(ctx, func(tx *strata.Tx) error {
		return tx.Patch(id, strata.Patch{field: val})
	})
	if err != nil {
		tr.failed(name, field, err)
		return
	}
	tr.mu.Lock()
	tr.want[id] = val
	tr.mu.Unlock()
	tr.succeeded(kind)
}

// writer inserts and patches, alternately, writing unique values, until
// stop is closed.
func (tr *renameTraffic) writer(name string, kind int, seed uint64, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(seed, uint64(kind)))
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		val := fmt.Sprintf("%s-%d", name, n)
		if n%2 == 0 {
			tr.insert(name, kind, val)
		} else {
			tr.patch(rng, name, kind, val)
		}
		// A steady rate, not as fast as possible: on SQLite, whose write
		// transactions take turns, a batch ends early whenever a write
		// waits behind it, so writers that always wait would keep every
		// batch at its minimum (and the test slow under -race).
		time.Sleep(2*time.Millisecond + time.Duration(rng.IntN(4000))*time.Microsecond)
	}
}

// checkDoc checks one document read in a snapshot taken while the phase
// went from before to after.
func (tr *renameTraffic) checkDoc(d strata.Doc, before, after int32) {
	un, hasU := d["userName"]
	dn, hasD := d["displayName"]
	bad := ""
	switch {
	case hasU && hasD && un != dn:
		bad = "userName and displayName differ"
	case after < phaseCompleting && !hasU:
		bad = "no userName before complete"
	case before >= phaseReady && after < phaseCompleting && !hasD:
		bad = "no displayName while ready"
	case before >= phaseCompleted && hasU:
		bad = "userName after complete"
	}
	if bad != "" {
		tr.recordBad(&tr.inconsistent, &tr.inconsistentN, fmt.Sprintf("%s (%s..%s): %v", bad, phaseNames[before], phaseNames[after], d))
	}
}

// checker reads random documents until stop is closed.
func (tr *renameTraffic) checker(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(99, 99))
	for {
		select {
		case <-stop:
			return
		default:
		}
		tr.mu.Lock()
		pick := make([]strata.ID, 20)
		for i := range pick {
			pick[i] = tr.ids[rng.IntN(len(tr.ids))]
		}
		tr.mu.Unlock()
		before := tr.phase.Load()
		var docs []strata.Doc
		err := tr.db.Query(ctx, func(tx *strata.Tx) error {
			docs = docs[:0]
			for _, id := range pick {
				d, err := tx.Get(id)
				if err != nil {
					return err
				}
				docs = append(docs, d)
			}
			return nil
		})
		after := tr.phase.Load()
		if err != nil {
			tr.recordBad(&tr.inconsistent, &tr.inconsistentN, fmt.Sprintf("read (%s): %v", phaseNames[after], err))
			continue
		}
		for i, d := range docs {
			if d == nil {
				tr.recordBad(&tr.inconsistent, &tr.inconsistentN, fmt.Sprintf("document %s not found", pick[i]))
				continue
			}
			tr.checkDoc(d, before, after)
		}
		tr.errMu.Lock()
		tr.checkerReads += int64(len(docs))
		tr.errMu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// awaitWrites waits until writers of every kind in kindsWanted have made n
// successful writes in the current phase, or fails t after a while.
func (tr *renameTraffic) awaitWrites(t testing.TB, n int64, kindsWanted ...int) {
	phase := tr.phase.Load()
	deadline := time.Now().Add(20 * time.Second)
	for _, k := range kindsWanted {
		for tr.writes[k][phase].Load() < n {
			if time.Now().After(deadline) {
				t.Errorf("%s: only %d %s writes in 20s", phaseNames[phase], tr.writes[k][phase].Load(), kindFields[k])
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// TestRenameWithConcurrentWriters is the seed's userName → displayName
// rename (TestSeedRenameLifecycle) under traffic from both service
// versions at once, each in its own goroutines for the whole time: old
// writers (insert and patch userName only) from before start until
// complete returns, new writers (displayName only) from the moment start
// has pushed the expanded schema until after complete, and a reader.
// Every phase — backfill, ready, contract — is made to overlap with
// writes of both kinds. It checks that no write is refused (until the
// final schema, pushed by complete, refuses the old shape); that the two
// fields, whenever both are present, are equal, and while ready both are;
// that no write is lost: every document ends with the value last written
// to it, as displayName only; and that the table holds the seeded
// documents plus every insert.
func TestRenameWithConcurrentWriters(t *testing.T) {
	t.Parallel()
	eachBackend(t, testRenameWithConcurrentWriters)
}

func testRenameWithConcurrentWriters(t *testing.T, db *strata.DB) {
	const seeded = 2000
	s, err := strata.NewSchema(strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	tr := &renameTraffic{db: db, want: map[strata.ID]string{}}
	for lo := 0; lo < seeded; lo += 500 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < lo+500; i++ {
				val := fmt.Sprintf("seed-%d", i)
				id, err := tx.Insert("users", strata.Doc{"userName": val, "email": "s@x"})
				if err != nil {
					return err
				}
				tr.ids = append(tr.ids, id)
				tr.want[id] = val
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	stopOld, stopNew, stopCheck := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var oldWG, newWG, checkWG sync.WaitGroup
	for w := range 2 {
		oldWG.Go(func() { tr.writer(fmt.Sprintf("old%d", w), oldKind, uint64(w), stopOld) })
		newWG.Go(func() {
			// New code writes once start has pushed the expanded schema
			// (before, the schema requires userName).
			for {
				if sc := db.Schema(); sc != nil && sc.Tables["users"].Fields["displayName"] != nil {
					break
				}
				select {
				case <-stopNew:
					return
				case <-time.After(time.Millisecond):
				}
			}
			tr.writer(fmt.Sprintf("new%d", w), newKind, uint64(10+w), stopNew)
		})
	}
	checkWG.Go(func() { tr.checker(stopCheck) })
	stopAll := func() {
		for _, c := range []chan struct{}{stopOld, stopNew, stopCheck} {
			select {
			case <-c:
			default:
				close(c)
			}
		}
		oldWG.Wait()
		newWG.Wait()
		checkWG.Wait()
	}
	defer stopAll()
	tr.awaitWrites(t, 20, oldKind)

	// Hold the first batch of each pass until both kinds have written in
	// its phase, so the backfill and the contract run under traffic.
	var held [phases]bool
	m := migrate.New(db, migrate.Options{OnProgress: func(migrate.Progress) {
		if p := tr.phase.Load(); !held[p] {
			held[p] = true
			tr.awaitWrites(t, 10, oldKind, newKind)
		}
	}})
	f := parseFile(t, `{"name":"003_rename_user_name","operations":[{"rename_field":{"table":"users","from":"userName","to":"displayName"}}]}`)

	t0 := time.Now()
	tr.phase.Store(phaseStarting)
	st, err := m.Start(ctx, f)
	if err != nil || st.State != migrate.Ready {
		t.Fatalf("start: %+v %v", st, err)
	}
	tStart, startBatches := time.Since(t0), st.Batches
	tr.phase.Store(phaseReady)

	// Ready: every document has both fields, equal, whichever kind wrote
	// it last, while both kinds write.
	for scans := 0; scans < 2 || tr.writes[oldKind][phaseReady].Load() < 20 || tr.writes[newKind][phaseReady].Load() < 20; scans++ {
		if scans == 1000 {
			t.Fatalf("ready: too few writes: %d old, %d new", tr.writes[oldKind][phaseReady].Load(), tr.writes[newKind][phaseReady].Load())
		}
		err := db.Query(ctx, func(tx *strata.Tx) error {
			return tx.Table("users").Each(func(d strata.Doc) error {
				tr.readyScanDocs++
				if !d.Has("userName") || !d.Has("displayName") || d.StringOr("userName", "") != d.StringOr("displayName", "") {
					tr.recordBad(&tr.inconsistent, &tr.inconsistentN, fmt.Sprintf("ready scan: fields not in step: %v", d))
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		tr.readyScanCount++
	}

	t1 := time.Now()
	tr.phase.Store(phaseCompleting)
	st, err = m.Complete(ctx, f.Name)
	if err != nil || st.State != migrate.Completed {
		t.Fatalf("complete: %+v %v", st, err)
	}
	tComplete := time.Since(t1)
	tr.phase.Store(phaseCompleted)
	close(stopOld)
	oldWG.Wait()
	// New code keeps writing after complete, unrefused.
	tr.awaitWrites(t, 20, newKind)
	stopAll()

	tr.errMu.Lock()
	t.Logf("start %v (%d batches), complete %v (%d batches); %d conflicts retried out, %d old-shape writes refused by the final schema, %d documents read by the checker, %d ready scans (%d documents)",
		tStart.Round(time.Millisecond), startBatches, tComplete.Round(time.Millisecond), st.Batches-startBatches, tr.conflicts, tr.finalRefusals, tr.checkerReads, tr.readyScanCount, tr.readyScanDocs)
	for k := range kinds {
		var per []string
		for p := range phases {
			per = append(per, fmt.Sprintf("%s %d", phaseNames[p], tr.writes[k][p].Load()))
		}
		t.Logf("%s writes: %s", kindFields[k], strings.Join(per, ", "))
	}
	if tr.refusedN > 0 {
		t.Errorf("%d writes refused, first ones:\n%s", tr.refusedN, strings.Join(tr.refused, "\n"))
	}
	if tr.inconsistentN > 0 {
		t.Errorf("%d inconsistent reads, first ones:\n%s", tr.inconsistentN, strings.Join(tr.inconsistent, "\n"))
	}
	tr.errMu.Unlock()

	// After complete: the final shape only, with every write kept.
	n := 0
	var wrong []string
	err = db.Query(ctx, func(tx *strata.Tx) error {
		return tx.Table("users").Each(func(d strata.Doc) error {
			n++
			want, ok := tr.want[d.ID()]
			switch {
			case !ok:
				wrong = append(wrong, fmt.Sprintf("unknown document %v", d))
			case d.Has("userName") || d.StringOr("displayName", "") != want:
				wrong = append(wrong, fmt.Sprintf("%v, want displayName %q only (the value last written)", d, want))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(wrong) > 0 {
		t.Errorf("after complete: %d documents wrong, first ones:\n%s", len(wrong), strings.Join(wrong[:min(len(wrong), 10)], "\n"))
	}
	if n != seeded+tr.inserted {
		t.Errorf("%d documents, want %d seeded + %d inserted", n, seeded, tr.inserted)
	}
	if fld := db.Schema().Tables["users"].Fields; fld["userName"] != nil || !isRequired(db, "users", "displayName") {
		t.Errorf("final schema: %v", db.Schema().Tables["users"])
	}
	if err := dbcheck.Check(ctx, db); err != nil {
		t.Errorf("consistency: %v", err)
	}
}
