package value

import "unsafe"

// Boxing a string or a float64 into an interface costs an allocation per
// value. The decoders instead store such values in slabs (one allocation for
// many values) and build interfaces that point into them. A slab element is
// never written again once boxed, so the interface observes an immutable
// value exactly as if the runtime had boxed it.

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
)

// boxer boxes strings and 8-byte numbers into slabs.
type boxer struct {
	strs []string
	nums []uint64
}

// string boxes s as a value of the type typ, which must be stringType or
// idType.
func (bx *boxer) string(typ unsafe.Pointer, s string, limit int) any {
	if len(bx.strs) == cap(bx.strs) {
		n := min(max(2*cap(bx.strs), 8), 64, max(limit, 1))
		bx.strs = make([]string, 0, n)
	}
	bx.strs = append(bx.strs, s)
	p := &bx.strs[len(bx.strs)-1]
	return *(*any)(unsafe.Pointer(&eface{typ, unsafe.Pointer(p)}))
}

func (bx *boxer) number(typ unsafe.Pointer, u uint64, limit int) any {
	if len(bx.nums) == cap(bx.nums) {
		n := min(max(2*cap(bx.nums), 4), 64, max(limit, 1))
		bx.nums = make([]uint64, 0, n)
	}
	bx.nums = append(bx.nums, u)
	p := &bx.nums[len(bx.nums)-1]
	return *(*any)(unsafe.Pointer(&eface{typ, unsafe.Pointer(p)}))
}

// unsafeString returns b as a string without copying; the caller must not
// retain it past a change of b.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
