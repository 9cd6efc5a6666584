package value

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// CodecVersion is the format version written as the first byte of every
// encoding made by AppendDoc, EncodeDoc and Encode. Decoders reject any
// other version.
const CodecVersion = 1

// Value tags of codec version 1. Each value is a tag byte followed by its
// payload:
//
//	null, false, true   no payload
//	int64               zigzag uvarint
//	float64             8 bytes, IEEE 754 bits, little-endian
//	string, id, bytes   uvarint length, then the bytes
//	array               uvarint count, then the elements
//	object              uvarint count, then per field (sorted by key,
//	                    strictly increasing): uvarint key length, key
//	                    bytes, value
const (
	tagNull   = 0x01
	tagFalse  = 0x02
	tagTrue   = 0x03
	tagInt64  = 0x04
	tagFloat  = 0x05
	tagString = 0x06
	tagID     = 0x07
	tagBytes  = 0x08
	tagArray  = 0x09
	tagObject = 0x0A
)

// AppendDoc appends the binary encoding of the document doc to dst and
// returns the extended buffer. The encoding is a version byte
// (CodecVersion) followed by doc encoded as an object value. It is lossless
// (an ID stays an ID, int64 and float64 stay distinct, floats keep their
// exact bits including -0 and NaN payloads) and deterministic: fields are
// written in key order, so documents holding the same Go values (floats
// of the same bits) encode to equal bytes. AppendDoc validates doc as Check does (undefined is not allowed
// anywhere) and on error returns dst unchanged and an *Error with the path.
func AppendDoc(dst []byte, doc map[string]any) ([]byte, error) {
	n := len(dst)
	dst = append(dst, CodecVersion)
	out, err := appendValue(dst, doc, 0)
	if err != nil {
		return dst[:n], err.op("encode")
	}
	return out, nil
}

// EncodeDoc returns the binary encoding of doc; see AppendDoc.
func EncodeDoc(doc map[string]any) ([]byte, error) {
	return AppendDoc(make([]byte, 0, 256), doc)
}

// Encode returns the binary encoding of a single value x (any kind except
// undefined), in the same format as EncodeDoc: a version byte then the
// value. It validates x as Check does.
func Encode(x any) ([]byte, error) {
	if _, ok := x.(UndefinedValue); ok {
		return nil, newErr("undefined cannot be encoded").op("encode")
	}
	out, err := appendValue(append(make([]byte, 0, 64), CodecVersion), x, 0)
	if err != nil {
		return nil, err.op("encode")
	}
	return out, nil
}

func appendUvarint(dst []byte, u uint64) []byte {
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

func appendValue(dst []byte, x any, depth int) ([]byte, *Error) {
	switch v := x.(type) {
	case nil:
		return append(dst, tagNull), nil
	case bool:
		if v {
			return append(dst, tagTrue), nil
		}
		return append(dst, tagFalse), nil
	case int64:
		return appendUvarint(append(dst, tagInt64), uint64(v<<1)^uint64(v>>63)), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(dst, tagFloat), math.Float64bits(v)), nil
	case string:
		if !utf8.ValidString(v) {
			return dst, newErr(errInvalidUTF8)
		}
		dst = appendUvarint(append(dst, tagString), uint64(len(v)))
		return append(dst, v...), nil
	case ID:
		if !utf8.ValidString(string(v)) {
			return dst, newErr(errInvalidUTF8)
		}
		dst = appendUvarint(append(dst, tagID), uint64(len(v)))
		return append(dst, v...), nil
	case []byte:
		dst = appendUvarint(append(dst, tagBytes), uint64(len(v)))
		return append(dst, v...), nil
	case []any:
		if depth >= MaxDepth {
			return dst, newErr(errTooDeep)
		}
		dst = appendUvarint(append(dst, tagArray), uint64(len(v)))
		for i, e := range v {
			if _, ok := e.(UndefinedValue); ok {
				return dst, newErr(errUndefInArray).inIndex(i)
			}
			var err *Error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, err.inIndex(i)
			}
		}
		return dst, nil
	case map[string]any:
		if depth >= MaxDepth {
			return dst, newErr(errTooDeep)
		}
		dst = appendUvarint(append(dst, tagObject), uint64(len(v)))
		var buf [32]string
		keys := buf[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := checkKey(k); err != nil {
				return dst, err
			}
			e := v[k]
			if _, ok := e.(UndefinedValue); ok {
				return dst, newErr(errUndefInObject).inKey(k)
			}
			dst = appendUvarint(dst, uint64(len(k)))
			dst = append(dst, k...)
			var err *Error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, err.inKey(k)
			}
		}
		return dst, nil
	}
	return dst, errUnsupported(x)
}

// DecodeDoc decodes a document encoded by AppendDoc or EncodeDoc. It
// returns an error, never panics, for input that is not exactly one valid
// encoding of an object: an unknown version, a truncated or corrupt
// encoding, trailing bytes, object keys out of order or duplicated, keys
// that Check rejects, invalid UTF-8, nesting deeper than MaxDepth. Lengths
// and counts are checked against the remaining input before anything is
// allocated, so hostile input cannot make it allocate much more than its own
// size.
//
// The strings of the result (keys and values) share one allocation holding
// a copy of b, kept alive while any of them is reachable; b itself is not
// retained and may be reused by the caller. For speed, strings and numbers
// are boxed into shared slabs rather than one allocation each, unless built
// with the strata_purego tag (see the package documentation).
func DecodeDoc(b []byte) (map[string]any, error) {
	if len(b) > 1 && b[1] != tagObject && b[0] == CodecVersion {
		return nil, (&Error{Msg: "not a document: top-level value is not an object"}).op("decode")
	}
	x, err := Decode(b)
	if err != nil {
		return nil, err
	}
	return x.(map[string]any), nil
}

// Decode decodes a single value encoded by Encode (or a document encoded by
// EncodeDoc, as a map[string]any). IDs decode as ID, integers as int64,
// floats as float64 with their exact bits. It rejects the same inputs as
// DecodeDoc.
func Decode(b []byte) (any, error) {
	return decode(b, boxer{})
}

// decode is Decode boxing with bx.
func decode(b []byte, bx boxer) (any, error) {
	if len(b) == 0 {
		return nil, newErr("empty input").op("decode")
	}
	if b[0] != CodecVersion {
		return nil, newErr("unknown codec version " + strconv.Itoa(int(b[0]))).op("decode")
	}
	d := decoder{b: b, pos: 1, bx: bx}
	x, err := d.value(0)
	if err != nil {
		return nil, err.op("decode")
	}
	if d.pos != len(b) {
		return nil, newErr(strconv.Itoa(len(b)-d.pos) + " trailing bytes at offset " + strconv.Itoa(d.pos)).op("decode")
	}
	return x, nil
}

type decoder struct {
	b   []byte
	s   string // a copy of b as a string, made at the first string
	pos int
	bx  boxer
}

func (d *decoder) errorf(msg string) *Error {
	return newErr("offset " + strconv.Itoa(d.pos) + ": " + msg)
}

// uvarint reads a uvarint.
func (d *decoder) uvarint() (uint64, bool) {
	if d.pos < len(d.b) && d.b[d.pos] < 0x80 {
		u := uint64(d.b[d.pos])
		d.pos++
		return u, true
	}
	u, n := binary.Uvarint(d.b[d.pos:])
	if n <= 0 {
		return 0, false
	}
	d.pos += n
	return u, true
}

// length reads a uvarint length of at most the remaining input divided by
// per, the least number of bytes each unit takes.
func (d *decoder) length(what string, per int) (int, *Error) {
	u, ok := d.uvarint()
	if !ok {
		return 0, d.errorf("bad " + what)
	}
	if u > uint64((len(d.b)-d.pos)/per) {
		return 0, d.errorf(what + " " + strconv.FormatUint(u, 10) + " exceeds the remaining input")
	}
	return int(u), nil
}

// str returns the n bytes at d.pos as a string sharing d.s.
func (d *decoder) str(n int) string {
	if d.s == "" {
		d.s = string(d.b)
	}
	s := d.s[d.pos : d.pos+n]
	d.pos += n
	return s
}

func (d *decoder) value(depth int) (any, *Error) {
	if d.pos >= len(d.b) {
		return nil, d.errorf("truncated input")
	}
	tag := d.b[d.pos]
	d.pos++
	switch tag {
	case tagNull:
		return nil, nil
	case tagFalse:
		return false, nil
	case tagTrue:
		return true, nil
	case tagInt64:
		u, ok := d.uvarint()
		if !ok {
			return nil, d.errorf("bad int64")
		}
		v := int64(u>>1) ^ -int64(u&1)
		if uint64(v) < 256 {
			return v, nil // boxed without allocation by the runtime
		}
		return d.bx.int(uint64(v), (len(d.b)-d.pos)/2+1), nil
	case tagFloat:
		if len(d.b)-d.pos < 8 {
			return nil, d.errorf("truncated float64")
		}
		u := binary.LittleEndian.Uint64(d.b[d.pos:])
		d.pos += 8
		return d.bx.float(u, (len(d.b)-d.pos)/9+1), nil
	case tagString, tagID:
		n, err := d.length("string length", 1)
		if err != nil {
			return nil, err
		}
		s := d.str(n)
		if !validUTF8(s) {
			d.pos -= n
			return nil, d.errorf(errInvalidUTF8)
		}
		if tag == tagID {
			return d.bx.id(s, (len(d.b)-d.pos)/2+1), nil
		}
		return d.bx.str(s, (len(d.b)-d.pos)/2+1), nil
	case tagBytes:
		n, err := d.length("bytes length", 1)
		if err != nil {
			return nil, err
		}
		p := make([]byte, n)
		copy(p, d.b[d.pos:])
		d.pos += n
		return p, nil
	case tagArray:
		if depth >= MaxDepth {
			return nil, d.errorf(errTooDeep)
		}
		n, err := d.length("array length", 1)
		if err != nil {
			return nil, err
		}
		a := d.bx.array(n)
		for i := range a {
			if a[i], err = d.value(depth + 1); err != nil {
				return nil, err.inIndex(i)
			}
		}
		return d.bx.boxArray(a), nil
	case tagObject:
		if depth >= MaxDepth {
			return nil, d.errorf(errTooDeep)
		}
		return d.object(depth)
	}
	d.pos--
	return nil, d.errorf("unknown tag 0x" + strconv.FormatUint(uint64(tag), 16))
}

func (d *decoder) object(depth int) (any, *Error) {
	// Each field takes at least 3 bytes: key length, key, value tag.
	n, err := d.length("object size", 3)
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, n)
	prev := ""
	for i := 0; i < n; i++ {
		kn, err := d.length("key length", 1)
		if err != nil {
			return nil, err
		}
		start := d.pos
		k := d.str(kn)
		if i > 0 && k <= prev {
			d.pos = start
			if k == prev {
				return nil, d.errorf("duplicate object key " + quoteTrunc(k))
			}
			return nil, d.errorf("object key " + quoteTrunc(k) + " out of order")
		}
		if err := checkKey(k); err != nil {
			d.pos = start
			return nil, d.errorf(err.Msg)
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err.inKey(k)
		}
		m[k] = v
		prev = k
	}
	return m, nil
}

// validUTF8 is utf8.ValidString with a fast path for short ASCII strings,
// the common case for field values.
func validUTF8(s string) bool {
	if len(s) <= 32 {
		var or byte
		for i := 0; i < len(s); i++ {
			or |= s[i]
		}
		if or < utf8.RuneSelf {
			return true
		}
	}
	return utf8.ValidString(s)
}
