package strata_test

import (
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
// every iteration, so that the load of a shared machine falls on both
// alike, and reports their times per document and the ratio.
func interleaved(b *testing.B, perIter int, base, contender func(i int) error) (baseNs, contNs float64) {
	var tb, tc time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if err := base(i); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := contender(i); err != nil {
			b.Fatal(err)
		}
		tb += t1.Sub(t0)
		tc += time.Since(t1)
	}
	n := float64(b.N * perIter)
	baseNs, contNs = float64(tb.Nanoseconds())/n, float64(tc.Nanoseconds())/n
	b.ReportMetric(baseNs, "map-ns/doc")
	b.ReportMetric(contNs, "struct-ns/doc")
	return baseNs, contNs
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
