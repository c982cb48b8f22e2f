package sqlite

import (
	"strings"
	"unicode/utf8"
)

// pyFormat rewrites compact JSON (as burr.State.AppendJSON writes it) in the
// style of Python's json.dumps with default arguments, which is what Python
// Burr stores in the state column: ", " and ": " separators and every
// non-ASCII character escaped as \uXXXX (surrogate pairs above U+FFFF). It is
// internal/jsonx.PyFormat building a string in one allocation, for the save
// path.
func pyFormat(compact []byte) string {
	var b strings.Builder
	b.Grow(len(compact) + len(compact)/4 + 8)
	inString := false
	for i := 0; i < len(compact); {
		c := compact[i]
		if inString {
			switch {
			case c == '\\':
				b.WriteByte(c)
				b.WriteByte(compact[i+1])
				i += 2
				continue
			case c == '"':
				inString = false
			case c >= utf8.RuneSelf:
				r, size := utf8.DecodeRune(compact[i:])
				if r >= 0x10000 {
					r -= 0x10000
					writeU(&b, 0xD800+(r>>10))
					writeU(&b, 0xDC00+(r&0x3FF))
				} else {
					writeU(&b, r)
				}
				i += size
				continue
			}
			b.WriteByte(c)
			i++
			continue
		}
		switch c {
		case '"':
			inString = true
			b.WriteByte(c)
		case ',':
			b.WriteString(", ")
		case ':':
			b.WriteString(": ")
		case ' ', '\n', '\t', '\r':
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

func writeU(b *strings.Builder, r rune) {
	b.Write([]byte{'\\', 'u', hexDigits[(r>>12)&0xF], hexDigits[(r>>8)&0xF], hexDigits[(r>>4)&0xF], hexDigits[r&0xF]})
}
