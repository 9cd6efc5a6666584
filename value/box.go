package value

import "math"

// Boxing a string or a float64 into an interface, or allocating a small
// array, costs an allocation per value. The decoders box through a boxer,
// whose implementation depends on the build: box_unsafe.go (the default)
// takes strings, numbers and arrays from slabs (one allocation for many
// values) and builds interfaces that point into them with package unsafe;
// box_purego.go (build tag strata_purego) is plainBoxer, which boxes
// strings and numbers the ordinary way, one allocation each. Both give the
// same values; docs/decisions.md has the measured difference.

// plainBoxer boxes values without package unsafe. Arrays come from a slab
// of elements, capped in capacity so that appending to one cannot overwrite
// another. Its zero value is ready to use.
type plainBoxer struct {
	elems []any
}

// str boxes s as a string. limit bounds the size of a new slab here and in
// the other boxing methods.
func (bx *plainBoxer) str(s string, _ int) any { return s }

// id boxes s as an ID.
func (bx *plainBoxer) id(s string, _ int) any { return ID(s) }

// float boxes the float64 whose bits are u.
func (bx *plainBoxer) float(u uint64, _ int) any { return math.Float64frombits(u) }

// int boxes the int64 whose bits are u.
func (bx *plainBoxer) int(u uint64, _ int) any { return int64(u) }

// array returns a new []any of length and capacity n.
func (bx *plainBoxer) array(n int) []any {
	if bx.elems == nil {
		bx.elems = make([]any, 0, 8)
	}
	if k := len(bx.elems); n <= cap(bx.elems)-k {
		bx.elems = bx.elems[:k+n]
		return bx.elems[k : k+n : k+n]
	}
	return make([]any, n)
}

// boxArray boxes a.
func (bx *plainBoxer) boxArray(a []any) any { return a }
