package value

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON form of a value is lossless (docs/file-formats.md describes it
// for users of the command line):
//
//	null, true, false      as themselves
//	float64                a plain JSON number, written in the shortest form
//	                       that parses back to the same bits; non-finite
//	                       values and -0 as {"$float": "NaN" | "Infinity" |
//	                       "-Infinity" | "-0"}; a NaN other than math.NaN()
//	                       in Convex's base64 form, which keeps its bits
//	int64                  {"$integer": "123"} (canonical decimal string)
//	string, ID             a JSON string (an ID reads back as a string)
//	bytes                  {"$bytes": "..."} (standard base64, padded)
//	array                  a JSON array
//	object                 a JSON object, keys sorted byte-wise
//
// -0 is written tagged because many JSON tools read a plain -0 as 0; a
// plain -0 is still read as float64 -0. Object keys may not start with "$",
// so a tagged form is never ambiguous. ParseJSON also reads Convex's
// base64 forms of $integer and $float (see AppendConvexJSON).

// AppendJSON appends the JSON form of x to dst and returns the extended
// buffer. The output is deterministic (keys sorted), has no insignificant
// whitespace, escapes <, >, &, U+2028 and U+2029 as encoding/json does, and
// parses back with ParseJSON to a value Equal to x except that IDs become
// strings. x must pass Check and must not be undefined; otherwise AppendJSON
// returns dst unchanged and an *Error.
func AppendJSON(dst []byte, x any) ([]byte, error) {
	n := len(dst)
	if _, ok := x.(UndefinedValue); ok {
		return dst, newErr("undefined has no JSON form").op("json")
	}
	out, err := appendJSON(dst, x, 0, false)
	if err != nil {
		return dst[:n], err.op("json")
	}
	return out, nil
}

// MarshalJSON returns the JSON form of x; see AppendJSON.
func MarshalJSON(x any) ([]byte, error) {
	return AppendJSON(nil, x)
}

// appendJSON appends x in strata's JSON form, or in Convex's when convex
// is set (see AppendConvexJSON).
func appendJSON(dst []byte, x any, depth int, convex bool) ([]byte, *Error) {
	switch v := x.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case int64:
		if convex {
			return appendConvexBits(dst, "$integer", uint64(v)), nil
		}
		dst = append(dst, `{"$integer":"`...)
		dst = strconv.AppendInt(dst, v, 10)
		return append(dst, `"}`...), nil
	case float64:
		if convex && (math.IsNaN(v) || math.IsInf(v, 0) || v == 0 && math.Signbit(v)) {
			return appendConvexBits(dst, "$float", math.Float64bits(v)), nil
		}
		switch {
		case math.IsNaN(v) && math.Float64bits(v) != goNaN:
			// Another sign or payload: keep its bits, as Convex does.
			return appendConvexBits(dst, "$float", math.Float64bits(v)), nil
		case math.IsNaN(v):
			return append(dst, `{"$float":"NaN"}`...), nil
		case math.IsInf(v, 1):
			return append(dst, `{"$float":"Infinity"}`...), nil
		case math.IsInf(v, -1):
			return append(dst, `{"$float":"-Infinity"}`...), nil
		case v == 0 && math.Signbit(v):
			return append(dst, `{"$float":"-0"}`...), nil
		}
		// Like encoding/json: plain decimals except for very large or
		// small magnitudes; always the shortest text that parses back
		// to the same float64.
		if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
			n := len(dst)
			dst = strconv.AppendFloat(dst, v, 'e', -1, 64)
			// Shorten e-07 to e-7.
			if m := len(dst) - n; m >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
				dst[len(dst)-2] = dst[len(dst)-1]
				dst = dst[:len(dst)-1]
			}
			return dst, nil
		}
		return strconv.AppendFloat(dst, v, 'f', -1, 64), nil
	case string:
		if !validUTF8(v) {
			return dst, newErr(errInvalidUTF8)
		}
		return appendJSONString(dst, v), nil
	case ID:
		if !validUTF8(string(v)) {
			return dst, newErr(errInvalidUTF8)
		}
		return appendJSONString(dst, string(v)), nil
	case []byte:
		dst = append(dst, `{"$bytes":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, v)
		return append(dst, `"}`...), nil
	case []any:
		if depth >= MaxDepth {
			return dst, newErr(errTooDeep)
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			if _, ok := e.(UndefinedValue); ok {
				return dst, newErr(errUndefInArray).inIndex(i)
			}
			var err *Error
			if dst, err = appendJSON(dst, e, depth+1, convex); err != nil {
				return dst, err.inIndex(i)
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		if depth >= MaxDepth {
			return dst, newErr(errTooDeep)
		}
		dst = append(dst, '{')
		var buf [16]string
		for i, k := range sortedKeys(v, buf[:0]) {
			if err := checkKey(k); err != nil {
				return dst, err
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			e := v[k]
			if _, ok := e.(UndefinedValue); ok {
				return dst, newErr(errUndefInObject).inKey(k)
			}
			dst = append(appendJSONString(dst, k), ':')
			var err *Error
			if dst, err = appendJSON(dst, e, depth+1, convex); err != nil {
				return dst, err.inKey(k)
			}
		}
		return append(dst, '}'), nil
	}
	return dst, errUnsupported(x)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ParseJSON parses exactly one value in the JSON form (surrounding
// whitespace allowed). Plain numbers become float64, parsed exactly
// (correctly rounded; a number beyond the float64 range is an error);
// {"$integer": ...}, {"$float": ...} and {"$bytes": ...} become int64,
// float64 and []byte and must be the object's only key. It rejects, with
// an *Error naming the path (e.g. `value: json: posts.tags[2]: invalid
// $integer "12x"`): malformed JSON, duplicate keys, empty keys, other keys
// starting with "$", invalid UTF-8 or lone surrogate escapes, nesting deeper
// than MaxDepth and trailing data.
func ParseJSON(b []byte) (any, error) {
	p := jsonParser{b: b}
	p.space()
	x, err := p.value(0)
	if err == nil {
		p.space()
		if p.pos < len(p.b) {
			err = p.errorf("unexpected data after the value")
		}
	}
	if err != nil {
		return nil, err.op("json")
	}
	return x, nil
}

// ParseJSONDoc parses a document in the JSON form: like ParseJSON, but the
// value must be an object.
func ParseJSONDoc(b []byte) (map[string]any, error) {
	x, err := ParseJSON(b)
	if err != nil {
		return nil, err
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, newErr("a document must be a JSON object, not " + TypeName(x)).op("json")
	}
	return m, nil
}

type jsonParser struct {
	b      []byte
	pos    int
	bx     boxer
	convex bool // Convex's form only (ParseConvexJSON)
}

func (p *jsonParser) errorf(msg string) *Error {
	return newErr("offset " + strconv.Itoa(p.pos) + ": " + msg)
}

func (p *jsonParser) unexpected() *Error {
	if p.pos >= len(p.b) {
		return p.errorf("unexpected end of input")
	}
	c := p.b[p.pos]
	if c < utf8.RuneSelf {
		return p.errorf("unexpected character " + strconv.QuoteRune(rune(c)))
	}
	return p.errorf("unexpected byte 0x" + strconv.FormatUint(uint64(c), 16))
}

func (p *jsonParser) space() {
	for p.pos < len(p.b) {
		switch p.b[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) literal(word string, x any) (any, *Error) {
	if len(p.b)-p.pos >= len(word) && string(p.b[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return x, nil
	}
	return nil, p.unexpected()
}

func (p *jsonParser) value(depth int) (any, *Error) {
	if p.pos >= len(p.b) {
		return nil, p.unexpected()
	}
	switch c := p.b[p.pos]; {
	case c == '{':
		return p.object(depth) // checks the depth unless a tagged scalar
	case c == '[':
		if depth >= MaxDepth {
			return nil, p.errorf(errTooDeep)
		}
		p.pos++
		a := []any{}
		p.space()
		if p.pos < len(p.b) && p.b[p.pos] == ']' {
			p.pos++
			return a, nil
		}
		for {
			p.space()
			e, err := p.value(depth + 1)
			if err != nil {
				return nil, err.inIndex(len(a))
			}
			a = append(a, e)
			p.space()
			if p.pos < len(p.b) {
				switch p.b[p.pos] {
				case ',':
					p.pos++
					continue
				case ']':
					p.pos++
					return a, nil
				}
			}
			return nil, p.unexpected()
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return p.bx.str(s, (len(p.b)-p.pos)/2+1), nil
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, p.unexpected()
}

func (p *jsonParser) digits() int {
	n := 0
	for p.pos < len(p.b) && p.b[p.pos] >= '0' && p.b[p.pos] <= '9' {
		p.pos++
		n++
	}
	return n
}

func (p *jsonParser) number() (any, *Error) {
	start := p.pos
	if p.b[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.b) && p.b[p.pos] == '0' {
		p.pos++
	} else if p.digits() == 0 {
		return nil, p.unexpected()
	}
	if p.pos < len(p.b) && p.b[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			return nil, p.unexpected()
		}
	}
	if p.pos < len(p.b) && (p.b[p.pos] == 'e' || p.b[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.b) && (p.b[p.pos] == '+' || p.b[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return nil, p.unexpected()
		}
	}
	text := transientString(p.b[start:p.pos])
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.pos = start
		return nil, p.errorf("number " + quoteTrunc(text) + " is out of the float64 range")
	}
	return p.bx.float(math.Float64bits(f), (len(p.b)-p.pos)/2+1), nil
}

// str parses a JSON string at p.pos.
func (p *jsonParser) str() (string, *Error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes, ASCII only.
	for i := p.pos; i < len(p.b); i++ {
		c := p.b[i]
		if c == '"' {
			p.pos = i + 1
			return string(p.b[start:i]), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	var out []byte
	i := start
	for i < len(p.b) {
		c := p.b[i]
		switch {
		case c == '"':
			out = append(out, p.b[start:i]...)
			p.pos = i + 1
			return string(out), nil
		case c < 0x20:
			p.pos = i
			return "", p.errorf("control character in string")
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(p.b[i:])
			if r == utf8.RuneError && size == 1 {
				p.pos = i
				return "", p.errorf(errInvalidUTF8)
			}
			i += size
		case c == '\\':
			out = append(out, p.b[start:i]...)
			if i+1 >= len(p.b) {
				p.pos = len(p.b)
				return "", p.unexpected()
			}
			esc := p.b[i+1]
			i += 2
			switch esc {
			case '"', '\\', '/':
				out = append(out, esc)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(p.b[i:])
				if !ok {
					p.pos = i - 2
					return "", p.errorf(`bad \u escape`)
				}
				i += 4
				if utf16.IsSurrogate(r) {
					var r2 rune = -1
					if len(p.b)-i >= 6 && p.b[i] == '\\' && p.b[i+1] == 'u' {
						r2, _ = hex4(p.b[i+2:])
					}
					dec := utf16.DecodeRune(r, r2)
					if dec == utf8.RuneError {
						p.pos = i - 6
						return "", p.errorf(`lone surrogate \u escape`)
					}
					r = dec
					i += 6
				}
				out = utf8.AppendRune(out, r)
			default:
				p.pos = i - 2
				return "", p.errorf("bad escape in string")
			}
			start = i
		default:
			i++
		}
	}
	p.pos = len(p.b)
	return "", p.errorf("unterminated string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (p *jsonParser) object(depth int) (any, *Error) {
	start := p.pos
	p.pos++ // {
	m := map[string]any{}
	p.space()
	if p.pos < len(p.b) && p.b[p.pos] == '}' {
		if depth >= MaxDepth {
			p.pos = start
			return nil, p.errorf(errTooDeep)
		}
		p.pos++
		return m, nil
	}
	for {
		p.space()
		if p.pos >= len(p.b) || p.b[p.pos] != '"' {
			return nil, p.unexpected()
		}
		keyPos := p.pos
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.b) || p.b[p.pos] != ':' {
			return nil, p.unexpected()
		}
		p.pos++
		p.space()
		if len(m) == 0 {
			if strings.HasPrefix(k, "$") {
				return p.tagged(k, keyPos)
			}
			if depth >= MaxDepth {
				p.pos = start
				return nil, p.errorf(errTooDeep)
			}
		}
		if _, dup := m[k]; dup {
			p.pos = keyPos
			return nil, p.errorf("duplicate key " + quoteTrunc(k))
		}
		if err := checkKey(k); err != nil {
			p.pos = keyPos
			return nil, p.errorf(err.Msg)
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err.inKey(k)
		}
		m[k] = v
		p.space()
		if p.pos < len(p.b) {
			switch p.b[p.pos] {
			case ',':
				p.pos++
				continue
			case '}':
				p.pos++
				return m, nil
			}
		}
		return nil, p.unexpected()
	}
}

// tagged parses the rest of a tagged form {"$tag": "text"} after the colon.
func (p *jsonParser) tagged(tag string, keyPos int) (any, *Error) {
	switch tag {
	case "$integer", "$float", "$bytes":
	default:
		p.pos = keyPos
		return nil, p.errorf("unknown tagged form " + quoteTrunc(tag) + " (keys may not start with \"$\")")
	}
	if p.pos >= len(p.b) || p.b[p.pos] != '"' {
		return nil, p.errorf(tag + " takes a string")
	}
	valPos := p.pos
	s, err := p.str()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos >= len(p.b) || p.b[p.pos] != '}' {
		if p.pos < len(p.b) && p.b[p.pos] == ',' {
			return nil, p.errorf("a " + tag + " object must have no other keys")
		}
		return nil, p.unexpected()
	}
	p.pos++
	bad := func() *Error {
		p.pos = valPos
		return newErr("invalid " + tag + " " + quoteTrunc(s))
	}
	if bits, ok := convexBits(s); ok {
		switch tag {
		case "$integer":
			return int64(bits), nil
		case "$float":
			f := math.Float64frombits(bits)
			if !math.IsNaN(f) && !math.IsInf(f, 0) && (f != 0 || !math.Signbit(f)) {
				p.pos = valPos
				return nil, newErr("invalid $float " + quoteTrunc(s) + ": a finite float other than -0 is written as a plain number")
			}
			return f, nil
		}
	} else if p.convex && tag != "$bytes" {
		return nil, bad()
	}
	switch tag {
	case "$integer":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != s {
			return nil, bad()
		}
		return n, nil
	case "$float":
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		case "-0":
			return math.Copysign(0, -1), nil
		}
		return nil, bad()
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, bad()
	}
	data, err2 := base64.StdEncoding.Strict().DecodeString(s)
	if err2 != nil {
		return nil, bad()
	}
	return data, nil
}
