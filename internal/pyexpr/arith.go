package pyexpr

import (
	"math"
	"math/big"
	"strings"
)

// Limits on what one operation may build, so that an expression cannot
// exhaust memory: Python would try, and the process would stall.
const (
	maxIntBits = 1 << 16 // bits of an int result
	maxLen     = 1 << 20 // characters or elements of a repeated str or list
)

type binOp uint8

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opFloorDiv
	opMod
	opPow
	opLShift
	opRShift
	opBitAnd
	opBitOr
	opBitXor
)

var binNames = [...]string{"+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^"}

func (op binOp) String() string { return binNames[op] }

// binary applies an arithmetic or bitwise operator with Python's semantics.
func binary(op binOp, a, b Value) (Value, error) {
	if a.k == kInt && b.k == kInt {
		if v, ok := smallArith(op, a.int(), b.int()); ok {
			return v, nil
		}
	}
	if a.isNum() && b.isNum() {
		return numArith(op, a, b)
	}
	if a.k == kSet && b.k == kSet && op >= opBitAnd {
		return setOp(op, a.r.(*set), b.r.(*set)), nil
	}
	switch op {
	case opAdd:
		switch {
		case a.k == kStr && b.k == kStr:
			return strV(a.s + b.s), nil
		case a.k == b.k && (a.k == kList || a.k == kTuple):
			n, m := length(a), length(b)
			out := make([]Value, 0, n+m)
			for i := range n {
				out = append(out, item(a, i))
			}
			for i := range m {
				out = append(out, item(b, i))
			}
			return Value{k: a.k, r: out}, nil
		case a.k == kStr || a.k == kList || a.k == kTuple:
			return none, pyErr(`TypeError: can only concatenate %s (not "%s") to %s`, typeName(a), typeName(b), typeName(a))
		}
	case opMul:
		if a.isInt() && (b.k == kStr || b.k == kList || b.k == kTuple) {
			a, b = b, a
		}
		if a.k == kStr || a.k == kList || a.k == kTuple {
			if !b.isInt() {
				return none, pyErr("TypeError: can't multiply sequence by non-int of type '%s'", typeName(b))
			}
			return repeat(a, b)
		}
	case opSub:
		if a.k == kSet && b.k == kSet {
			return setOp(op, a.r.(*set), b.r.(*set)), nil
		}
	case opMod:
		if a.k == kStr {
			return none, pyErr("TypeError: formatting strings with %% is not supported")
		}
	}
	return none, pyErr("TypeError: unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(a), typeName(b))
}

// setOp is set union (|), intersection (&), difference (-) and symmetric
// difference (^). Items keep the order they have in x, then y.
func setOp(op binOp, x, y *set) Value {
	out := &set{}
	for _, e := range x.items {
		in := setHas(y, e, 1)
		if op == opBitOr || (op == opBitAnd) == in {
			out.items = append(out.items, e)
		}
	}
	if op == opBitOr || op == opBitXor {
		for _, e := range y.items {
			if !setHas(x, e, 1) {
				out.items = append(out.items, e)
			}
		}
	}
	return Value{k: kSet, r: out}
}

// smallArith computes op on two int64s; ok is false when the result does not
// fit or needs another path (true division, powers, shifts, division by zero).
func smallArith(op binOp, x, y int64) (Value, bool) {
	switch op {
	case opAdd:
		s := x + y
		if (s^x)&(s^y) < 0 {
			return none, false
		}
		return intV(s), true
	case opSub:
		d := x - y
		if (x^y)&(x^d) < 0 {
			return none, false
		}
		return intV(d), true
	case opMul:
		if x == 0 || y == 0 {
			return intV(0), true
		}
		p := x * y
		if p/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
			return none, false
		}
		return intV(p), true
	case opFloorDiv:
		if y == 0 || (y == -1 && x == math.MinInt64) {
			return none, false
		}
		q := x / y
		if x%y != 0 && (x < 0) != (y < 0) {
			q--
		}
		return intV(q), true
	case opMod:
		if y == 0 {
			return none, false
		}
		if y == -1 {
			return intV(0), true
		}
		m := x % y
		if m != 0 && (m < 0) != (y < 0) {
			m += y
		}
		return intV(m), true
	case opBitAnd:
		return intV(x & y), true
	case opBitOr:
		return intV(x | y), true
	case opBitXor:
		return intV(x ^ y), true
	case opRShift:
		if y < 0 {
			return none, false
		}
		return intV(x >> min(y, 63)), true
	}
	return none, false
}

func numArith(op binOp, a, b Value) (Value, error) {
	if a.k == kFloat || b.k == kFloat {
		if op >= opLShift {
			return none, pyErr("TypeError: unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(a), typeName(b))
		}
		x, err := toFloat(a)
		if err != nil {
			return none, err
		}
		y, err := toFloat(b)
		if err != nil {
			return none, err
		}
		return floatArith(op, x, y)
	}
	switch op {
	case opDiv:
		return intTrueDiv(a, b)
	case opPow:
		return intPow(a, b)
	case opBitAnd, opBitOr, opBitXor:
		if a.k == kBool && b.k == kBool {
			v, _ := smallArith(op, a.int(), b.int())
			return boolV(v.n != 0), nil
		}
	}
	if a.k != kBig && b.k != kBig {
		if v, ok := smallArith(op, a.int(), b.int()); ok {
			return v, nil
		}
	}
	return bigArith(op, a.toBig(), b.toBig())
}

func bigArith(op binOp, x, y *big.Int) (Value, error) {
	z := new(big.Int)
	switch op {
	case opAdd:
		z.Add(x, y)
	case opSub:
		z.Sub(x, y)
	case opMul:
		if x.BitLen()+y.BitLen() > maxIntBits {
			return none, tooLarge()
		}
		z.Mul(x, y)
	case opFloorDiv, opMod:
		if y.Sign() == 0 {
			if op == opMod {
				return none, pyErr("ZeroDivisionError: integer modulo by zero")
			}
			return none, pyErr("ZeroDivisionError: integer division or modulo by zero")
		}
		m := new(big.Int)
		z.QuoRem(x, y, m)
		if m.Sign() != 0 && m.Sign() != y.Sign() {
			z.Sub(z, big.NewInt(1))
			m.Add(m, y)
		}
		if op == opMod {
			z = m
		}
	case opLShift, opRShift:
		if y.Sign() < 0 {
			return none, pyErr("ValueError: negative shift count")
		}
		if op == opRShift {
			if !y.IsInt64() || y.Int64() > int64(x.BitLen()) {
				if x.Sign() < 0 {
					return intV(-1), nil
				}
				return intV(0), nil
			}
			z.Rsh(x, uint(y.Int64()))
			break
		}
		if x.Sign() == 0 {
			return intV(0), nil
		}
		if !y.IsInt64() || int64(x.BitLen())+y.Int64() > maxIntBits {
			return none, tooLarge()
		}
		z.Lsh(x, uint(y.Int64()))
	case opBitAnd:
		z.And(x, y)
	case opBitOr:
		z.Or(x, y)
	case opBitXor:
		z.Xor(x, y)
	}
	return bigV(z), nil
}

func tooLarge() error {
	return pyErr("OverflowError: integer result too large (this evaluator keeps ints under %d bits)", maxIntBits)
}

// toFloat converts a number to a float as Python does, refusing ints too
// large for one.
func toFloat(v Value) (float64, error) {
	switch v.k {
	case kFloat:
		return v.float(), nil
	case kBig:
		f, _ := new(big.Float).SetInt(v.big()).Float64()
		if math.IsInf(f, 0) {
			return 0, pyErr("OverflowError: int too large to convert to float")
		}
		return f, nil
	}
	return float64(v.int()), nil
}

// intTrueDiv is int / int: the correctly rounded quotient.
func intTrueDiv(a, b Value) (Value, error) {
	if b.k != kBig && b.int() == 0 {
		return none, pyErr("ZeroDivisionError: division by zero")
	}
	const exact = 1 << 53
	if a.k != kBig && b.k != kBig {
		x, y := a.int(), b.int()
		if -exact <= x && x <= exact && -exact <= y && y <= exact {
			return floatV(float64(x) / float64(y)), nil
		}
	}
	f, _ := new(big.Rat).SetFrac(a.toBig(), b.toBig()).Float64()
	if math.IsInf(f, 0) {
		return none, pyErr("OverflowError: integer division result too large for a float")
	}
	return floatV(f), nil
}

// intPow is int ** int: an int for a non-negative exponent, else a float.
func intPow(a, b Value) (Value, error) {
	if b.k == kBig && b.big().Sign() < 0 || b.k != kBig && b.int() < 0 {
		x, err := toFloat(a)
		if err != nil {
			return none, err
		}
		y, err := toFloat(b)
		if err != nil {
			return none, err
		}
		return floatPow(x, y)
	}
	x := a.toBig()
	switch {
	case x.Sign() == 0 || x.IsInt64() && x.Int64() == 1:
		if b.k != kBig && b.int() == 0 {
			return intV(1), nil
		}
		return bigV(x), nil
	case x.IsInt64() && x.Int64() == -1:
		if b.toBig().Bit(0) == 0 {
			return intV(1), nil
		}
		return intV(-1), nil
	}
	if b.k == kBig || b.int() > maxIntBits || int64(x.BitLen()-1)*b.int() > maxIntBits {
		return none, tooLarge()
	}
	return bigV(x.Exp(x, b.toBig(), nil)), nil
}

func floatArith(op binOp, x, y float64) (Value, error) {
	switch op {
	case opAdd:
		return floatV(x + y), nil
	case opSub:
		return floatV(x - y), nil
	case opMul:
		return floatV(x * y), nil
	case opDiv:
		if y == 0 {
			return none, pyErr("ZeroDivisionError: float division by zero")
		}
		return floatV(x / y), nil
	case opFloorDiv:
		if y == 0 {
			return none, pyErr("ZeroDivisionError: float floor division by zero")
		}
		return floatV(floatFloorDiv(x, y)), nil
	case opMod:
		if y == 0 {
			return none, pyErr("ZeroDivisionError: float modulo")
		}
		return floatV(floatMod(x, y)), nil
	}
	return floatPow(x, y)
}

// floatMod and floatFloorDiv follow CPython's float_rem and float_divmod
// step by step, so that signs, zeros, infinities and NaNs come out alike.
func floatMod(vx, wx float64) float64 {
	mod := math.Mod(vx, wx)
	if mod != 0 {
		if (wx < 0) != (mod < 0) {
			mod += wx
		}
	} else {
		mod = math.Copysign(0, wx)
	}
	return mod
}

func floatFloorDiv(vx, wx float64) float64 {
	mod := math.Mod(vx, wx)
	div := (vx - mod) / wx
	if mod != 0 {
		if (wx < 0) != (mod < 0) {
			div -= 1.0
		}
	}
	if div != 0 {
		floordiv := math.Floor(div)
		if div-floordiv > 0.5 {
			floordiv += 1.0
		}
		return floordiv
	}
	return math.Copysign(0, vx/wx)
}

// floatPow follows CPython's float_pow.
func floatPow(iv, iw float64) (Value, error) {
	isOddInt := func(x float64) bool { return math.Mod(math.Abs(x), 2) == 1 }
	switch {
	case iw == 0:
		return floatV(1), nil
	case iv != iv:
		return floatV(iv), nil
	case iw != iw:
		if iv == 1 {
			return floatV(1), nil
		}
		return floatV(iw), nil
	case math.IsInf(iw, 0):
		iv = math.Abs(iv)
		switch {
		case iv == 1:
			return floatV(1), nil
		case (iw > 0) == (iv > 1):
			return floatV(math.Abs(iw)), nil
		}
		return floatV(0), nil
	case math.IsInf(iv, 0):
		odd := isOddInt(iw)
		if iw > 0 {
			if odd {
				return floatV(iv), nil
			}
			return floatV(math.Abs(iv)), nil
		}
		if odd {
			return floatV(math.Copysign(0, iv)), nil
		}
		return floatV(0), nil
	case iv == 0:
		if iw < 0 {
			return none, pyErr("ZeroDivisionError: 0.0 cannot be raised to a negative power")
		}
		if isOddInt(iw) {
			return floatV(iv), nil
		}
		return floatV(0), nil
	case iv == 1:
		return floatV(1), nil
	}
	negate := false
	if iv < 0 {
		if iw != math.Floor(iw) {
			return none, pyErr("ValueError: a negative number raised to a fractional power is complex, which is not supported")
		}
		iv = -iv
		negate = isOddInt(iw)
	}
	if iv == 1 {
		if negate {
			return floatV(-1), nil
		}
		return floatV(1), nil
	}
	ix := math.Pow(iv, iw)
	if math.IsInf(ix, 0) {
		return none, pyErr("OverflowError: (34, 'Numerical result out of range')")
	}
	if negate {
		ix = -ix
	}
	return floatV(ix), nil
}

// repeat is seq * n.
func repeat(seq, n Value) (Value, error) {
	count := int64(0)
	switch {
	case n.k == kBig && n.big().Sign() > 0:
		return none, pyErr("OverflowError: cannot fit 'int' into an index-sized integer")
	case n.k != kBig:
		count = max(n.int(), 0)
	}
	l := int64(length(seq))
	if seq.k == kStr {
		l = int64(len(seq.s))
	}
	if l != 0 && count > maxLen/l {
		return none, pyErr("MemoryError: result too large (this evaluator builds at most %d characters or elements)", maxLen)
	}
	if seq.k == kStr {
		return strV(strings.Repeat(seq.s, int(count))), nil
	}
	out := make([]Value, 0, l*count)
	for range count {
		for i := range int(l) {
			out = append(out, item(seq, i))
		}
	}
	return Value{k: seq.k, r: out}, nil
}

type unOp uint8

const (
	opNeg unOp = iota
	opPos
	opInvert
	opNot
)

var unNames = [...]string{"-", "+", "~", "not"}

func (op unOp) String() string { return unNames[op] }

// unary applies -, + or ~.
func unary(op unOp, v Value) (Value, error) {
	switch {
	case v.k == kFloat && op != opInvert:
		if op == opNeg {
			return floatV(-v.float()), nil
		}
		return v, nil
	case v.k == kBool || v.k == kInt:
		x := v.int()
		switch op {
		case opNeg:
			if x == math.MinInt64 {
				return bigV(new(big.Int).Neg(v.toBig())), nil
			}
			return intV(-x), nil
		case opPos:
			return intV(x), nil
		}
		return intV(^x), nil
	case v.k == kBig:
		switch op {
		case opNeg:
			return bigV(new(big.Int).Neg(v.big())), nil
		case opPos:
			return v, nil
		}
		return bigV(new(big.Int).Not(v.big())), nil
	}
	return none, pyErr("TypeError: bad operand type for unary %s: '%s'", op, typeName(v))
}
