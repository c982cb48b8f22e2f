package pyexpr

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

type builtin uint8

const (
	bAbs builtin = iota
	bAll
	bAny
	bBool
	bFloat
	bInt
	bLen
	bMax
	bMin
	bStr
	bSum
)

// builtins are the functions an expression may call, with the number of
// arguments each takes (maxArgs -1: any number).
var builtins = map[string]struct {
	id               builtin
	minArgs, maxArgs int
}{
	"abs":   {bAbs, 1, 1},
	"all":   {bAll, 1, 1},
	"any":   {bAny, 1, 1},
	"bool":  {bBool, 0, 1},
	"float": {bFloat, 0, 1},
	"int":   {bInt, 0, 1},
	"len":   {bLen, 1, 1},
	"max":   {bMax, 1, -1},
	"min":   {bMin, 1, -1},
	"str":   {bStr, 0, 1},
	"sum":   {bSum, 1, 2},
}

// Builtins lists the functions an expression may call, sorted.
func Builtins() []string {
	return []string{"abs", "all", "any", "bool", "float", "int", "len", "max", "min", "str", "sum"}
}

// call runs a builtin on its evaluated arguments.
func call(id builtin, name string, args []Value) (Value, error) {
	switch id {
	case bLen:
		n := length(args[0])
		if n < 0 {
			return none, pyErr("TypeError: object of type '%s' has no len()", typeName(args[0]))
		}
		return intV(int64(n)), nil
	case bBool:
		return boolV(len(args) == 1 && args[0].Truth()), nil
	case bStr:
		if len(args) == 0 {
			return strV(""), nil
		}
		s, err := str(args[0])
		return strV(s), err
	case bInt:
		if len(args) == 0 {
			return intV(0), nil
		}
		return toInt(args[0])
	case bFloat:
		if len(args) == 0 {
			return floatV(0), nil
		}
		return toFloatValue(args[0])
	case bAbs:
		v := args[0]
		switch {
		case v.k == kFloat:
			return floatV(math.Abs(v.float())), nil
		case v.k == kBig && v.big().Sign() < 0, v.isInt() && v.k != kBig && v.int() < 0:
			return unary(opNeg, v)
		case v.isInt():
			return unary(opPos, v)
		}
		return none, pyErr("TypeError: bad operand type for abs(): '%s'", typeName(v))
	case bAny, bAll:
		its, err := items(args[0])
		if err != nil {
			return none, err
		}
		for _, e := range its {
			if e.Truth() == (id == bAny) {
				return boolV(id == bAny), nil
			}
		}
		return boolV(id == bAll), nil
	case bMin, bMax:
		its := args
		if len(args) == 1 {
			var err error
			if its, err = items(args[0]); err != nil {
				return none, err
			}
		}
		if len(its) == 0 {
			return none, pyErr("ValueError: %s() arg is an empty sequence", name)
		}
		op := cmpLt
		if id == bMax {
			op = cmpGt
		}
		best := its[0]
		for _, e := range its[1:] {
			better, err := order(op, e, best, 0)
			if err != nil {
				return none, err
			}
			if better {
				best = e
			}
		}
		return best, nil
	case bSum:
		total := intV(0)
		if len(args) == 2 {
			total = args[1]
			if total.k == kStr {
				return none, pyErr("TypeError: sum() can't sum strings [use ''.join(seq) instead]")
			}
		}
		its, err := items(args[0])
		if err != nil {
			return none, err
		}
		for _, e := range its {
			if total, err = binary(opAdd, total, e); err != nil {
				return none, err
			}
		}
		return total, nil
	}
	panic("unknown builtin " + name)
}

// toInt is int(v).
func toInt(v Value) (Value, error) {
	switch v.k {
	case kBool, kInt:
		return intV(v.int()), nil
	case kBig:
		return v, nil
	case kFloat:
		f := v.float()
		switch {
		case math.IsInf(f, 0):
			return none, pyErr("OverflowError: cannot convert float infinity to integer")
		case f != f:
			return none, pyErr("ValueError: cannot convert float NaN to integer")
		case -(1<<63) <= f && f < 1<<63:
			return intV(int64(f)), nil
		}
		b, _ := big.NewFloat(math.Trunc(f)).Int(nil)
		return bigV(b), nil
	case kStr:
		digits, ok := pyDigits(v.s, false)
		if ok {
			if len(strings.TrimLeft(digits, "+-")) > maxStrDigits {
				return none, pyErr("ValueError: Exceeds the limit (%d digits) for integer string conversion: value has %d digits", maxStrDigits, len(digits))
			}
			if i, err := strconv.ParseInt(digits, 10, 64); err == nil {
				return intV(i), nil
			}
			if b, ok := new(big.Int).SetString(digits, 10); ok {
				return bigV(b), nil
			}
		}
		return none, pyErr("ValueError: invalid literal for int() with base 10: %s", repr(v))
	}
	return none, pyErr("TypeError: int() argument must be a string, a bytes-like object or a real number, not '%s'", typeName(v))
}

// toFloatValue is float(v).
func toFloatValue(v Value) (Value, error) {
	switch v.k {
	case kFloat:
		return v, nil
	case kBool, kInt, kBig:
		f, err := toFloat(v)
		return floatV(f), err
	case kStr:
		if s, ok := pyDigits(v.s, true); ok {
			body, sign := s, 1.0
			if body != "" && (body[0] == '+' || body[0] == '-') {
				if body[0] == '-' {
					sign = -1
				}
				body = body[1:]
			}
			switch strings.ToLower(body) {
			case "inf", "infinity":
				return floatV(math.Inf(int(sign))), nil
			case "nan":
				return floatV(math.Copysign(math.NaN(), sign)), nil
			}
			if isPyFloat(body) {
				// Out of range values come back as ±Inf or 0, as Python's do.
				f, err := strconv.ParseFloat(s, 64)
				if err == nil || errors.Is(err, strconv.ErrRange) {
					return floatV(f), nil
				}
			}
		}
		return none, pyErr("ValueError: could not convert string to float: %s", repr(v))
	}
	return none, pyErr("TypeError: float() argument must be a string or a real number, not '%s'", typeName(v))
}

// pyDigits prepares a string for int() or float() as Python does: it strips
// whitespace, turns Unicode decimal digits into ASCII ones and removes the
// underscores allowed between digits. ok is false when an underscore is
// misplaced, or (for int) when anything but a sign and digits remains.
func pyDigits(s string, float bool) (string, bool) {
	s = strings.TrimFunc(s, isPySpace)
	var b strings.Builder
	prevDigit := false
	rs := []rune(s)
	for i, r := range rs {
		d, isDigit := digitValue(r)
		switch {
		case isDigit:
			b.WriteByte(byte('0' + d))
		case r == '_':
			if !prevDigit || i+1 >= len(rs) {
				return "", false
			}
			if _, next := digitValue(rs[i+1]); !next {
				return "", false
			}
		case (r == '+' || r == '-') && (i == 0 || float && (rs[i-1] == 'e' || rs[i-1] == 'E')):
			b.WriteRune(r)
		case float && r < 0x80:
			b.WriteRune(r)
		default:
			return "", false
		}
		prevDigit = isDigit
	}
	out := b.String()
	if !float && strings.TrimLeft(out, "+-") == "" {
		return "", false
	}
	return out, true
}

// isPyFloat reports whether s (sign removed) is a decimal float literal:
// digits with an optional fraction and exponent.
func isPyFloat(s string) bool {
	i, n := 0, len(s)
	digits := func() int {
		start := i
		for i < n && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}
	mant := digits()
	if i < n && s[i] == '.' {
		i++
		mant += digits()
	}
	if mant == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == n
}

// digitValue is the value of a Unicode decimal digit (category Nd): the
// digits of each script are consecutive, from zero.
func digitValue(r rune) (int, bool) {
	if '0' <= r && r <= '9' {
		return int(r - '0'), true
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}

// isPySpace is Python's str.isspace() for one character.
func isPySpace(r rune) bool {
	switch r {
	case 0x1c, 0x1d, 0x1e, 0x1f:
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)
}
