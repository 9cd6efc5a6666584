package value

import (
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"time"
)

// ID is a document id: an opaque, url-safe string that encodes the table of
// its document. An ID sorts and compares as its string form.
//
// The text of an ID is the lowercase Crockford base32 (alphabet
// 0123456789abcdefghjkmnpqrstvwxyz, no padding, unused trailing bits zero)
// of the bytes
//
//	[6: unix milliseconds, big-endian][8: random][table name][2: checksum]
//
// where the checksum is the CRC-16/CCITT-FALSE (polynomial 0x1021, initial
// value 0xFFFF) of everything before it, big-endian. Because the alphabet is
// in ASCII order and the time comes first, ids of one table made in
// different milliseconds sort by creation time as strings. The checksum
// detects every change of a single character (a burst of at most 5 bits)
// and most other corruption.
type ID string

const (
	idAlphabet   = "0123456789abcdefghjkmnpqrstvwxyz"
	idTimeLen    = 6
	idRandLen    = 8
	idSumLen     = 2
	idFixedLen   = idTimeLen + idRandLen + idSumLen
	maxTableName = 64
)

// idDecode maps an ASCII byte to its base32 digit, or 0xFF.
var idDecode = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < len(idAlphabet); i++ {
		t[idAlphabet[i]] = byte(i)
	}
	return t
}()

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc16(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c = c<<8 ^ crcTable[byte(c>>8)^x]
	}
	return c
}

// ValidTableName reports whether name can be a table name: 1 to 64 bytes
// of ASCII letters, digits and underscores.
func ValidTableName(name string) bool {
	if len(name) == 0 || len(name) > maxTableName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// NewID returns a new id for a document of table, made from the current
// time and 8 random bytes from crypto/rand. It panics if table is not a
// valid table name (see ValidTableName): table names come from the
// schema, so an invalid one is a programming error.
func NewID(table string) ID {
	return newIDAt(table, time.Now().UnixMilli())
}

func newIDAt(table string, ms int64) ID {
	if !ValidTableName(table) {
		panic("value: NewID: invalid table name " + strconv.Quote(table))
	}
	var buf [idFixedLen + maxTableName]byte
	raw := buf[:0]
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(ms))
	raw = append(raw, t[8-idTimeLen:]...)
	raw = raw[:idTimeLen+idRandLen]
	rand.Read(raw[idTimeLen:])
	raw = append(raw, table...)
	raw = binary.BigEndian.AppendUint16(raw, crc16(raw))
	return ID(encodeBase32(raw))
}

func encodeBase32(raw []byte) string {
	out := make([]byte, 0, (len(raw)*8+4)/5)
	var acc uint32
	bits := 0
	for _, b := range raw {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, idAlphabet[acc>>bits&31])
		}
	}
	if bits > 0 {
		out = append(out, idAlphabet[acc<<(5-bits)&31])
	}
	return string(out)
}

// IDError reports an invalid id: malformed text, a corrupted id, or an id
// of another table. Error returns `invalid id "<ID>": <Reason>`.
type IDError struct {
	ID     string // the text that was parsed (possibly shortened)
	Reason string // e.g. "corrupted (checksum mismatch)"
}

// Error returns `invalid id "<ID>": <Reason>`.
func (e *IDError) Error() string {
	return "invalid id " + strconv.Quote(e.ID) + ": " + e.Reason
}

func idErr(s, reason string) *IDError {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return &IDError{ID: s, Reason: reason}
}

// parseID decodes s and returns its table name.
func parseID(s string) (string, *IDError) {
	// Valid ids encode 17 to 80 raw bytes.
	n := len(s) * 5 / 8
	if n < idFixedLen+1 || n > idFixedLen+maxTableName || (n*8+4)/5 != len(s) {
		return "", idErr(s, "bad length "+strconv.Itoa(len(s)))
	}
	var buf [idFixedLen + maxTableName]byte
	raw := buf[:0]
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		d := idDecode[s[i]]
		if d == 0xFF {
			return "", idErr(s, "bad character "+strconv.QuoteRuneToASCII(rune(s[i]))+" at offset "+strconv.Itoa(i))
		}
		acc = acc<<5 | uint32(d)
		bits += 5
		if bits >= 8 {
			bits -= 8
			raw = append(raw, byte(acc>>bits))
		}
	}
	if acc&(1<<bits-1) != 0 {
		return "", idErr(s, "corrupted (non-zero padding bits)")
	}
	body := raw[:len(raw)-idSumLen]
	if crc16(body) != binary.BigEndian.Uint16(raw[len(body):]) {
		return "", idErr(s, "corrupted (checksum mismatch)")
	}
	table := string(body[idTimeLen+idRandLen:])
	if !ValidTableName(table) {
		return "", idErr(s, "corrupted (invalid table name)")
	}
	return table, nil
}

// ParseID checks that s is a well-formed id (alphabet, length, padding
// bits, checksum, table name) and returns it as an ID. Errors are
// *IDError, e.g. `invalid id "abc": bad length 3` or
// `invalid id "...": corrupted (checksum mismatch)`.
func ParseID(s string) (ID, error) {
	if _, err := parseID(s); err != nil {
		return "", err
	}
	return ID(s), nil
}

// ParseIDFor is ParseID that also requires the id to belong to table; an id
// of another table is an *IDError reading
// `invalid id "...": belongs to table "posts", not "users"`.
func ParseIDFor(s, table string) (ID, error) {
	t, err := parseID(s)
	if err != nil {
		return "", err
	}
	if t != table {
		return "", idErr(s, "belongs to table "+strconv.Quote(t)+", not "+strconv.Quote(table))
	}
	return ID(s), nil
}

// Table returns the name of the table id belongs to, or an *IDError if id
// is not a valid id.
func (id ID) Table() (string, error) {
	t, err := parseID(string(id))
	if err != nil {
		return "", err
	}
	return t, nil
}

// Time returns the creation time encoded in id, to the millisecond, or an
// *IDError if id is not a valid id.
func (id ID) Time() (time.Time, error) {
	if _, err := parseID(string(id)); err != nil {
		return time.Time{}, err
	}
	raw := decodeBase32Prefix(string(id), idTimeLen)
	var t [8]byte
	copy(t[8-idTimeLen:], raw)
	return time.UnixMilli(int64(binary.BigEndian.Uint64(t[:]))), nil
}

// decodeBase32Prefix decodes the first n bytes of a valid base32 text.
func decodeBase32Prefix(s string, n int) []byte {
	raw := make([]byte, 0, n)
	var acc uint32
	bits := 0
	for i := 0; len(raw) < n; i++ {
		acc = acc<<5 | uint32(idDecode[s[i]])
		bits += 5
		if bits >= 8 {
			bits -= 8
			raw = append(raw, byte(acc>>bits))
		}
	}
	return raw
}
