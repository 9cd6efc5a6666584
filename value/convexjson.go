package value

import (
	"encoding/base64"
	"encoding/binary"
)

// Convex's JSON encoding of values ("convex_encoded_json", what Convex's
// clients send and read) differs from strata's JSON form only in three
// tagged forms, whose text is standard padded base64 of 8 little-endian
// bytes:
//
//	int64      {"$integer": "<base64 of the 8 bytes of the two's complement>"}
//	float64    a plain number, except NaN, ±Infinity and -0:
//	           {"$float": "<base64 of the 8 bytes of the IEEE 754 bits>"}
//	bytes      {"$bytes": "<base64>"} (the same as strata's)
//
// The two forms cannot be confused: base64 of 8 bytes is 12 characters
// ending in "=", which is neither a decimal integer nor one of "NaN",
// "Infinity", "-Infinity" and "-0". ParseJSON therefore reads both;
// ParseConvexJSON reads only Convex's. Convex's form keeps a NaN's sign
// and payload; strata's JSON form writes math.NaN() as {"$float":"NaN"}
// and any other NaN in the base64 form, so that no NaN changes bits
// through an export and an import.

// goNaN is the bits of math.NaN(), written {"$float":"NaN"}.
const goNaN = 0x7FF8000000000001

// AppendConvexJSON appends the Convex JSON encoding of x to dst: like
// AppendJSON (keys sorted, IDs as strings, the same checks and errors),
// but int64 as {"$integer": base64} and NaN, ±Infinity and -0 as
// {"$float": base64}, exactly as Convex's convexToJson writes them.
func AppendConvexJSON(dst []byte, x any) ([]byte, error) {
	out, err := appendJSON(dst, x, 0, true)
	if err != nil {
		return dst, err.op("convex json")
	}
	return out, nil
}

// MarshalConvexJSON returns the Convex JSON encoding of x; see
// AppendConvexJSON.
func MarshalConvexJSON(x any) ([]byte, error) {
	return AppendConvexJSON(nil, x)
}

// ParseConvexJSON parses exactly one value in Convex's JSON encoding, as
// Convex's jsonToConvex does: like ParseJSON, but $integer and $float
// must be base64 of 8 little-endian bytes, and a $float must be NaN,
// ±Infinity or -0 (other floats are plain numbers). A NaN keeps its bits.
func ParseConvexJSON(b []byte) (any, error) {
	p := jsonParser{b: b, convex: true}
	p.space()
	x, err := p.value(0)
	if err == nil {
		p.space()
		if p.pos < len(p.b) {
			err = p.errorf("unexpected data after the value")
		}
	}
	if err != nil {
		return nil, err.op("convex json")
	}
	return x, nil
}

// appendConvexBits appends {"TAG":"<base64 of bits, little-endian>"}.
func appendConvexBits(dst []byte, tag string, bits uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], bits)
	dst = append(dst, `{"`...)
	dst = append(dst, tag...)
	dst = append(dst, `":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, b[:])
	return append(dst, `"}`...)
}

// convexBits decodes s if it is strict, padded base64 of exactly 8 bytes.
func convexBits(s string) (uint64, bool) {
	if len(s) != 12 || s[11] != '=' {
		return 0, false
	}
	var b [9]byte
	n, err := base64.StdEncoding.Strict().Decode(b[:], []byte(s))
	if err != nil || n != 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:8]), true
}
