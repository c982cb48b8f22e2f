package jsonx

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Decoding rules, shared by every reader of stored states (docs/persistence.md):
//
//   - objects become map[string]any, and the order of their keys is
//     remembered (see KeyOrder), so that a map written back by Append keeps
//     it: Go maps have no order of their own, Python's dicts do;
//   - arrays become []any, strings string, true and false bool;
//   - an integer becomes int when it fits, and json.Number holding its digits
//     otherwise (Python's ints have no limit: 18446744073709551615 must come
//     back as itself, not as 1.8446744073709552e+19);
//   - any other number becomes float64, unless it is beyond float64's range
//     (1e999), which keeps its text as json.Number rather than turning into
//     an infinity;
//   - the NaN, Infinity and -Infinity literals that Python's json.dumps
//     writes (they are not JSON) become nil, the JSON null Burr for Go writes
//     for non-finite floats;
//   - invalid UTF-8 in strings becomes U+FFFD, as encoding/json does.

// Decode parses b, which must hold exactly one JSON value.
func Decode(b []byte) (any, error) {
	d := decoder{data: b}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return v, nil
}

// NotObjectError is returned by DecodeObject for a document that holds
// another JSON value than an object.
type NotObjectError struct {
	Kind string // "null", "an array", "a string", "a number", "a boolean"
}

func (e *NotObjectError) Error() string { return "want a JSON object, have " + e.Kind }

// DecodeObject parses b, which must hold exactly one JSON object, and calls
// member for each of its members in document order (a key written twice is
// given twice). Values are decoded as Decode does. An error from member stops
// the parse and is returned as is.
func DecodeObject(b []byte, member func(key string, value any) error) error {
	d := decoder{data: b}
	d.skipSpace()
	if d.pos >= len(d.data) {
		return d.syntax("unexpected end of input")
	}
	if c := d.data[d.pos]; c != '{' {
		if kind := literalKind(c); kind != "" {
			// Report the kind only for a valid document, so that garbage
			// is a syntax error.
			if _, err := d.value(0); err != nil {
				return err
			}
			if err := d.end(); err != nil {
				return err
			}
			return &NotObjectError{Kind: kind}
		}
		return d.syntax(fmt.Sprintf("invalid character %q looking for the beginning of an object", c))
	}
	d.pos++
	d.depth = 1
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.end()
	}
	for {
		key, err := d.key()
		if err != nil {
			return err
		}
		v, err := d.value(1)
		if err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
		if err := member(key, v); err != nil {
			return err
		}
		done, err := d.next('}')
		if err != nil {
			return err
		}
		if done {
			return d.end()
		}
	}
}

func literalKind(c byte) string {
	switch {
	case c == 'n':
		return "null"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I':
		return "a number"
	}
	return ""
}

// SyntaxError is a malformed JSON document, with the byte offset where the
// parse stopped.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

type decoder struct {
	data  []byte
	pos   int
	depth int
	// keys interns object keys: a chat history repeats "role" and "content"
	// in every message.
	keys map[string]string
	// order collects the keys of the objects being decoded (nested ones
	// above their parents' keys), so that each object's order costs one
	// allocation of the right size.
	order []string
}

func (d *decoder) syntax(msg string) error { return &SyntaxError{Msg: msg, Offset: d.pos} }

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// end checks that only white space follows the value.
func (d *decoder) end() error {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.syntax(fmt.Sprintf("invalid character %q after the value", d.data[d.pos]))
	}
	return nil
}

// next reads the separator after a member or element: true at the closing
// delimiter, false at a comma.
func (d *decoder) next(closing byte) (bool, error) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return false, d.syntax("unexpected end of input")
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		d.skipSpace()
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, d.syntax(fmt.Sprintf("invalid character %q after a value, want ',' or %q", d.data[d.pos], closing))
}

// key reads an object key and the colon after it.
func (d *decoder) key() (string, error) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return "", d.syntax("want a string key")
	}
	start := d.pos + 1
	raw, simple, err := d.scanString()
	if err != nil {
		return "", err
	}
	var key string
	if simple {
		if d.keys == nil {
			d.keys = make(map[string]string)
		}
		if k, ok := d.keys[string(raw)]; ok {
			key = k
		} else {
			key = string(raw)
			d.keys[key] = key
		}
	} else {
		key = unescape(d.data[start : d.pos-1])
	}
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return "", d.syntax("want ':' after an object key")
	}
	d.pos++
	d.skipSpace()
	return key, nil
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.syntax("unexpected end of input")
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object(depth + 1)
	case '[':
		return d.array(depth + 1)
	case '"':
		start := d.pos + 1
		raw, simple, err := d.scanString()
		if err != nil {
			return nil, err
		}
		if simple {
			return string(raw), nil
		}
		return unescape(d.data[start : d.pos-1]), nil
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	case 'N':
		return nil, d.literal("NaN")
	case 'I':
		return nil, d.literal("Infinity")
	case '-':
		if d.pos+1 < len(d.data) && d.data[d.pos+1] == 'I' {
			return nil, d.literal("-Infinity")
		}
		return d.number()
	default:
		if c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, d.syntax(fmt.Sprintf("invalid character %q looking for the beginning of a value", c))
	}
}

func (d *decoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return d.syntax("invalid literal, want " + lit)
	}
	d.pos += len(lit)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.syntax(fmt.Sprintf("nested more than %d levels deep", maxDepth))
	}
	d.pos++ // '{'
	d.skipSpace()
	m := make(map[string]any)
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, nil
	}
	base := len(d.order)
	defer func() { d.order = d.order[:base] }()
	for {
		key, err := d.key()
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		if _, dup := m[key]; !dup {
			d.order = append(d.order, key)
		}
		m[key] = v // a repeated key keeps its first place and its last value, as in Python
		done, err := d.next('}')
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
	}
	if keys := d.order[base:]; !slices.IsSorted(keys) {
		// Sorted keys are what the encoder writes for a map it does not
		// know: only other orders need remembering.
		rememberOrder(m, slices.Clone(keys))
	}
	return m, nil
}

func (d *decoder) array(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.syntax(fmt.Sprintf("nested more than %d levels deep", maxDepth))
	}
	d.pos++ // '['
	d.skipSpace()
	list := []any{}
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return list, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		done, err := d.next(']')
		if err != nil {
			return nil, err
		}
		if done {
			return list, nil
		}
	}
}

// scanString moves past the string starting at d.pos (its opening quote). It
// returns the string's bytes and true when they need no unescaping (no
// escapes, valid UTF-8), or false when unescape must be used.
func (d *decoder) scanString() ([]byte, bool, error) {
	d.pos++
	start := d.pos
	simple := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return d.data[start : d.pos-1], simple, nil
		case c == '\\':
			simple = false
			if d.pos+1 >= len(d.data) {
				return nil, false, d.syntax("unexpected end of input in a string")
			}
			switch d.data[d.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.pos += 2
			case 'u':
				if d.pos+6 > len(d.data) {
					return nil, false, d.syntax("unexpected end of input in a \\u escape")
				}
				if _, ok := hex4(d.data[d.pos+2 : d.pos+6]); !ok {
					return nil, false, d.syntax("invalid \\u escape")
				}
				d.pos += 6
			default:
				return nil, false, d.syntax(fmt.Sprintf("invalid escape %q in a string", d.data[d.pos+1]))
			}
		case c < 0x20:
			return nil, false, d.syntax(fmt.Sprintf("invalid control character %#x in a string", c))
		case c < utf8.RuneSelf:
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				simple = false
			}
			d.pos += size
		}
	}
	return nil, false, d.syntax("unexpected end of input in a string")
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape decodes the contents of a string that scanString checked. Lone
// surrogates and invalid UTF-8 become U+FFFD.
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c == '\\' {
			switch e := b[i+1]; e {
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
				r, _ := hex4(b[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
						r2, _ = hex4(b[i+2 : i+6])
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
				continue
			default: // '"', '\\', '/'
				out = append(out, e)
			}
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\ufffd"...)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return string(out)
}

// number reads a JSON number: int when it is an integer that fits, float64
// when it is another number within float64's range, json.Number otherwise.
func (d *decoder) number() (any, error) {
	start := d.pos
	end, integer, ok := scanNumber(d.data, start)
	if !ok {
		d.pos = end
		return nil, d.syntax("invalid number")
	}
	d.pos = end
	s := d.data[start:end]
	if integer {
		if n, err := strconv.ParseInt(string(s), 10, 64); err == nil && n >= math.MinInt && n <= math.MaxInt {
			return int(n), nil
		}
		return json.Number(s), nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return json.Number(s), nil
		}
		return nil, d.syntax("invalid number")
	}
	return f, nil
}

// scanNumber scans the JSON number starting at b[i]: it returns where it ends,
// whether it is an integer (no fraction, no exponent), and whether it is
// well formed.
func scanNumber[T string | []byte](b T, i int) (end int, integer, ok bool) {
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return i, false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		i++
		integer = false
		if digits() == 0 {
			return i, false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		integer = false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return i, false, false
		}
	}
	return i, integer, true
}

// ValidNumber reports whether s is one JSON number, whatever its magnitude.
func ValidNumber(s string) bool {
	if s == "" {
		return false
	}
	end, _, ok := scanNumber(s, 0)
	return ok && end == len(s)
}
