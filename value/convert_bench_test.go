package value

import "testing"

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
