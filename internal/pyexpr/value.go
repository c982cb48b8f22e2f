package pyexpr

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strconv"
)

type kind uint8

const (
	kNone  kind = iota
	kBool       // n is 0 or 1
	kInt        // n holds an int64
	kFloat      // n holds float64 bits
	kBig        // r holds a *big.Int that does not fit in an int64
	kStr        // s
	kList       // r holds []any, []Value or a Go slice or array
	kTuple      // r holds []Value
	kDict       // r holds map[string]any, *dict or another Go map
	kSet        // r holds *set
	kObj        // r holds any other Go value: a struct, a pointer to one, …
)

// Value is a Python value: None, bool, int, float, str, list, tuple, dict,
// set, or a Go value the expression can only compare, pass on and read
// attributes of. Values read from state keep the Go value they came from, so
// reading a list or a map costs nothing.
type Value struct {
	k kind
	n uint64
	s string
	r any
}

// dict is a dict built by the expression: its keys in insertion order, no two
// equal.
type dict struct{ keys, vals []Value }

// set is a set built by the expression, no two items equal.
type set struct{ items []Value }

var (
	none     = Value{}
	valTrue  = Value{k: kBool, n: 1}
	valFalse = Value{k: kBool}
)

func boolV(b bool) Value {
	if b {
		return valTrue
	}
	return valFalse
}

func intV(i int64) Value     { return Value{k: kInt, n: uint64(i)} }
func floatV(f float64) Value { return Value{k: kFloat, n: math.Float64bits(f)} }
func strV(s string) Value    { return Value{k: kStr, s: s} }

// bigV returns b as an int Value, small when it fits in an int64.
func bigV(b *big.Int) Value {
	if b.IsInt64() {
		return intV(b.Int64())
	}
	return Value{k: kBig, r: b}
}

func (v Value) int() int64     { return int64(v.n) }
func (v Value) float() float64 { return math.Float64frombits(v.n) }
func (v Value) big() *big.Int  { return v.r.(*big.Int) }

// isInt reports whether v is an int or a bool (Python's bool is an int).
func (v Value) isInt() bool { return v.k == kBool || v.k == kInt || v.k == kBig }

func (v Value) isNum() bool { return v.isInt() || v.k == kFloat }

// toBig returns an int Value as a new *big.Int.
func (v Value) toBig() *big.Int {
	if v.k == kBig {
		return new(big.Int).Set(v.big())
	}
	return big.NewInt(v.int())
}

// Truth reports whether v is true as Python's bool() says.
func (v Value) Truth() bool {
	switch v.k {
	case kNone:
		return false
	case kBool, kInt:
		return v.n != 0
	case kFloat:
		return v.float() != 0
	case kBig:
		return true
	case kStr:
		return v.s != ""
	case kList, kTuple, kDict, kSet:
		return length(v) != 0
	}
	return true
}

// fromGo converts a value found in state. Containers keep the interface
// value they came in, so reading them allocates nothing.
func fromGo(x any) Value {
	switch v := x.(type) {
	case int:
		return intV(int64(v))
	case string:
		return strV(v)
	case bool:
		return boolV(v)
	case float64:
		return floatV(v)
	case nil:
		return none
	case []any:
		return Value{k: kList, r: x}
	case map[string]any:
		return Value{k: kDict, r: x}
	case int64:
		return intV(v)
	case int32:
		return intV(int64(v))
	case int16:
		return intV(int64(v))
	case int8:
		return intV(int64(v))
	case uint:
		return fromUint(uint64(v))
	case uint64:
		return fromUint(v)
	case uint32:
		return intV(int64(v))
	case uint16:
		return intV(int64(v))
	case uint8:
		return intV(int64(v))
	case float32:
		return floatV(float64(v))
	case json.Number:
		return fromNumber(v)
	case *big.Int:
		if v == nil {
			return none
		}
		// Values are never changed in place, so the state's int is shared.
		return bigV(v)
	case []Value:
		return Value{k: kList, r: x}
	}
	return fromReflect(reflect.ValueOf(x), x)
}

func fromUint(u uint64) Value {
	if u <= math.MaxInt64 {
		return intV(int64(u))
	}
	return Value{k: kBig, r: new(big.Int).SetUint64(u)}
}

// fromNumber converts a JSON number as Python's json module reads it: an
// integer when it has neither fraction nor exponent.
func fromNumber(n json.Number) Value {
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return intV(i)
	}
	if b, ok := new(big.Int).SetString(s, 10); ok {
		return bigV(b)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && f == 0 {
		// Not a number at all: keep it as the string it is.
		return strV(s)
	}
	return floatV(f)
}

// fromReflect converts Go values of named or composite types: a named string
// type is a str, a slice or array is a list, a map is a dict, a nil pointer
// is None. x is rv as an interface value.
func fromReflect(rv reflect.Value, x any) Value {
	switch rv.Kind() {
	case reflect.Bool:
		return boolV(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intV(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return fromUint(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return floatV(rv.Float())
	case reflect.String:
		return strV(rv.String())
	case reflect.Slice, reflect.Array:
		return Value{k: kList, r: x}
	case reflect.Map:
		return Value{k: kDict, r: x}
	case reflect.Pointer:
		if rv.IsNil() {
			return none
		}
		if rv.Elem().Kind() == reflect.Struct {
			return Value{k: kObj, r: x}
		}
		return fromGo(rv.Elem().Interface())
	case reflect.Invalid:
		return none
	}
	return Value{k: kObj, r: x}
}

// typeName is Python's name for v's type, or the Go type of an object.
func typeName(v Value) string {
	switch v.k {
	case kNone:
		return "NoneType"
	case kBool:
		return "bool"
	case kInt, kBig:
		return "int"
	case kFloat:
		return "float"
	case kStr:
		return "str"
	case kList:
		return "list"
	case kTuple:
		return "tuple"
	case kDict:
		return "dict"
	case kSet:
		return "set"
	}
	if v.r == nil {
		return "object"
	}
	return reflect.TypeOf(v.r).String()
}

// unhashable checks that Python could use v as a dict key or set item,
// returning Python's TypeError if not.
func unhashable(v Value) error {
	switch v.k {
	case kList, kDict, kSet:
		return pyErr("TypeError: unhashable type: '%s'", typeName(v))
	case kTuple:
		for _, e := range v.r.([]Value) {
			if err := unhashable(e); err != nil {
				return err
			}
		}
	}
	return nil
}
