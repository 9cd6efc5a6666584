package value

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Index-key tags. 0x00 ends a string, an array or an object and 0x01 starts
// an object field, so both sort below every value tag.
const (
	keyEnd       = 0x00
	keyField     = 0x01
	keyUndefined = 0x10
	keyNull      = 0x20
	keyInt64     = 0x30
	keyFloat     = 0x40
	keyFalse     = 0x50
	keyTrue      = 0x51
	keyString    = 0x60
	keyBytes     = 0x70
	keyArray     = 0x80
	keyObject    = 0x90

	keyEscape    = 0xFF // 0x00 0xFF is a 0x00 byte inside a string
	keyStringEnd = 0x01 // 0x00 0x01 ends a string
)

// AppendKey appends the index-key encoding of x to dst and returns the
// extended buffer. x may be any value Check accepts, including undefined.
//
// The encoding is order-preserving and prefix-free: for any two such
// values, bytes.Compare(AppendKey(nil, a), AppendKey(nil, b)) ==
// Compare(a, b), and no encoding is a proper prefix of another. So the
// concatenated encodings of tuples of values compare as the tuples do,
// element by element, and a key can be extended without reordering. Equal
// values have equal encodings (IDs encode as strings); NaNs of different
// bits are different values with different encodings.
//
// Layout: a tag byte per kind (undefined 0x10, null 0x20, int64 0x30,
// float64 0x40, false 0x50, true 0x51, string 0x60, bytes 0x70, array
// 0x80, object 0x90), then:
//
//	int64     8 bytes big-endian with the sign bit flipped
//	float64   8 bytes big-endian of the IEEE bits, all bits flipped when
//	          the sign bit is set and only the sign bit set otherwise (IEEE
//	          totalOrder; NaNs keep their bits. Index key format 1 wrote
//	          every NaN as LegacyNaNKey: see KeyHasNaN)
//	string,   the bytes with each 0x00 written as 0x00 0xFF, then 0x00 0x01
//	bytes
//	array     the elements' encodings, then 0x00
//	object    per field in key order: 0x01, the key as a string's payload,
//	          the value's encoding; then 0x00
//
// On error (a value Check rejects) it returns dst unchanged and an *Error.
func AppendKey(dst []byte, x any) ([]byte, error) {
	if _, ok := x.(UndefinedValue); ok {
		return append(dst, keyUndefined), nil
	}
	n := len(dst)
	out, err := appendKey(dst, x, 0)
	if err != nil {
		return dst[:n], err.op("key")
	}
	return out, nil
}

func appendKeyString(dst []byte, s string) []byte {
	for {
		i := indexZero(s)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, 0x00, keyEscape)
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, 0x00, keyStringEnd)
}

func indexZero(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

func appendKey(dst []byte, x any, depth int) ([]byte, *Error) {
	switch v := x.(type) {
	case nil:
		return append(dst, keyNull), nil
	case bool:
		if v {
			return append(dst, keyTrue), nil
		}
		return append(dst, keyFalse), nil
	case int64:
		return binary.BigEndian.AppendUint64(append(dst, keyInt64), uint64(v)^1<<63), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(dst, keyFloat), floatKey(v)), nil
	case string:
		if !validUTF8(v) {
			return dst, newErr(errInvalidUTF8)
		}
		return appendKeyString(append(dst, keyString), v), nil
	case ID:
		if !validUTF8(string(v)) {
			return dst, newErr(errInvalidUTF8)
		}
		return appendKeyString(append(dst, keyString), string(v)), nil
	case []byte:
		dst = append(dst, keyBytes)
		for {
			i := indexZeroBytes(v)
			if i < 0 {
				break
			}
			dst = append(dst, v[:i]...)
			dst = append(dst, 0x00, keyEscape)
			v = v[i+1:]
		}
		dst = append(dst, v...)
		return append(dst, 0x00, keyStringEnd), nil
	case []any:
		if depth >= MaxDepth {
			return dst, newErr(errTooDeep)
		}
		dst = append(dst, keyArray)
		for i, e := range v {
			if _, ok := e.(UndefinedValue); ok {
				return dst, newErr(errUndefInArray).inIndex(i)
			}
			var err *Error
			if dst, err = appendKey(dst, e, depth+1); err != nil {
				return dst, err.inIndex(i)
			}
		}
		return append(dst, keyEnd), nil
	case map[string]any:
		if depth >= MaxDepth {
			return dst, newErr(errTooDeep)
		}
		dst = append(dst, keyObject)
		var buf [16]string
		for _, k := range sortedKeys(v, buf[:0]) {
			if err := checkKey(k); err != nil {
				return dst, err
			}
			e := v[k]
			if _, ok := e.(UndefinedValue); ok {
				return dst, newErr(errUndefInObject).inKey(k)
			}
			dst = appendKeyString(append(dst, keyField), k)
			var err *Error
			if dst, err = appendKey(dst, e, depth+1); err != nil {
				return dst, err.inKey(k)
			}
		}
		return append(dst, keyEnd), nil
	}
	return dst, errUnsupported(x)
}

func indexZeroBytes(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// DecodeKey decodes the first value of an index key written by AppendKey
// and returns it with the rest of b. Values decode to their canonical Go
// form: a string that was an ID decodes as a string; a NaN keeps its bits.
// DecodeKey accepts only canonical encodings, so whatever it decodes
// re-encodes with AppendKey to exactly b[:len(b)-len(rest)] (every float
// bit pattern is canonical, so keys of index key format 1 decode too); it
// returns an error, never panics, on anything else.
func DecodeKey(b []byte) (x any, rest []byte, err error) {
	d := keyDecoder{b: b}
	x, e := d.value(0)
	if e != nil {
		return nil, b, e.op("key")
	}
	return x, b[d.pos:], nil
}

type keyDecoder struct {
	b   []byte
	pos int
}

func (d *keyDecoder) errorf(msg string) *Error {
	return newErr("offset " + strconv.Itoa(d.pos) + ": " + msg)
}

// str decodes an escaped string payload.
func (d *keyDecoder) str() ([]byte, *Error) {
	start := d.pos
	var out []byte
	for i := d.pos; i < len(d.b); i++ {
		if d.b[i] != 0 {
			continue
		}
		if i+1 >= len(d.b) {
			break
		}
		switch d.b[i+1] {
		case keyStringEnd:
			if out == nil {
				out = make([]byte, 0, i-start)
			}
			out = append(out, d.b[start:i]...)
			d.pos = i + 2
			return out, nil
		case keyEscape:
			out = append(out, d.b[start:i+1]...)
			start = i + 2
			i++
		default:
			d.pos = i
			return nil, d.errorf("bad escape in string")
		}
	}
	d.pos = len(d.b)
	return nil, d.errorf("unterminated string")
}

func (d *keyDecoder) value(depth int) (any, *Error) {
	if d.pos >= len(d.b) {
		return nil, d.errorf("truncated key")
	}
	tag := d.b[d.pos]
	d.pos++
	switch tag {
	case keyUndefined:
		return Undef, nil
	case keyNull:
		return nil, nil
	case keyFalse:
		return false, nil
	case keyTrue:
		return true, nil
	case keyInt64, keyFloat:
		if len(d.b)-d.pos < 8 {
			return nil, d.errorf("truncated number")
		}
		u := binary.BigEndian.Uint64(d.b[d.pos:])
		if tag == keyInt64 {
			d.pos += 8
			return int64(u ^ 1<<63), nil
		}
		d.pos += 8
		return floatFromKey(u), nil
	case keyString:
		p, err := d.str()
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(p) {
			return nil, d.errorf(errInvalidUTF8)
		}
		return string(p), nil
	case keyBytes:
		return d.str()
	case keyArray:
		if depth >= MaxDepth {
			return nil, d.errorf(errTooDeep)
		}
		a := []any{}
		for {
			if d.pos < len(d.b) && d.b[d.pos] == keyEnd {
				d.pos++
				return a, nil
			}
			e, err := d.value(depth + 1)
			if err != nil {
				return nil, err.inIndex(len(a))
			}
			if _, ok := e.(UndefinedValue); ok {
				return nil, d.errorf(errUndefInArray).inIndex(len(a))
			}
			a = append(a, e)
		}
	case keyObject:
		if depth >= MaxDepth {
			return nil, d.errorf(errTooDeep)
		}
		m := map[string]any{}
		prev := ""
		for {
			if d.pos >= len(d.b) {
				return nil, d.errorf("truncated object")
			}
			switch d.b[d.pos] {
			case keyEnd:
				d.pos++
				return m, nil
			case keyField:
			default:
				return nil, d.errorf("bad object field marker")
			}
			d.pos++
			start := d.pos
			p, err := d.str()
			if err != nil {
				return nil, err
			}
			k := string(p)
			if len(m) > 0 && k <= prev {
				d.pos = start
				return nil, d.errorf("object key " + quoteTrunc(k) + " out of order or duplicated")
			}
			if err := checkKey(k); err != nil {
				d.pos = start
				return nil, d.errorf(err.Msg)
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err.inKey(k)
			}
			if _, ok := v.(UndefinedValue); ok {
				return nil, d.errorf(errUndefInObject).inKey(k)
			}
			m[k] = v
			prev = k
		}
	}
	d.pos--
	return nil, d.errorf("unknown tag 0x" + strconv.FormatUint(uint64(tag), 16))
}

// PrefixEnd returns the smallest byte string greater than every byte
// string that has prefix b, for use as the exclusive end of a range scan
// over a prefix. It returns nil when there is none (b is empty or all
// 0xFF). b is not modified.
func PrefixEnd(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xFF {
			end := make([]byte, i+1)
			copy(end, b)
			end[i]++
			return end
		}
	}
	return nil
}

// KeyHasNaN reports whether the index key b, a concatenation of AppendKey
// encodings, holds a NaN anywhere (as a value, or inside an array or
// object). Index key format 1 wrote every NaN as LegacyNaNKey, so an entry
// of that format holding a NaN may need its key recomputed from its
// document; an entry without one is the same in both formats. It returns
// an error for a key that does not decode.
func KeyHasNaN(b []byte) (bool, error) {
	for len(b) > 0 {
		x, rest, err := DecodeKey(b)
		if err != nil {
			return false, err
		}
		if hasNaN(x) {
			return true, nil
		}
		b = rest
	}
	return false, nil
}

func hasNaN(x any) bool {
	switch v := x.(type) {
	case float64:
		return v != v
	case []any:
		for _, e := range v {
			if hasNaN(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasNaN(e) {
				return true
			}
		}
	}
	return false
}
