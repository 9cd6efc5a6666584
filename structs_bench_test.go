package strata_test

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata"
)

// benchUser is benchDoc as a struct.
type benchUser struct {
	ID      strata.ID `strata:"_id"`
	Created float64   `strata:"_creationTime"`
	Name    string    `strata:"name"`
	Email   string    `strata:"email"`
	Age     int       `strata:"age"`
	Bio     string    `strata:"bio"`
	Score   float64   `strata:"score"`
	Active  bool      `strata:"active"`
}

func benchStruct(i int) benchUser {
	d := benchDoc(i)
	return benchUser{Name: d.StringOr("name", ""), Email: d.StringOr("email", ""), Age: 20 + i%50, Bio: benchBio, Score: float64(i) / 3, Active: i%2 == 0}
}

// interleaved runs the baseline and the contender one after the other in
// every iteration, alternating which goes first, so that the load of a
// shared machine falls on both alike, and reports their wall times per
// document and the ratio contender/base three ways: of the total wall
// times, the median of each iteration's pair (an iteration where one
// side lost its core moves it little), and of the process's CPU time
// (all threads, the collector's too; waiting for a core not counted).
func interleaved(b *testing.B, perIter int, base, contender func(i int) error) (baseNs, contNs float64) {
	var tb, tc, cb, cc time.Duration
	var pairs []float64
	timed := func(fn func(int) error, i int, wall, cpu *time.Duration) time.Duration {
		c0, t0 := cpuTime(b), time.Now()
		if err := fn(i); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		*wall += d
		*cpu += cpuTime(b) - c0
		return d
	}
	for i := 0; b.Loop(); i++ {
		var db, dc time.Duration
		if i%2 == 0 {
			db = timed(base, i, &tb, &cb)
			dc = timed(contender, i, &tc, &cc)
		} else {
			dc = timed(contender, i, &tc, &cc)
			db = timed(base, i, &tb, &cb)
		}
		pairs = append(pairs, float64(dc)/float64(db))
	}
	slices.Sort(pairs)
	n := float64(b.N * perIter)
	baseNs, contNs = float64(tb.Nanoseconds())/n, float64(tc.Nanoseconds())/n
	b.ReportMetric(baseNs, "map-ns/doc")
	b.ReportMetric(contNs, "struct-ns/doc")
	b.ReportMetric(pairs[len(pairs)/2], "struct/map-median")
	b.ReportMetric(float64(cc)/float64(cb), "struct/map-cpu")
	return baseNs, contNs
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStructRead reads documents by id, 500 per transaction, as Docs
// (tx.Get: the map path, the baseline) and as structs (strata.Get[T]),
// interleaved, and reports the struct path's throughput as a share of the
// map path's. Target: at least 70%.
func BenchmarkStructRead(b *testing.B) {
	f := loadFixture(b)
	const perTx = 500
	read := func(i int, get func(tx *strata.Tx, id strata.ID) error) error {
		return f.db.Query(ctx, func(tx *strata.Tx) error {
			for j := range perTx {
				if err := get(tx, f.ids[(i*perTx+j*7919)%len(f.ids)]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	mapNs, structNs := interleaved(b, perTx,
		func(i int) error {
			return read(i, func(tx *strata.Tx, id strata.ID) error { _, err := tx.Get(id); return err })
		},
		func(i int) error {
			return read(i, func(tx *strata.Tx, id strata.ID) error { _, err := strata.Get[benchUser](tx, id); return err })
		})
	b.ReportMetric(100*mapNs/structNs, "struct-throughput-%")
}

// BenchmarkStructInsert inserts documents, 100 per transaction so that
// the commit does not hide the per-document cost, as Docs (the map path,
// the baseline) and as structs, interleaved, and reports the ratio of
// their times. Target: struct at most 1.2× map.
func BenchmarkStructInsert(b *testing.B) {
	f := loadFixture(b)
	const perTx = 100
	docs := make([]strata.Doc, 1000)
	structs := make([]benchUser, 1000)
	for i := range docs {
		docs[i], structs[i] = benchDoc(i), benchStruct(i)
	}
	insert := func(i int, one func(tx *strata.Tx, k int) error) error {
		return f.db.Mutation(ctx, func(tx *strata.Tx) error {
			for j := range perTx {
				if err := one(tx, (i*perTx+j)%1000); err != nil {
					return err
				}
			}
			return nil
		})
	}
	mapNs, structNs := interleaved(b, perTx,
		func(i int) error {
			return insert(i, func(tx *strata.Tx, k int) error { _, err := tx.Insert("ins", docs[k]); return err })
		},
		func(i int) error {
			return insert(i, func(tx *strata.Tx, k int) error { _, err := strata.Insert(tx, "ins", structs[k]); return err })
		})
	b.ReportMetric(structNs/mapNs, "struct/map")
}
