package value

import (
	"testing"
	"time"
)

// BenchmarkConvert measures what the boundary conversion adds to a write of
// a document already made of strata's values (the map API): it is compared
// with Check and EncodeDoc, which every write runs anyway, in the same run.
func BenchmarkConvert(b *testing.B) {
	doc := benchDoc()
	var conv, check, enc float64
	b.Run("convert-canonical", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Convert(doc); err != nil {
				b.Fatal(err)
			}
		}
		conv = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			if err := Check(doc); err != nil {
				b.Fatal(err)
			}
		}
		check = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := EncodeDoc(doc); err != nil {
				b.Fatal(err)
			}
		}
		enc = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	if check > 0 && enc > 0 {
		b.Logf("convert of a canonical document: %.0f ns, %.2f× Check, %.2f× EncodeDoc", conv, conv/check, conv/enc)
	}
}

type benchStruct struct {
	ID       ID      `strata:"_id"`
	Created  float64 `strata:"_creationTime"`
	Name     string  `strata:"name"`
	Email    string  `strata:"email"`
	Age      int     `strata:"age"`
	Score    float64 `strata:"score"`
	Active   bool    `strata:"active"`
	Tags     []string
	Settings struct {
		Theme         string `strata:"theme"`
		Notifications bool   `strata:"notifications"`
	} `strata:"settings"`
}

// BenchmarkDecodeStruct decodes a stored record into a map (DecodeDoc,
// the raw codec decode and the baseline), into a struct straight from the
// record (DecodeDocInto) and into a struct through a map (DecodeDoc then
// Assign, the map path), interleaved in batches so that a shared
// machine's load falls on all alike, and reports each struct path's
// throughput as a share of the map's (target: at least 70%).
func BenchmarkDecodeStruct(b *testing.B) {
	doc := benchDoc()
	doc["Tags"] = doc["tags"]
	enc, err := EncodeDoc(doc)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 100
	var s benchStruct
	var tm, td, ta time.Duration
	for b.Loop() {
		t0 := time.Now()
		for range batch {
			if _, err := DecodeDoc(enc); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for range batch {
			if !DecodeDocInto(enc, &s) {
				b.Fatal("DecodeDocInto did not handle the record")
			}
		}
		t2 := time.Now()
		for range batch {
			m, err := DecodeDoc(enc)
			if err != nil {
				b.Fatal(err)
			}
			if err := Assign(m, &s); err != nil {
				b.Fatal(err)
			}
		}
		tm += t1.Sub(t0)
		td += t2.Sub(t1)
		ta += time.Since(t2)
	}
	n := float64(b.N * batch)
	b.ReportMetric(float64(tm.Nanoseconds())/n, "map-ns/doc")
	b.ReportMetric(float64(td.Nanoseconds())/n, "direct-ns/doc")
	b.ReportMetric(float64(ta.Nanoseconds())/n, "via-map-ns/doc")
	b.ReportMetric(100*float64(tm)/float64(td), "direct-throughput-%")
	b.ReportMetric(100*float64(tm)/float64(ta), "via-map-throughput-%")
}
