package pyexpr

import (
	"math"
	"math/big"
	"reflect"
	"strings"
)

// numCmp compares two numbers exactly, as Python does (an int and a float are
// compared by value, never by converting the int to a float). ok is false
// when either is NaN.
func numCmp(a, b Value) (c int, ok bool) {
	switch {
	case a.k != kFloat && b.k != kFloat:
		if a.k != kBig && b.k != kBig {
			return cmpInt(a.int(), b.int()), true
		}
		return a.toBig().Cmp(b.toBig()), true
	case a.k == kFloat && b.k == kFloat:
		x, y := a.float(), b.float()
		if x != x || y != y {
			return 0, false
		}
		return cmpFloat(x, y), true
	case a.k == kFloat:
		c, ok := intFloatCmp(b, a.float())
		return -c, ok
	}
	return intFloatCmp(a, b.float())
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// intFloatCmp compares an int Value with f exactly.
func intFloatCmp(i Value, f float64) (int, bool) {
	if f != f {
		return 0, false
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return -1, true
		}
		return 1, true
	}
	if i.k == kBig {
		return new(big.Float).SetInt(i.big()).Cmp(new(big.Float).SetFloat64(f)), true
	}
	x := i.int()
	if f >= 1<<63 {
		return -1, true
	}
	if f < -(1 << 63) {
		return 1, true
	}
	t := math.Trunc(f)
	if c := cmpInt(x, int64(t)); c != 0 {
		return c, true
	}
	// Equal integral parts: the fraction decides.
	return cmpFloat(t, f), true
}

// equal is Python's ==.
func equal(a, b Value, depth int) bool {
	if a.k == kInt && b.k == kInt {
		return a.n == b.n
	}
	if a.k == kStr && b.k == kStr {
		return a.s == b.s
	}
	if a.isNum() && b.isNum() {
		c, ok := numCmp(a, b)
		return ok && c == 0
	}
	if a.k != b.k {
		return false
	}
	checkDepth(depth)
	switch a.k {
	case kNone:
		return true
	case kList, kTuple:
		n := length(a)
		if n != length(b) {
			return false
		}
		for i := range n {
			if !equal(item(a, i), item(b, i), depth+1) {
				return false
			}
		}
		return true
	case kDict:
		return dictEqual(a, b, depth)
	case kSet:
		x, y := a.r.(*set), b.r.(*set)
		if len(x.items) != len(y.items) {
			return false
		}
		for _, e := range x.items {
			if !setHas(y, e, depth+1) {
				return false
			}
		}
		return true
	case kObj:
		return reflect.DeepEqual(a.r, b.r)
	}
	return false
}

func dictEqual(a, b Value, depth int) bool {
	if x, ok := a.r.(map[string]any); ok {
		if y, ok := b.r.(map[string]any); ok {
			if len(x) != len(y) {
				return false
			}
			for k, v := range x {
				w, ok := y[k]
				if !ok || !equal(fromGo(v), fromGo(w), depth+1) {
					return false
				}
			}
			return true
		}
	}
	if length(a) != length(b) {
		return false
	}
	keys, vals := dictItems(a)
	for i, k := range keys {
		w, ok := dictGet(b, k, depth+1)
		if !ok || !equal(vals[i], w, depth+1) {
			return false
		}
	}
	return true
}

func setHas(s *set, v Value, depth int) bool {
	for _, e := range s.items {
		if equal(e, v, depth) {
			return true
		}
	}
	return false
}

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
	cmpIn
	cmpNotIn
	cmpIs
	cmpIsNot
)

var cmpNames = [...]string{"==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"}

func (op cmpOp) String() string { return cmpNames[op] }

// compare applies a comparison operator.
func compare(op cmpOp, a, b Value) (bool, error) {
	switch op {
	case cmpEq:
		return equal(a, b, 0), nil
	case cmpNe:
		return !equal(a, b, 0), nil
	case cmpIn:
		return contains(b, a)
	case cmpNotIn:
		in, err := contains(b, a)
		return !in, err
	case cmpIs:
		return identical(a, b), nil
	case cmpIsNot:
		return !identical(a, b), nil
	}
	return order(op, a, b, 0)
}

// order is Python's <, <=, > and >=.
func order(op cmpOp, a, b Value, depth int) (bool, error) {
	if a.k == kInt && b.k == kInt {
		return applyOrder(op, cmpInt(a.int(), b.int())), nil
	}
	if a.isNum() && b.isNum() {
		c, ok := numCmp(a, b)
		return ok && applyOrder(op, c), nil
	}
	if a.k == kStr && b.k == kStr {
		// UTF-8 byte order is code point order.
		return applyOrder(op, strings.Compare(a.s, b.s)), nil
	}
	if a.k == b.k && (a.k == kList || a.k == kTuple) {
		checkDepth(depth)
		n, m := length(a), length(b)
		for i := 0; i < n && i < m; i++ {
			x, y := item(a, i), item(b, i)
			if !equal(x, y, depth+1) {
				return order(op, x, y, depth+1)
			}
		}
		return applyOrder(op, cmpInt(int64(n), int64(m))), nil
	}
	if a.k == kSet && b.k == kSet {
		x, y := a.r.(*set), b.r.(*set)
		switch op {
		case cmpLt:
			return len(x.items) < len(y.items) && subset(x, y), nil
		case cmpLe:
			return subset(x, y), nil
		case cmpGt:
			return len(x.items) > len(y.items) && subset(y, x), nil
		default:
			return subset(y, x), nil
		}
	}
	return false, pyErr("TypeError: '%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
}

func subset(x, y *set) bool {
	for _, e := range x.items {
		if !setHas(y, e, 1) {
			return false
		}
	}
	return true
}

func applyOrder(op cmpOp, c int) bool {
	switch op {
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	}
	return c >= 0
}

// identical is Python's "is" for the values this package has: None, True and
// False are singletons; numbers and strings are identical when they have the
// same type and value; lists, dicts and objects are identical when they are
// the same Go slice, map or pointer; containers the expression builds are
// new, identical only to themselves.
func identical(a, b Value) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case kNone:
		return true
	case kBool, kInt, kFloat:
		return a.n == b.n
	case kBig:
		return a.big().Cmp(b.big()) == 0
	case kStr:
		return a.s == b.s
	}
	if a.r == nil || b.r == nil {
		return a.r == nil && b.r == nil
	}
	if x, ok := a.r.([]Value); ok {
		// Built by the expression, so new; CPython has one empty tuple.
		y, _ := b.r.([]Value)
		return a.k == kTuple && len(x) == 0 && y != nil && len(y) == 0
	}
	x, y := reflect.ValueOf(a.r), reflect.ValueOf(b.r)
	if x.Type() != y.Type() {
		return false
	}
	switch x.Kind() {
	case reflect.Slice:
		return x.Len() == y.Len() && x.Pointer() == y.Pointer()
	case reflect.Map, reflect.Pointer:
		return x.Pointer() == y.Pointer()
	}
	return x.Comparable() && x.Equal(y)
}

// contains is Python's "item in container".
func contains(container, x Value) (bool, error) {
	switch container.k {
	case kStr:
		if x.k != kStr {
			return false, pyErr("TypeError: 'in <string>' requires string as left operand, not %s", typeName(x))
		}
		return strings.Contains(container.s, x.s), nil
	case kList, kTuple:
		if r, ok := container.r.([]any); ok {
			for _, e := range r {
				if equal(fromGo(e), x, 1) {
					return true, nil
				}
			}
			return false, nil
		}
		for i, n := 0, length(container); i < n; i++ {
			if equal(item(container, i), x, 1) {
				return true, nil
			}
		}
		return false, nil
	case kDict, kSet:
		if err := unhashable(x); err != nil {
			return false, err
		}
		if container.k == kSet {
			return setHas(container.r.(*set), x, 1), nil
		}
		_, ok := dictGet(container, x, 1)
		return ok, nil
	}
	return false, pyErr("TypeError: argument of type '%s' is not iterable", typeName(container))
}
