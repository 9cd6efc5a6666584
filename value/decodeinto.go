package value

import (
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// DecodeDocInto decodes the document encoding b (as DecodeDoc reads it)
// straight into the Go value dst points to, in one pass: no map, no boxed
// values in between. When it reports true, *dst holds exactly what
// DecodeDoc followed by Assign would have stored, strings included (they
// share one copy of b, as DecodeDoc's do).
//
// It reports false when it does not handle the input, and then *dst may
// hold part of a result: b is not one valid encoding of a document, the
// document does not fit dst's type (anything DecodeDoc or Assign reports
// as an error), dst is not a non-nil pointer, or the nesting comes within
// reach of MaxDepth. The caller then takes the map path, DecodeDoc and
// Assign, which gives the result or the error; so the errors of both
// paths are the map path's by construction. It never panics.
//
// The plan for each Go type (which object key goes where, and how each
// field is read) is built once and cached, from the fields StructFields
// reports.
func DecodeDocInto(b []byte, dst any) bool {
	if len(b) < 2 || b[0] != CodecVersion || b[1] != tagObject {
		return false
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	d := decoder{b: b, pos: 1}
	return d.into(nodeFor(rv.Type().Elem()), rv.Elem(), 0, 0) && d.pos == len(b)
}

// nodeKind says how a node reads a value into its Go type.
type nodeKind uint8

const (
	nGeneric nodeKind = iota // decode the value, then assign it
	nBool
	nInt     // signed integer kinds
	nUint    // unsigned integer kinds
	nFloat64 // float64 kinds
	nFloat32 // float32 kinds
	nString  // string kinds (ID included)
	nBytes   // slices of a byte kind
	nSlice   // other slices
	nArray
	nPointer
	nStruct
	nMap // maps with string-kind keys, except map[string]any
)

// node is the plan for reading a value into the Go type t.
type node struct {
	kind nodeKind
	t    reflect.Type
	elem *node       // nSlice, nArray, nPointer
	plan *structPlan // nStruct
}

// structPlan is the plan for a struct type: its fields by object key, in
// key order (the order of a record's keys), or bad for a type whose tags
// StructFields rejects.
type structPlan struct {
	fields []planField
	bad    bool
}

type planField struct {
	name  string
	index []int
	node  *node
}

var nodeCache sync.Map // reflect.Type → *node

// nodeFor returns the cached plan for t, building it (and the plans of
// the types it contains) at the first use.
func nodeFor(t reflect.Type) *node {
	if n, ok := nodeCache.Load(t); ok {
		return n.(*node)
	}
	built := map[reflect.Type]*node{}
	n := buildNode(t, built)
	for bt, bn := range built {
		if bt != t {
			nodeCache.LoadOrStore(bt, bn)
		}
	}
	x, _ := nodeCache.LoadOrStore(t, n)
	return x.(*node)
}

// buildNode builds the plan for t; built holds the plans under
// construction, so that a recursive type refers to its own plan.
func buildNode(t reflect.Type, built map[reflect.Type]*node) *node {
	if n, ok := built[t]; ok {
		return n
	}
	if x, ok := nodeCache.Load(t); ok {
		return x.(*node)
	}
	n := &node{t: t}
	built[t] = n
	switch t.Kind() {
	case reflect.Bool:
		n.kind = nBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.kind = nInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n.kind = nUint
	case reflect.Float64:
		n.kind = nFloat64
	case reflect.Float32:
		n.kind = nFloat32
	case reflect.String:
		n.kind = nString
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			n.kind = nBytes
		} else {
			n.kind, n.elem = nSlice, buildNode(t.Elem(), built)
		}
	case reflect.Array:
		n.kind, n.elem = nArray, buildNode(t.Elem(), built)
	case reflect.Pointer:
		n.kind, n.elem = nPointer, buildNode(t.Elem(), built)
	case reflect.Map:
		if t.Key().Kind() == reflect.String && t != typeMapAny {
			n.kind, n.elem = nMap, buildNode(t.Elem(), built)
		}
	case reflect.Struct:
		if t == typeTime {
			break // never fits: Assign reports the mismatch
		}
		n.kind, n.plan = nStruct, &structPlan{}
		info := structFields(t)
		if info.err != nil {
			n.plan.bad = true
			break
		}
		for _, f := range info.fields {
			n.plan.fields = append(n.plan.fields, planField{name: f.Name, index: f.Index, node: buildNode(f.Type, built)})
		}
		slices.SortFunc(n.plan.fields, func(a, b planField) int { return strings.Compare(a.name, b.name) })
	}
	// Interfaces, map[string]any (which the decoder builds) and the kinds
	// Assign refuses stay nGeneric.
	return n
}

// into reads the value at d.pos into rv following n. dd is the nesting
// depth the decoder would be at, ad the depth Assign would be at (which
// pointers deepen too); false means the map path must decide.
func (d *decoder) into(n *node, rv reflect.Value, dd, ad int) bool {
	if ad >= MaxDepth || d.pos >= len(d.b) {
		return false
	}
	tag := d.b[d.pos]
	switch n.kind {
	case nGeneric:
		x, err := d.value(dd)
		return err == nil && assign(x, rv, ad) == nil
	case nPointer:
		if tag == tagNull {
			d.pos++
			rv.SetZero()
			return true
		}
		if rv.IsNil() {
			rv.Set(reflect.New(n.t.Elem()))
		}
		return d.into(n.elem, rv.Elem(), dd, ad+1)
	}
	d.pos++
	switch n.kind {
	case nBool:
		switch tag {
		case tagTrue:
			rv.SetBool(true)
			return true
		case tagFalse:
			rv.SetBool(false)
			return true
		}
	case nInt:
		if tag != tagInt64 {
			return false
		}
		v, ok := d.int64()
		if !ok || rv.OverflowInt(v) {
			return false
		}
		rv.SetInt(v)
		return true
	case nUint:
		if tag != tagInt64 {
			return false
		}
		v, ok := d.int64()
		if !ok || v < 0 || rv.OverflowUint(uint64(v)) {
			return false
		}
		rv.SetUint(uint64(v))
		return true
	case nFloat64, nFloat32:
		if tag != tagFloat || len(d.b)-d.pos < 8 {
			return false
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.pos:]))
		d.pos += 8
		if n.kind == nFloat32 && rv.OverflowFloat(v) {
			return false
		}
		rv.SetFloat(v)
		return true
	case nString:
		if tag != tagString && tag != tagID {
			return false
		}
		s, ok := d.string()
		if !ok {
			return false
		}
		rv.SetString(s)
		return true
	case nBytes:
		switch tag {
		case tagNull:
			rv.SetZero()
			return true
		case tagBytes:
			k, err := d.length("bytes length", 1)
			if err != nil {
				return false
			}
			p := make([]byte, k)
			copy(p, d.b[d.pos:])
			d.pos += k
			rv.SetBytes(p)
			return true
		}
	case nSlice:
		switch tag {
		case tagNull:
			rv.SetZero()
			return true
		case tagArray:
			k, ok := d.arrayLen(dd)
			if !ok {
				return false
			}
			if n.t == typeStrings {
				return d.strings(k, rv, dd, ad)
			}
			s := reflect.MakeSlice(n.t, k, k)
			for i := range k {
				if !d.into(n.elem, s.Index(i), dd+1, ad+1) {
					return false
				}
			}
			rv.Set(s)
			return true
		}
	case nArray:
		if tag != tagArray {
			return false
		}
		k, ok := d.arrayLen(dd)
		if !ok || k != n.t.Len() {
			return false
		}
		for i := range k {
			if !d.into(n.elem, rv.Index(i), dd+1, ad+1) {
				return false
			}
		}
		return true
	case nStruct:
		return tag == tagObject && dd < MaxDepth && d.structInto(n.plan, rv, dd, ad)
	case nMap:
		switch tag {
		case tagNull:
			rv.SetZero()
			return true
		case tagObject:
			return dd < MaxDepth && d.mapInto(n, rv, dd, ad)
		}
	}
	return false
}

var (
	typeMapFloat64 = reflect.TypeFor[map[string]float64]()
	typeMapString  = reflect.TypeFor[map[string]string]()
	typeMapInt64   = reflect.TypeFor[map[string]int64]()
)

// mapInto reads the object at d.pos (after its tag) into a new map of
// rv's type, as assign stores a decoded object into a map.
func (d *decoder) mapInto(n *node, rv reflect.Value, dd, ad int) bool {
	k, err := d.length("object size", 3)
	if err != nil {
		return false
	}
	switch n.t {
	case typeMapFloat64:
		return mapOf[float64](d, n, k, rv, dd, ad)
	case typeMapString:
		return mapOf[string](d, n, k, rv, dd, ad)
	case typeMapInt64:
		return mapOf[int64](d, n, k, rv, dd, ad)
	}
	m := reflect.MakeMapWithSize(n.t, k)
	kv := reflect.New(n.t.Key()).Elem()
	ev := reflect.New(n.t.Elem()).Elem()
	prev := ""
	for i := range k {
		key, ok := d.key(i, prev)
		if !ok {
			return false
		}
		prev = key
		ev.SetZero()
		if !d.into(n.elem, ev, dd+1, ad+1) {
			return false
		}
		kv.SetString(key)
		m.SetMapIndex(kv, ev)
	}
	rv.Set(m)
	return true
}

// mapOf is mapInto for map[string]V, without reflection per entry.
func mapOf[V any](d *decoder, n *node, k int, rv reflect.Value, dd, ad int) bool {
	m := make(map[string]V, k)
	var v V
	ev := reflect.ValueOf(&v).Elem()
	prev := ""
	for i := range k {
		key, ok := d.key(i, prev)
		if !ok {
			return false
		}
		prev = key
		ev.SetZero()
		if !d.into(n.elem, ev, dd+1, ad+1) {
			return false
		}
		m[key] = v
	}
	rv.Set(reflect.ValueOf(m))
	return true
}

// int64 reads the payload of an int64.
func (d *decoder) int64() (int64, bool) {
	u, ok := d.uvarint()
	return int64(u>>1) ^ -int64(u&1), ok
}

// string reads the payload of a string or an id.
func (d *decoder) string() (string, bool) {
	k, err := d.length("string length", 1)
	if err != nil {
		return "", false
	}
	s := d.str(k)
	return s, validUTF8(s)
}

// arrayLen reads the element count of an array at depth dd.
func (d *decoder) arrayLen(dd int) (int, bool) {
	if dd >= MaxDepth {
		return 0, false
	}
	k, err := d.length("array length", 1)
	return k, err == nil
}

// strings reads k elements into a new []string, rv's type.
func (d *decoder) strings(k int, rv reflect.Value, dd, ad int) bool {
	if ad+1 >= MaxDepth {
		return false
	}
	out := make([]string, k)
	for i := range out {
		if d.pos >= len(d.b) || d.b[d.pos] != tagString && d.b[d.pos] != tagID {
			return false
		}
		d.pos++
		s, ok := d.string()
		if !ok {
			return false
		}
		out[i] = s
	}
	rv.Set(reflect.ValueOf(out))
	return true
}

// structInto reads the object at d.pos (after its tag) into the struct rv,
// as assignStruct stores a decoded object: rv is zeroed, each key with a
// field goes to it, the others are checked and skipped.
func (d *decoder) structInto(p *structPlan, rv reflect.Value, dd, ad int) bool {
	if p.bad {
		return false
	}
	rv.SetZero()
	k, err := d.length("object size", 3)
	if err != nil {
		return false
	}
	prev, j := "", 0
	for i := range k {
		key, ok := d.key(i, prev)
		if !ok {
			return false
		}
		prev = key
		for j < len(p.fields) && p.fields[j].name < key {
			j++
		}
		if j == len(p.fields) || p.fields[j].name != key {
			if !d.skip(dd + 1) {
				return false
			}
			continue
		}
		f := &p.fields[j]
		fv := rv.Field(f.index[0])
		for _, x := range f.index[1:] {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					if !fv.CanSet() {
						return false
					}
					fv.Set(reflect.New(fv.Type().Elem()))
				}
				fv = fv.Elem()
			}
			fv = fv.Field(x)
		}
		if !d.into(f.node, fv, dd+1, ad+1) {
			return false
		}
	}
	return true
}

// key reads the i-th key of an object, whose previous key was prev, and
// checks it as the decoder does.
func (d *decoder) key(i int, prev string) (string, bool) {
	kn, err := d.length("key length", 1)
	if err != nil {
		return "", false
	}
	key := d.str(kn)
	return key, (i == 0 || key > prev) && checkKey(key) == nil
}

// skip checks the value at d.pos exactly as value would, without building
// it, and steps over it.
func (d *decoder) skip(depth int) bool {
	if d.pos >= len(d.b) {
		return false
	}
	tag := d.b[d.pos]
	d.pos++
	switch tag {
	case tagNull, tagFalse, tagTrue:
		return true
	case tagInt64:
		_, ok := d.uvarint()
		return ok
	case tagFloat:
		if len(d.b)-d.pos < 8 {
			return false
		}
		d.pos += 8
		return true
	case tagString, tagID:
		k, err := d.length("string length", 1)
		if err != nil {
			return false
		}
		d.pos += k
		return utf8.Valid(d.b[d.pos-k : d.pos])
	case tagBytes:
		k, err := d.length("bytes length", 1)
		if err != nil {
			return false
		}
		d.pos += k
		return true
	case tagArray:
		k, ok := d.arrayLen(depth)
		if !ok {
			return false
		}
		for range k {
			if !d.skip(depth + 1) {
				return false
			}
		}
		return true
	case tagObject:
		if depth >= MaxDepth {
			return false
		}
		k, err := d.length("object size", 3)
		if err != nil {
			return false
		}
		prev := ""
		for i := range k {
			key, ok := d.key(i, prev)
			if !ok || !d.skip(depth+1) {
				return false
			}
			prev = key
		}
		return true
	}
	return false
}
