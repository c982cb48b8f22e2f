package pyexpr

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// maxStrDigits is CPython's default limit on converting ints to and from
// decimal strings (sys.get_int_max_str_digits()).
const maxStrDigits = 4300

// Repr returns v as Python's repr() writes it. Go maps have no order, so
// their keys are written sorted.
func (v Value) Repr() string { return repr(v) }

func repr(v Value) string { return string(appendRepr(nil, v, 0)) }

// str is Python's str().
func str(v Value) (s string, err error) {
	if v.k == kStr {
		return v.s, nil
	}
	if err := checkDigits(v, 0); err != nil {
		return "", err
	}
	return repr(v), nil
}

// checkDigits refuses, as CPython does, to write an int of more than
// maxStrDigits decimal digits.
func checkDigits(v Value, depth int) error {
	checkDepth(depth)
	switch v.k {
	case kBig:
		// 3.33 bits per digit: only ints near the limit need counting.
		if v.big().BitLen() > maxStrDigits*3 && len(new(big.Int).Abs(v.big()).String()) > maxStrDigits {
			return pyErr("ValueError: Exceeds the limit (%d digits) for integer string conversion", maxStrDigits)
		}
	case kList, kTuple, kSet:
		its, _ := items(v)
		for _, e := range its {
			if err := checkDigits(e, depth+1); err != nil {
				return err
			}
		}
	case kDict:
		keys, vals := dictItems(v)
		for i := range keys {
			if err := checkDigits(keys[i], depth+1); err != nil {
				return err
			}
			if err := checkDigits(vals[i], depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func appendRepr(b []byte, v Value, depth int) []byte {
	checkDepth(depth)
	switch v.k {
	case kNone:
		return append(b, "None"...)
	case kBool:
		if v.n != 0 {
			return append(b, "True"...)
		}
		return append(b, "False"...)
	case kInt:
		return strconv.AppendInt(b, v.int(), 10)
	case kBig:
		return v.big().Append(b, 10)
	case kFloat:
		return appendFloat(b, v.float())
	case kStr:
		return appendQuoted(b, v.s)
	case kList, kTuple:
		open, close := byte('['), byte(']')
		if v.k == kTuple {
			open, close = '(', ')'
		}
		b = append(b, open)
		n := length(v)
		for i := range n {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRepr(b, item(v, i), depth+1)
		}
		if v.k == kTuple && n == 1 {
			b = append(b, ',')
		}
		return append(b, close)
	case kDict:
		keys, vals := dictItems(v)
		b = append(b, '{')
		for i := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRepr(b, keys[i], depth+1)
			b = append(b, ": "...)
			b = appendRepr(b, vals[i], depth+1)
		}
		return append(b, '}')
	case kSet:
		its := v.r.(*set).items
		if len(its) == 0 {
			return append(b, "set()"...)
		}
		b = append(b, '{')
		for i, e := range its {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRepr(b, e, depth+1)
		}
		return append(b, '}')
	}
	return fmt.Appendf(b, "<%s %v>", typeName(v), v.r)
}

// appendFloat writes f as Python's repr() does: the shortest string that
// reads back as f, in positional notation when the decimal exponent is
// between -4 and 16, with ".0" on integral values.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f != f:
		return append(b, "nan"...)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	exp := 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	if decpt := exp + 1; decpt > -4 && decpt <= 16 {
		start := len(b)
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		for _, c := range b[start:] {
			if c == '.' {
				return b
			}
		}
		return append(b, ".0"...)
	}
	return append(b, e...)
}

// appendQuoted writes s as Python's repr() of a str: single quotes unless s
// holds a single quote and no double quote; backslash escapes for the quote,
// backslash, \t \n \r and characters that are not printable.
func appendQuoted(b []byte, s string) []byte {
	q := byte('\'')
	if containsByte(s, '\'') && !containsByte(s, '"') {
		q = '"'
	}
	b = append(b, q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < ' ' || r == 0x7f:
			b = fmt.Appendf(b, `\x%02x`, r)
		case r < utf8.RuneSelf || unicode.IsPrint(r):
			b = utf8.AppendRune(b, r)
		case r < 0x100:
			b = fmt.Appendf(b, `\x%02x`, r)
		case r < 0x10000:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = fmt.Appendf(b, `\U%08x`, r)
		}
	}
	return append(b, q)
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
