package pyexpr

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

type tokKind uint8

const (
	tEOF     tokKind = iota
	tNewline         // the end of a logical line, outside brackets
	tName            // a name or keyword, NFKC-normalised as Python does
	tNumber          // val holds the number
	tString          // val holds the string
	tOp              // text holds the operator or bracket
)

type token struct {
	kind tokKind
	pos  int // byte offset in the source
	text string
	val  Value
}

// lexer splits a Python expression into tokens, following Python's lexical
// rules: implicit line joining inside brackets, backslash continuation,
// comments, string prefixes and escapes, number forms with underscores.
type lexer struct {
	src     string
	pos     int
	started bool // a token was produced
	open    []int
}

// maxNesting is the deepest bracket nesting accepted, as in CPython's
// tokenizer.
const maxNesting = 200

// syntaxError stops compilation; Compile recovers it.
type syntaxError struct{ err *Error }

func (lx *lexer) fail(pos int, format string, args ...any) {
	panic(syntaxError{newError(lx.src, pos, fmt.Sprintf(format, args...))})
}

func isIdentASCII(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || '0' <= c && c <= '9'
}

func (lx *lexer) next() token {
	src := lx.src
	for {
		if lx.pos >= len(src) {
			if len(lx.open) > 0 {
				p := lx.open[len(lx.open)-1]
				lx.fail(p, "'%c' was never closed", src[p])
			}
			return token{kind: tEOF, pos: lx.pos}
		}
		c := src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\f':
			lx.pos++
			continue
		case c == '#':
			for lx.pos < len(src) && src[lx.pos] != '\n' && src[lx.pos] != '\r' {
				lx.pos++
			}
			continue
		case c == '\\':
			if n := newlineLen(src, lx.pos+1); n > 0 {
				lx.pos += 1 + n
				continue
			}
			if lx.pos+1 >= len(src) {
				lx.fail(lx.pos, "unexpected end of the expression after the line continuation character")
			}
			lx.fail(lx.pos, "unexpected character after the line continuation character")
		case c == '\n' || c == '\r':
			start := lx.pos
			lx.pos += newlineLen(src, lx.pos)
			if len(lx.open) > 0 {
				continue
			}
			if lx.started {
				return token{kind: tNewline, pos: start}
			}
			lx.checkIndent()
			continue
		}
		lx.started = true
		start := lx.pos
		switch {
		case isIdentASCII(c) && !('0' <= c && c <= '9') || c >= utf8.RuneSelf:
			return lx.name()
		case '0' <= c && c <= '9' || c == '.' && lx.pos+1 < len(src) && '0' <= src[lx.pos+1] && src[lx.pos+1] <= '9':
			return lx.number()
		case c == '\'' || c == '"':
			return lx.str(start, "")
		}
		return lx.operator(start)
	}
}

func newlineLen(src string, i int) int {
	switch {
	case i >= len(src):
		return 0
	case src[i] == '\n':
		return 1
	case src[i] == '\r':
		if i+1 < len(src) && src[i+1] == '\n' {
			return 2
		}
		return 1
	}
	return 0
}

// checkIndent refuses an indented first line after blank or comment lines,
// as Python does (only the first line's leading blanks are stripped).
func (lx *lexer) checkIndent() {
	i := lx.pos
	for i < len(lx.src) && (lx.src[i] == ' ' || lx.src[i] == '\t' || lx.src[i] == '\f') {
		i++
	}
	if i > lx.pos && i < len(lx.src) && lx.src[i] != '#' && newlineLen(lx.src, i) == 0 {
		lx.fail(i, "IndentationError: unexpected indent")
	}
}

// prefixes are the string prefixes, lower-cased.
var prefixes = map[string]bool{"r": true, "u": true, "b": true, "br": true, "rb": true, "f": true, "fr": true, "rf": true}

func (lx *lexer) name() token {
	start := lx.pos
	ascii := true
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if c >= utf8.RuneSelf {
			ascii = false
			_, n := utf8.DecodeRuneInString(lx.src[lx.pos:])
			lx.pos += n
			continue
		}
		if !isIdentASCII(c) {
			break
		}
		lx.pos++
	}
	name := lx.src[start:lx.pos]
	if lx.pos < len(lx.src) && (lx.src[lx.pos] == '\'' || lx.src[lx.pos] == '"') && prefixes[strings.ToLower(name)] {
		return lx.str(start, strings.ToLower(name))
	}
	if !ascii {
		name = lx.checkIdent(start, name)
	}
	return token{kind: tName, pos: start, text: name}
}

// checkIdent normalises a non-ASCII name to NFKC, as Python does, and
// checks that it is an identifier.
func (lx *lexer) checkIdent(start int, name string) string {
	for i, r := range name {
		if r == utf8.RuneError {
			lx.fail(start+i, "invalid UTF-8 in the expression")
		}
		if r >= utf8.RuneSelf && !isIDContinue(r) {
			lx.fail(start+i, "invalid character '%c' (U+%04X)", r, r)
		}
	}
	nf := norm.NFKC.String(name)
	for i, r := range nf {
		if i == 0 && !isIDStart(r) || i > 0 && !isIDContinue(r) {
			lx.fail(start, "invalid character '%c' (U+%04X) in name %q", r, r, name)
		}
	}
	return nf
}

func isIDStart(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_'
	}
	return (unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_ID_Start, r)) &&
		!unicode.Is(unicode.Pattern_Syntax, r) && !unicode.Is(unicode.Pattern_White_Space, r)
}

func isIDContinue(r rune) bool {
	if r < utf8.RuneSelf {
		return isIdentASCII(byte(r))
	}
	return isIDStart(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc, unicode.Other_ID_Continue) &&
		!unicode.Is(unicode.Pattern_Syntax, r) && !unicode.Is(unicode.Pattern_White_Space, r)
}

// number lexes an int or float literal with Python's rules: underscores
// only between digits, no leading zeros on a non-zero decimal int, base
// prefixes 0x 0o 0b.
func (lx *lexer) number() token {
	src, start := lx.src, lx.pos
	digits := func(isDigit func(byte) bool, what string) int {
		n := 0
		for lx.pos < len(src) {
			c := src[lx.pos]
			if c == '_' {
				if n == 0 || lx.pos+1 >= len(src) || !isDigit(src[lx.pos+1]) {
					lx.fail(lx.pos, "invalid %s literal", what)
				}
				lx.pos++
				continue
			}
			if !isDigit(c) {
				break
			}
			lx.pos++
			n++
		}
		return n
	}
	dec := func(c byte) bool { return '0' <= c && c <= '9' }
	var val Value
	if src[lx.pos] == '0' && lx.pos+1 < len(src) && strings.IndexByte("xXoObB", src[lx.pos+1]) >= 0 {
		base, what := 16, "hexadecimal"
		isDigit := func(c byte) bool { return dec(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
		switch src[lx.pos+1] {
		case 'o', 'O':
			base, what, isDigit = 8, "octal", func(c byte) bool { return '0' <= c && c <= '7' }
		case 'b', 'B':
			base, what, isDigit = 2, "binary", func(c byte) bool { return c == '0' || c == '1' }
		}
		lx.pos += 2
		if lx.pos < len(src) && src[lx.pos] == '_' {
			lx.pos++
		}
		if digits(isDigit, what) == 0 {
			lx.fail(start, "invalid %s literal", what)
		}
		if lx.pos < len(src) && dec(src[lx.pos]) {
			lx.fail(lx.pos, "invalid digit '%c' in %s literal", src[lx.pos], what)
		}
		b, _ := new(big.Int).SetString(strings.ReplaceAll(src[start+2:lx.pos], "_", ""), base)
		val = bigV(b)
	} else {
		intPart := digits(dec, "decimal")
		isFloat := false
		if lx.pos < len(src) && src[lx.pos] == '.' {
			isFloat = true
			lx.pos++
			if lx.pos < len(src) && src[lx.pos] == '_' {
				lx.fail(lx.pos, "invalid decimal literal")
			}
			digits(dec, "decimal")
		}
		if lx.pos < len(src) && (src[lx.pos] == 'e' || src[lx.pos] == 'E') {
			save := lx.pos
			lx.pos++
			if lx.pos < len(src) && (src[lx.pos] == '+' || src[lx.pos] == '-') {
				lx.pos++
			}
			if lx.pos < len(src) && dec(src[lx.pos]) {
				digits(dec, "decimal")
				isFloat = true
			} else {
				lx.pos = save
			}
		}
		text := strings.ReplaceAll(src[start:lx.pos], "_", "")
		switch {
		case lx.pos < len(src) && (src[lx.pos] == 'j' || src[lx.pos] == 'J'):
			lx.fail(start, "complex numbers (%sj) are not supported", src[start:lx.pos])
		case isFloat:
			// Out of range values are ±Inf or 0, as in Python.
			f, err := strconv.ParseFloat(text, 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				lx.fail(start, "invalid decimal literal")
			}
			val = floatV(f)
		default:
			if intPart > 1 && strings.TrimLeft(text, "0") != "" && text[0] == '0' {
				lx.fail(start, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers")
			}
			if len(text) > maxStrDigits {
				lx.fail(start, "Exceeds the limit (%d digits) for integer string conversion: value has %d digits", maxStrDigits, len(text))
			}
			b, _ := new(big.Int).SetString(text, 10)
			val = bigV(b)
		}
	}
	if lx.pos < len(src) && (isIdentASCII(src[lx.pos]) || src[lx.pos] >= utf8.RuneSelf) {
		lx.fail(start, "invalid decimal literal %q: put a space between a number and a name", src[start:lx.pos+1])
	}
	return token{kind: tNumber, pos: start, val: val, text: src[start:lx.pos]}
}

// str lexes a string literal whose prefix (lower-cased) starts at start.
func (lx *lexer) str(start int, prefix string) token {
	switch {
	case strings.Contains(prefix, "b"):
		lx.fail(start, "bytes literals are not supported")
	case strings.Contains(prefix, "f"):
		lx.fail(start, "f-strings are not supported")
	}
	raw := strings.Contains(prefix, "r")
	src := lx.src
	q := src[lx.pos]
	triple := strings.HasPrefix(src[lx.pos:], strings.Repeat(string(q), 3))
	if triple {
		lx.pos += 3
	} else {
		lx.pos++
	}
	var b strings.Builder
	for {
		if lx.pos >= len(src) {
			if triple {
				lx.fail(start, "unterminated triple-quoted string literal")
			}
			lx.fail(start, "unterminated string literal")
		}
		c := src[lx.pos]
		switch {
		case c == q && (!triple || strings.HasPrefix(src[lx.pos:], strings.Repeat(string(q), 3))):
			if triple {
				lx.pos += 3
			} else {
				lx.pos++
			}
			return token{kind: tString, pos: start, val: strV(b.String())}
		case c == '\n' || c == '\r':
			if !triple {
				lx.fail(start, "unterminated string literal")
			}
			lx.pos += newlineLen(src, lx.pos)
			b.WriteByte('\n')
		case c == '\\':
			lx.escape(&b, raw)
		default:
			b.WriteByte(c)
			lx.pos++
		}
	}
}

// simpleEscapes are the one-character escapes and simpleValues what they
// stand for.
const (
	simpleEscapes = "\\'\"abfnrtv"
	simpleValues  = "\\'\"\a\b\f\n\r\t\v"
)

// escape reads the escape sequence at lx.pos into b.
func (lx *lexer) escape(b *strings.Builder, raw bool) {
	src := lx.src
	esc := lx.pos
	lx.pos++
	if lx.pos >= len(src) {
		return // the string is unterminated: the caller says so
	}
	c := src[lx.pos]
	if n := newlineLen(src, lx.pos); n > 0 {
		lx.pos += n
		if raw {
			b.WriteString("\\\n")
		}
		return
	}
	if raw {
		// The backslash stays, and the next character cannot end the string.
		_, n := utf8.DecodeRuneInString(src[lx.pos:])
		b.WriteString(src[esc : lx.pos+n])
		lx.pos += n
		return
	}
	if i := strings.IndexByte(simpleEscapes, c); i >= 0 {
		b.WriteByte(simpleValues[i])
		lx.pos++
		return
	}
	hexDigits := func(n int, name string) rune {
		if lx.pos+1+n > len(src) {
			lx.fail(esc, "truncated \\%s escape", name)
		}
		v, err := strconv.ParseUint(src[lx.pos+1:lx.pos+1+n], 16, 32)
		if err != nil || strings.ContainsAny(src[lx.pos+1:lx.pos+1+n], "+-_") {
			lx.fail(esc, "truncated \\%s escape", name)
		}
		lx.pos += 1 + n
		return rune(v)
	}
	var r rune
	switch {
	case '0' <= c && c <= '7':
		n := 0
		for n < 3 && lx.pos < len(src) && '0' <= src[lx.pos] && src[lx.pos] <= '7' {
			r = r*8 + rune(src[lx.pos]-'0')
			lx.pos++
			n++
		}
	case c == 'x':
		r = hexDigits(2, "xXX")
	case c == 'u':
		r = hexDigits(4, "uXXXX")
	case c == 'U':
		r = hexDigits(8, "UXXXXXXXX")
		if r > unicode.MaxRune {
			lx.fail(esc, "illegal Unicode character in \\U escape")
		}
	case c == 'N':
		lx.fail(esc, "\\N{name} escapes are not supported: write the character or a \\u escape")
	default:
		// Python keeps unknown escapes as they are (and warns).
		b.WriteByte('\\')
		return
	}
	if 0xd800 <= r && r <= 0xdfff {
		lx.fail(esc, "surrogate code points (U+%04X) cannot be held in a string here", r)
	}
	b.WriteRune(r)
}

// operators, longest first where one is a prefix of another.
var operators = []string{
	"**=", "//=", ">>=", "<<=", "...",
	"**", "//", "<<", ">>", "<=", ">=", "==", "!=", "->", ":=", "&&", "||", "<>",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
	"+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "=", "@", "!",
}

func (lx *lexer) operator(start int) token {
	rest := lx.src[start:]
	for _, op := range operators {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		switch op {
		case "&&":
			lx.fail(start, "'&&' is not Python: use 'and'")
		case "||":
			lx.fail(start, "'||' is not Python: use 'or'")
		case "!":
			lx.fail(start, "'!' is not Python: use 'not'")
		case "<>":
			lx.fail(start, "'<>' is not Python 3: use '!='")
		case ":=":
			lx.fail(start, "assignment expressions (:=) are not supported")
		case "...":
			lx.fail(start, "Ellipsis (...) is not supported")
		case "->":
			lx.fail(start, "'->' belongs in function annotations, not in an expression")
		case ";":
			lx.fail(start, "';' separates statements: an expression has none")
		case "@":
			lx.fail(start, "'@' (matrix multiplication) is not supported")
		}
		if len(op) > 1 && op[len(op)-1] == '=' && op != "<=" && op != ">=" && op != "==" && op != "!=" {
			lx.fail(start, "'%s' is an assignment: an expression cannot assign", op)
		}
		switch op {
		case "(", "[", "{":
			if len(lx.open) >= maxNesting {
				lx.fail(start, "too many nested brackets")
			}
			lx.open = append(lx.open, start)
		case ")", "]", "}":
			if len(lx.open) == 0 {
				lx.fail(start, "unmatched '%s'", op)
			}
			o := lx.src[lx.open[len(lx.open)-1]]
			if want := map[byte]string{'(': ")", '[': "]", '{': "}"}[o]; want != op {
				lx.fail(start, "closing bracket '%s' does not match opening bracket '%c'", op, o)
			}
			lx.open = lx.open[:len(lx.open)-1]
		}
		lx.pos += len(op)
		return token{kind: tOp, pos: start, text: op}
	}
	r, _ := utf8.DecodeRuneInString(rest)
	if r == utf8.RuneError {
		lx.fail(start, "invalid UTF-8 in the expression")
	}
	lx.fail(start, "invalid character '%c' (U+%04X)", r, r)
	panic("unreachable")
}
