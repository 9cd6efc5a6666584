//go:build !strata_purego

package value

import "unsafe"

// In this build strings, numbers and array headers are taken from slabs and
// boxed by building interfaces that point into them. A slab element is
// never written again once handed out, so an interface observes an
// immutable value exactly as if the runtime had boxed it.

// eface is the layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeOf(x any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&x)).typ }

var (
	stringType  = typeOf("")
	float64Type = typeOf(float64(0))
	int64Type   = typeOf(int64(0))
	idType      = typeOf(ID(""))
	arrayType   = typeOf([]any(nil))
)

// slab is the first allocation of a boxer, sized for a typical document.
type slab struct {
	strs  [8]string
	nums  [4]uint64
	elems [8]any
	hdrs  [2][]any
}

// boxer hands out boxed values from slabs. Its zero value is ready to use.
// With plain set it forwards to p instead (the benchmarks' reference).
type boxer struct {
	strs  []string
	nums  []uint64
	elems []any
	hdrs  [][]any
	init  bool
	plain bool
	p     plainBoxer
}

// newPlainBoxer returns a boxer that boxes the ordinary way.
func newPlainBoxer() boxer { return boxer{plain: true} }

func (bx *boxer) start() {
	s := new(slab)
	bx.strs, bx.nums, bx.elems, bx.hdrs = s.strs[:0], s.nums[:0], s.elems[:0], s.hdrs[:0]
	bx.init = true
}

func box(typ, p unsafe.Pointer) any {
	return *(*any)(unsafe.Pointer(&eface{typ, p}))
}

// str boxes s as a string. limit bounds the size of a new slab here and in
// the other boxing methods.
func (bx *boxer) str(s string, limit int) any {
	if bx.plain {
		return bx.p.str(s, limit)
	}
	return bx.string(stringType, s, limit)
}

// id boxes s as an ID.
func (bx *boxer) id(s string, limit int) any {
	if bx.plain {
		return bx.p.id(s, limit)
	}
	return bx.string(idType, s, limit)
}

// float boxes the float64 whose bits are u.
func (bx *boxer) float(u uint64, limit int) any {
	if bx.plain {
		return bx.p.float(u, limit)
	}
	return bx.number(float64Type, u, limit)
}

// int boxes the int64 whose bits are u.
func (bx *boxer) int(u uint64, limit int) any {
	if bx.plain {
		return bx.p.int(u, limit)
	}
	return bx.number(int64Type, u, limit)
}

// string boxes s as a value of the type typ, which must be stringType or
// idType.
func (bx *boxer) string(typ unsafe.Pointer, s string, limit int) any {
	if !bx.init {
		bx.start()
	}
	if len(bx.strs) == cap(bx.strs) {
		bx.strs = make([]string, 0, min(2*cap(bx.strs), 64, max(limit, 1)))
	}
	bx.strs = append(bx.strs, s)
	return box(typ, unsafe.Pointer(&bx.strs[len(bx.strs)-1]))
}

// number boxes the 8 bytes u as a value of the type typ, which must be
// float64Type or int64Type.
func (bx *boxer) number(typ unsafe.Pointer, u uint64, limit int) any {
	if !bx.init {
		bx.start()
	}
	if len(bx.nums) == cap(bx.nums) {
		bx.nums = make([]uint64, 0, min(2*cap(bx.nums), 64, max(limit, 1)))
	}
	bx.nums = append(bx.nums, u)
	return box(typ, unsafe.Pointer(&bx.nums[len(bx.nums)-1]))
}

// array returns a new []any of length and capacity n.
func (bx *boxer) array(n int) []any {
	if bx.plain {
		return bx.p.array(n)
	}
	if !bx.init {
		bx.start()
	}
	if k := len(bx.elems); n <= cap(bx.elems)-k {
		bx.elems = bx.elems[:k+n]
		return bx.elems[k : k+n : k+n]
	}
	return make([]any, n)
}

// boxArray boxes a.
func (bx *boxer) boxArray(a []any) any {
	if bx.plain {
		return bx.p.boxArray(a)
	}
	if len(bx.hdrs) == cap(bx.hdrs) {
		return a
	}
	bx.hdrs = append(bx.hdrs, a)
	return box(arrayType, unsafe.Pointer(&bx.hdrs[len(bx.hdrs)-1]))
}

// transientString returns b as a string without copying; the caller must
// not retain it past a change of b.
func transientString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
