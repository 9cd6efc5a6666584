package value

import "testing"

// benchDoc is a realistic document of about 200 bytes: system fields, a few
// strings, numbers of both kinds, a boolean, a small array and object.
func benchDoc() map[string]any {
	return map[string]any{
		"_id":           ID("01hq3k9c4b7x2m8w5r6t0yza9c1n3s5v7users0aq"),
		"_creationTime": 1718000000123.5,
		"name":          "Ada Lovelace",
		"email":         "ada@example.com",
		"age":           int64(36),
		"score":         98.25,
		"active":        true,
		"tags":          []any{"math", "poetry", "engines"},
		"settings":      map[string]any{"theme": "dark", "notifications": false},
	}
}

func BenchmarkDecodeDoc(b *testing.B) {
	enc, err := EncodeDoc(benchDoc())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeDoc(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkEncodeDoc(b *testing.B) {
	doc := benchDoc()
	enc, _ := EncodeDoc(doc)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	buf := make([]byte, 0, 512)
	for b.Loop() {
		var err error
		if buf, err = AppendDoc(buf[:0], doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkDecodeDoc8 decodes a document of 8 top-level fields (benchDoc
// without "active"): Go maps of at most 8 entries fit one group and cost
// markedly less to build than larger ones.
func BenchmarkDecodeDoc8(b *testing.B) {
	doc := benchDoc()
	delete(doc, "active")
	enc, err := EncodeDoc(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeDoc(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
