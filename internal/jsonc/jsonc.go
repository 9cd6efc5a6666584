// Package jsonc lets schema and migration files carry // line comments:
// Strip blanks them out before the JSON is parsed.
package jsonc

// Strip returns data with every // comment that is outside a JSON string
// replaced by spaces up to the end of its line, so that the byte offsets,
// lines and columns a parser reports for what remains are those of the
// file. data itself is returned when it holds no comment; otherwise a
// copy is changed. Text that is not valid JSON is left for the parser to
// report: Strip never fails.
func Strip(data []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"' || c == '\n':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(data) && data[i+1] == '/':
			if out == nil {
				out = append([]byte(nil), data...)
			}
			for ; i < len(data) && data[i] != '\n' && data[i] != '\r'; i++ {
				out[i] = ' '
			}
		}
	}
	if out == nil {
		return data
	}
	return out
}
