// Package jsonx encodes values the way Burr's JSON files expect: compact output
// like pydantic's model_dump_json (no spaces, raw UTF-8 and DEL, integral
// floats keep ".0", NaN and infinities as null), and a reformatter to Python's
// json.dumps style (", " and ": " separators, non-ASCII and DEL escaped) used
// for graph.json, metadata.json and the SQLite state column. Its decoder
// (Decode, DecodeObject) reads numbers exactly and remembers the key order of
// objects, which the encoder then keeps (KeyOrder).
//
// Non-finite numbers follow one rule everywhere: NaN, +Inf and -Inf are
// written as null (JSON has no other way to hold them; pydantic writes null
// too, where Python's json.dumps writes the NaN and Infinity literals, which
// are not JSON), and those literals are read as null. A number too large for
// float64 (1e999) is not read as an infinity: it keeps its text, like an
// integer beyond int64.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Marshal returns the compact encoding of v.
func Marshal(v any) ([]byte, error) { return Append(nil, v) }

// ErrContainsItself is wrapped by the errors of Append and Text for a value
// that contains itself: a map or slice that holds itself, directly or
// deeper down, or a pointer that leads back to where it was met. Such a
// value has no JSON encoding, and no finite text.
var ErrContainsItself = errors.New("value contains itself")

// errTooDeep is the error of Append for a value nested more than maxDepth
// levels deep.
var errTooDeep = fmt.Errorf("value nested more than %d levels deep", maxDepth)

const (
	// maxDepth bounds nesting: a value that contains itself in a way not
	// detected (through a json.Marshaler) is an error rather than a stack
	// overflow.
	maxDepth = 1000
	// cycleCheckDepth is the depth from which Append looks for maps and
	// slices that contain themselves. Values are rarely nested this deep, so
	// that the check costs nothing on the common path, and a value that
	// contains itself is found after a few dozen levels.
	cycleCheckDepth = 32
)

// ref identifies a map or a slice while it is being encoded.
type ref struct {
	p uintptr
	n int
}

// encoder holds the maps and slices being encoded, from cycleCheckDepth on.
type encoder struct{ open map[ref]bool }

// enter records that the map or slice r, which is v, is being encoded; it
// fails when r is already being encoded, further up: the value contains
// itself. leave is to be called when r is done (after an error it need not:
// the encoder is not used again). Both are called from cycleCheckDepth on
// only.
func (e *encoder) enter(r ref, v any) error {
	if r.p == 0 {
		return nil // empty: holds nothing
	}
	if e.open == nil {
		e.open = make(map[ref]bool)
	}
	if e.open[r] {
		return fmt.Errorf("%w: a %T holds itself", ErrContainsItself, v)
	}
	e.open[r] = true
	return nil
}

func (e *encoder) leave(r ref) { delete(e.open, r) }

// within wraps the error of an element with where it was met, except for the
// errors of a value that contains itself or is too deep, which would repeat
// that at every level.
func within(err error, format string, arg any) error {
	if errors.Is(err, ErrContainsItself) || errors.Is(err, errTooDeep) {
		return err
	}
	return fmt.Errorf(format+": %w", arg, err)
}

// Append appends the compact encoding of v to buf.
func Append(buf []byte, v any) ([]byte, error) {
	var e encoder
	return e.append(buf, v, 0)
}

func (e *encoder) append(buf []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return buf, errTooDeep
	}
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case string:
		return AppendString(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(buf, x, 10), nil
	case float64:
		return AppendFloat(buf, x, 64), nil
	case float32:
		return AppendFloat(buf, float64(x), 32), nil
	case json.Number:
		// Written as is, whatever its magnitude: json.Number is how a
		// number that int and float64 cannot hold exactly is kept.
		if !ValidNumber(string(x)) {
			return buf, fmt.Errorf("json.Number %q is not a number", string(x))
		}
		return append(buf, x...), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(buf, "null"...), nil
		}
		return compactInto(buf, x)
	case map[string]any:
		return e.appendMap(buf, x, depth)
	case []any:
		return e.appendList(buf, x, depth)
	case []string:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, e)
		}
		return append(buf, ']'), nil
	case json.Marshaler:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return append(buf, "null"...), nil // as encoding/json does
		}
		b, err := x.MarshalJSON()
		if err != nil {
			return buf, err
		}
		return compactInto(buf, b)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(buf, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(buf, rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return AppendFloat(buf, rv.Float(), rv.Type().Bits()), nil
	case reflect.String:
		return AppendString(buf, rv.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(buf, rv.Bool()), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return append(buf, "null"...), nil
		}
		if rv.Type().Elem().Kind() != reflect.Uint8 {
			var r ref
			if rv.Kind() == reflect.Slice {
				r = ref{p: rv.Pointer(), n: rv.Len()}
			}
			if depth >= cycleCheckDepth {
				if err := e.enter(r, v); err != nil {
					return buf, err
				}
			}
			buf = append(buf, '[')
			for i := range rv.Len() {
				if i > 0 {
					buf = append(buf, ',')
				}
				var err error
				if buf, err = e.append(buf, rv.Index(i).Interface(), depth+1); err != nil {
					return buf, within(err, "index %d", i)
				}
			}
			if depth >= cycleCheckDepth {
				e.leave(r)
			}
			return append(buf, ']'), nil
		}
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String && !rv.IsNil() {
			r := ref{p: rv.Pointer()}
			if depth >= cycleCheckDepth {
				if err := e.enter(r, v); err != nil {
					return buf, err
				}
			}
			keys := rv.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int {
				switch {
				case a.String() < b.String():
					return -1
				case a.String() > b.String():
					return 1
				}
				return 0
			})
			buf = append(buf, '{')
			for i, k := range keys {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = AppendString(buf, k.String())
				buf = append(buf, ':')
				var err error
				if buf, err = e.append(buf, rv.MapIndex(k).Interface(), depth+1); err != nil {
					return buf, within(err, "key %q", k.String())
				}
			}
			if depth >= cycleCheckDepth {
				e.leave(r)
			}
			return append(buf, '}'), nil
		}
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(buf, "null"...), nil
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return buf, err
	}
	return appendCanonicalStrings(buf, bytes.TrimRight(b.Bytes(), "\n")), nil
}

// appendMap writes m with its keys in the order SortedKeys gives.
func (e *encoder) appendMap(buf []byte, m map[string]any, depth int) ([]byte, error) {
	if depth >= cycleCheckDepth {
		r := ref{p: reflect.ValueOf(m).Pointer()}
		if err := e.enter(r, m); err != nil {
			return buf, err
		}
		defer e.leave(r)
	}
	keys := KeyOrder(m)
	if keys == nil || len(keys) != len(m) || !hasAll(m, keys) {
		keys = SortedKeys(m)
	}
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = AppendString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = e.append(buf, m[k], depth+1); err != nil {
			return buf, within(err, "key %q", k)
		}
	}
	return append(buf, '}'), nil
}

func (e *encoder) appendList(buf []byte, list []any, depth int) ([]byte, error) {
	if depth >= cycleCheckDepth {
		r := ref{p: uintptr(unsafe.Pointer(unsafe.SliceData(list))), n: len(list)}
		if err := e.enter(r, list); err != nil {
			return buf, err
		}
		defer e.leave(r)
	}
	buf = append(buf, '[')
	for i, el := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = e.append(buf, el, depth+1); err != nil {
			return buf, within(err, "index %d", i)
		}
	}
	return append(buf, ']'), nil
}

func hasAll(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// compactInto appends JSON text produced by encoding/json or a MarshalJSON
// method, compacted, with its strings written as AppendString writes them:
// encoding/json escapes U+2028, U+2029 and (by default) <, > and & as \uXXXX,
// which neither pydantic nor json.dumps does.
func compactInto(buf, b []byte) ([]byte, error) {
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return buf, err
	}
	return appendCanonicalStrings(buf, c.Bytes()), nil
}

// appendCanonicalStrings appends valid compact JSON, rewriting each string
// that holds an escape as AppendString writes it.
func appendCanonicalStrings(buf, b []byte) []byte {
	if bytes.IndexByte(b, '\\') < 0 {
		return append(buf, b...)
	}
	for i := 0; i < len(b); {
		if b[i] != '"' {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				return append(buf, b[i:]...)
			}
			buf = append(buf, b[i:i+j]...)
			i += j
			continue
		}
		end, escaped := i+1, false
		for b[end] != '"' {
			if b[end] == '\\' {
				escaped = true
				end++
			}
			end++
		}
		if escaped {
			buf = AppendString(buf, unescape(b[i+1:end]))
		} else {
			buf = append(buf, b[i:end+1]...)
		}
		i = end + 1
	}
	return buf
}

// AppendFloat writes f as Python writes floats: integral values keep ".0", and
// NaN and infinities (which JSON cannot hold) become null.
func AppendFloat(buf []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(buf, "null"...)
	}
	start := len(buf)
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		fmtc = 'e'
	}
	buf = strconv.AppendFloat(buf, f, fmtc, -1, bits)
	if bytes.IndexAny(buf[start:], ".en") < 0 {
		buf = append(buf, ".0"...)
	}
	return buf
}

const hex = "0123456789abcdef"

// AppendString writes s as a JSON string with raw UTF-8 (only quotes,
// backslashes and control characters are escaped; invalid UTF-8 becomes U+FFFD).
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// PyFormat rewrites compact JSON in the style of Python's json.dumps with
// default arguments: ", " and ": " separators, and every character outside
// printable ASCII escaped as \uXXXX with lowercase hex digits: non-ASCII
// characters (as surrogate pairs above U+FFFF) and DEL (0x7f), which
// json.dumps's ensure_ascii escapes too.
func PyFormat(compact []byte) []byte {
	return AppendPyFormat(make([]byte, 0, len(compact)+len(compact)/8), compact)
}

// AppendPyFormat appends the Python-style form of compact to out. A large
// document gets the exact room it needs at once, rather than a buffer grown
// (and copied) several times.
func AppendPyFormat(out, compact []byte) []byte {
	if len(compact) > 64<<10 {
		out = slices.Grow(out, pyFormatLen(compact))
	}
	inString := false
	for i := 0; i < len(compact); {
		c := compact[i]
		if inString {
			switch {
			case c == '\\':
				out = append(out, c, compact[i+1])
				i += 2
				continue
			case c == '"':
				inString = false
			case c == 0x7f:
				out = appendU(out, 0x7f)
				i++
				continue
			case c >= utf8.RuneSelf:
				r, size := utf8.DecodeRune(compact[i:])
				if r >= 0x10000 {
					r -= 0x10000
					out = appendU(out, 0xD800+(r>>10))
					out = appendU(out, 0xDC00+(r&0x3FF))
				} else {
					out = appendU(out, r)
				}
				i += size
				continue
			}
			out = append(out, c)
			i++
			continue
		}
		switch c {
		case '"':
			inString = true
			out = append(out, c)
		case ',':
			out = append(out, ',', ' ')
		case ':':
			out = append(out, ':', ' ')
		case ' ', '\n', '\t', '\r':
		default:
			out = append(out, c)
		}
		i++
	}
	return out
}

// pyFormatLen returns the length of compact's Python-style form, as
// AppendPyFormat writes it.
func pyFormatLen(compact []byte) int {
	n := 0
	inString := false
	for i := 0; i < len(compact); {
		c := compact[i]
		if inString {
			switch {
			case c == '\\':
				n += 2
				i += 2
				continue
			case c == '"':
				inString = false
			case c == 0x7f:
				n += 6
				i++
				continue
			case c >= utf8.RuneSelf:
				r, size := utf8.DecodeRune(compact[i:])
				if r >= 0x10000 {
					n += 12
				} else {
					n += 6
				}
				i += size
				continue
			}
			n++
			i++
			continue
		}
		switch c {
		case '"':
			inString = true
			n++
		case ',', ':':
			n += 2
		case ' ', '\n', '\t', '\r':
		default:
			n++
		}
		i++
	}
	return n
}

func appendU(out []byte, r rune) []byte {
	return append(out, '\\', 'u', hex[(r>>12)&0xF], hex[(r>>8)&0xF], hex[(r>>4)&0xF], hex[r&0xF])
}

// ToPydantic rewrites the floats of compact JSON written by Append (Python's
// repr style) in the style of pydantic's model_dump_json, which Burr uses for
// log.jsonl and children.jsonl: a float with exponent -5 is written as a
// decimal (1e-05 becomes 0.00001), and negative exponents lose their zero
// padding (1.5e-07 becomes 1.5e-7). Other floats are the same in both styles.
// It returns b itself when there is nothing to rewrite, which is the common
// case and costs one scan.
func ToPydantic(b []byte) []byte {
	if bytes.Index(b, []byte("e-")) < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	inString := false
	for i := 0; i < len(b); {
		c := b[i]
		if inString {
			out = append(out, c)
			switch c {
			case '\\':
				out = append(out, b[i+1])
				i += 2
				continue
			case '"':
				inString = false
			}
			i++
			continue
		}
		if c == '"' {
			inString = true
			out = append(out, c)
			i++
			continue
		}
		if c != '-' && (c < '0' || c > '9') {
			out = append(out, c)
			i++
			continue
		}
		j := i
		for j < len(b) && strings.IndexByte("+-0123456789.eE", b[j]) >= 0 {
			j++
		}
		out = appendPydanticNumber(out, b[i:j])
		i = j
	}
	return out
}

func appendPydanticNumber(out, num []byte) []byte {
	e := bytes.IndexByte(num, 'e')
	if e < 0 || e+1 >= len(num) || num[e+1] != '-' {
		return append(out, num...)
	}
	exp := num[e+2:]
	if string(exp) == "05" {
		if f, err := strconv.ParseFloat(string(num), 64); err == nil {
			return strconv.AppendFloat(out, f, 'f', -1, 64)
		}
	}
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	out = append(out, num[:e+2]...)
	return append(out, exp...)
}
