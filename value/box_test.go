package value

import (
	"bytes"
	"go/build"
	"go/parser"
	"go/token"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestDecodeUnderGCStress decodes many documents while another goroutine
// collects garbage in a loop and the collector runs at every 1% of heap
// growth, keeping only scattered decoded values (a string here, a number or
// an array there, never the whole document) and reusing the input buffer,
// then fills the memory the collector freed and checks every kept value
// against the original. A value boxed into
// memory the collector does not scan, or into a slab reused while still
// referenced, shows up here as a wrong or corrupted value.
func TestDecodeUnderGCStress(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	type kept struct {
		doc, field string
		got, want  any
	}
	docs := boxDocs()
	var keep []kept
	var buf []byte
	sizes := map[int]int{} // input lengths: the sizes of the decoders' copies
	rounds := 400
	if testing.Short() {
		rounds = 50
	}
	for round := range rounds {
		for _, c := range docs {
			// A field that differs in length from round to round shifts
			// every later byte, so that memory reused by a later
			// document never holds an earlier one's bytes.
			doc := maps.Clone(c.doc)
			doc["0round"] = strings.Repeat("r", round%17)
			var err error
			if buf, err = AppendDoc(buf[:0], doc); err != nil {
				t.Fatal(err)
			}
			got, err := DecodeDoc(buf)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			clear(buf) // the decoded document must not alias its input
			sizes[len(buf)]++
			// Keep one field per document, a different one each round.
			i := round % len(got)
			for k, x := range got {
				if i == 0 {
					// The key shares the decoder's copy of the input: keep a copy.
					keep = append(keep, kept{c.name, strings.Clone(k), x, doc[k]})
					break
				}
				i--
			}
		}
	}
	// Fill every slot the collector freed in the size classes of the
	// decoded strings, so that a value it freed while still referenced
	// reads as garbage.
	runtime.GC()
	var junk [][]byte
	for n, count := range sizes {
		for range 2 * count {
			junk = append(junk, bytes.Repeat([]byte{0xff}, n))
		}
	}
	for i, k := range keep {
		if !identical(k.got, k.want) {
			t.Fatalf("kept value %d (%s.%s) is %#v after GC, want %#v", i, k.doc, k.field, k.got, k.want)
		}
	}
	runtime.KeepAlive(junk)
}

// TestPureGoBuildImportsNoUnsafe checks that the strata_purego build of
// this package does not import package unsafe, and the default build does
// only in box_unsafe.go.
func TestPureGoBuildImportsNoUnsafe(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		tags []string
		want []string // the files that import unsafe
	}{
		{nil, []string{"box_unsafe.go"}},
		{[]string{"strata_purego"}, nil},
	} {
		ctx := build.Default
		ctx.BuildTags = c.tags
		pkg, err := ctx.ImportDir(".", 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		fset := token.NewFileSet()
		for _, name := range pkg.GoFiles {
			f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				if imp.Path.Value == `"unsafe"` {
					got = append(got, name)
				}
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("tags %v: files importing unsafe %v, want %v", c.tags, got, c.want)
		}
	}
}
