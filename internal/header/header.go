// Package header reads and writes the header of a stored document record:
// the shape of its table the record was written under.
//
// A record is either a plain document encoding (value.AppendDoc, whose
// first byte is the codec version, 0x01) — a record of shape 0, as every
// record written before shapes existed is — or the byte Mark, the shape
// as a uvarint, then the document encoding. So databases written before
// shapes are read without a rewrite, and a shape-0 record costs no byte.
package header

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Mark is the first byte of a record with a shape header. It differs from
// every codec version byte, so a plain encoding is never mistaken for it.
const Mark = 0x02

// MaxShape bounds a shape number; a larger one is a corrupt header.
const MaxShape = 1 << 40

// Append appends the header of a record of shape to dst: nothing
// for shape 0.
func Append(dst []byte, shape uint64) []byte {
	if shape == 0 {
		return dst
	}
	return binary.AppendUvarint(append(dst, Mark), shape)
}

// ErrHeader is the error Split wraps for a malformed header.
var ErrHeader = errors.New("header: malformed shape header")

// Split returns the shape of the record b and its document encoding (a
// sub-slice of b).
func Split(b []byte) (shape uint64, doc []byte, err error) {
	if len(b) == 0 || b[0] != Mark {
		return 0, b, nil
	}
	shape, n := binary.Uvarint(b[1:])
	if n <= 0 || shape == 0 || shape > MaxShape || n != len(binary.AppendUvarint(nil, shape)) {
		return 0, nil, fmt.Errorf("%w (% x)", ErrHeader, b[:min(len(b), 11)])
	}
	return shape, b[1+n:], nil
}
