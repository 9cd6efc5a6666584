package header

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	doc := []byte{0x01, 0x0A, 0x00}
	for _, shape := range []uint64{0, 1, 2, 127, 128, 1 << 20, MaxShape} {
		b := append(Append(nil, shape), doc...)
		if shape == 0 && !bytes.Equal(b, doc) {
			t.Fatalf("shape 0 wrote a header: % x", b)
		}
		got, rest, err := Split(b)
		if err != nil || got != shape || !bytes.Equal(rest, doc) {
			t.Fatalf("shape %d: Split = %d, % x, %v", shape, got, rest, err)
		}
	}
}

func TestBadHeaders(t *testing.T) {
	for _, b := range [][]byte{
		{Mark},             // no shape
		{Mark, 0x00, 0x01}, // shape 0 written with a header
		{Mark, 0x80},       // truncated uvarint
		{Mark, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // beyond MaxShape
	} {
		if _, _, err := Split(b); !errors.Is(err, ErrHeader) {
			t.Errorf("Split(% x) = %v, want ErrHeader", b, err)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte{0x01, 0x0A, 0x00})
	f.Add([]byte{Mark, 0x05, 0x01, 0x0A, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		shape, rest, err := Split(b)
		if err != nil {
			return
		}
		if shape == 0 {
			if !bytes.Equal(rest, b) {
				t.Fatal("shape 0 changed the body")
			}
			return
		}
		if again := append(Append(nil, shape), rest...); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding % x gave % x", b, again)
		}
	})
}
