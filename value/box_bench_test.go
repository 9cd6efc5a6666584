package value

import (
	"strings"
	"testing"
	"time"
)

// boxDocs are the documents BenchmarkDecodeBoxing decodes: the ~200-byte
// record of the root package's benchmarks (with its system fields), a
// nested document, and documents of many numbers and of many short
// strings.
func boxDocs() []struct {
	name string
	doc  map[string]any
} {
	order := func(i int) map[string]any {
		return map[string]any{"sku": "SKU-" + strings.Repeat("7", i+1), "qty": int64(3 + i), "price": 12.5 * float64(i+1), "note": "gift wrap"}
	}
	points, counts := make([]any, 48), make([]any, 48)
	for i := range points {
		points[i] = float64(i) * 1.25
		counts[i] = int64(i) * 1000
	}
	tags := make([]any, 32)
	for i := range tags {
		tags[i] = "tag-" + string(rune('a'+i%26))
	}
	return []struct {
		name string
		doc  map[string]any
	}{
		{"record", map[string]any{
			"_id":           ID("01hq3k9c4b7x2m8w5r6t0yza9c1n3s5v7users0aq"),
			"_creationTime": 1718000000123.5,
			"name":          "User 000042",
			"email":         "user332598@example.com",
			"age":           int64(62),
			"bio":           strings.Repeat("schema evolution without downtime ", 3),
			"score":         14.0,
			"active":        true,
		}},
		{"nested", map[string]any{
			"_id":           ID("01hq3k9c4b7x2m8w5r6t0yza9c1n3s5v7order0aq"),
			"_creationTime": 1718000000123.5,
			"customer": map[string]any{
				"name":    "Ada Lovelace",
				"address": map[string]any{"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH"},
				"phones":  []any{"+44 20 7946 0000", "+44 20 7946 0001"},
			},
			"orders": []any{order(0), order(1), order(2)},
			"total":  75.0,
		}},
		{"numbers", map[string]any{"points": points, "counts": counts, "min": -1.5, "max": 1e300}},
		{"strings", map[string]any{"tags": tags, "title": "short strings", "lang": "en"}},
	}
}

// BenchmarkDecodeBoxing decodes each of boxDocs with the build's boxing
// (package unsafe by default, plain with -tags strata_purego) and with
// plain boxing, alternating batches of the two in the same loop so that
// load from other processes falls on both alike. It reports the time per
// document of each (build-ns/doc, plain-ns/doc) and their ratio as
// plain/build (1.15 = plain is 15% slower).
func BenchmarkDecodeBoxing(b *testing.B) {
	const batch = 32
	for _, c := range boxDocs() {
		enc, err := EncodeDoc(c.doc)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(2 * batch * len(enc)))
			b.ReportAllocs()
			var spent [2]time.Duration
			docs := 0
			for b.Loop() {
				for mode := range spent {
					start := time.Now()
					for range batch {
						bx := boxer{}
						if mode == 1 {
							bx = newPlainBoxer()
						}
						x, err := decode(enc, bx)
						if err != nil {
							b.Fatal(err)
						}
						if _, ok := x.(map[string]any); !ok {
							b.Fatalf("decoded %T", x)
						}
					}
					spent[mode] += time.Since(start)
				}
				docs += batch
			}
			b.ReportMetric(float64(spent[0].Nanoseconds())/float64(docs), "build-ns/doc")
			b.ReportMetric(float64(spent[1].Nanoseconds())/float64(docs), "plain-ns/doc")
			b.ReportMetric(float64(spent[1])/float64(spent[0]), "plain/build")
		})
	}
}
