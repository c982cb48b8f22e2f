package burr

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/burrgo/burr/internal/jsonx"
)

// Conversion and comparison of state values, in one place: how a typed [Key]
// reads a value, how When and the write check compare values, how Increment
// reads an integer.

var errConvert = fmt.Errorf("incompatible type")

// convertTo reads v as T: directly, through numeric conversion, or by a JSON
// round trip for composite values.
func convertTo[T any](v any) (T, error) {
	if t, ok := v.(T); ok {
		return t, nil
	}
	var zero T
	if v == nil {
		return zero, nil
	}
	target := reflect.TypeFor[T]()
	n, isNumber := v.(json.Number)
	if isNumber && (isNumberKind(target.Kind()) || target.Kind() == reflect.String) {
		out := reflect.New(target).Elem()
		if err := convertJSONNumber(n, out); err != nil {
			return zero, err
		}
		return out.Interface().(T), nil
	}
	src := reflect.ValueOf(v)
	switch {
	case isNumber && target.Kind() != reflect.Interface:
		// *big.Int, big.Float and other types that decode JSON numbers:
		// the JSON round trip below.
	case isNumberKind(target.Kind()) && isNumberKind(src.Kind()):
		out := reflect.New(target).Elem()
		if err := convertNumber(src, out); err != nil {
			return zero, err
		}
		return out.Interface().(T), nil
	case target.Kind() == reflect.String || src.Kind() == reflect.String:
		if src.Type().ConvertibleTo(target) && target.Kind() == src.Kind() {
			return src.Convert(target).Interface().(T), nil
		}
		return zero, errConvert
	case target.Kind() == reflect.Interface:
		if src.Type().Implements(target) {
			return src.Interface().(T), nil
		}
		return zero, errConvert
	}
	// Composite values: a JSON round trip maps []any / map[string]any (what a
	// loaded state holds) onto structs and typed slices.
	b, err := json.Marshal(v)
	if err != nil {
		return zero, err
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return zero, err
	}
	return out, nil
}

// convertJSONNumber sets out, a number (or string) of any kind, to n when out
// can hold its value: exactly for an integer, within range for a fraction.
// json.Number is how a number that int and float64 cannot hold exactly (an
// integer beyond int64, 1e999) loads from JSON.
func convertJSONNumber(n json.Number, out reflect.Value) error {
	text := string(n)
	integer := !strings.ContainsAny(text, ".eE")
	var i *big.Int
	if integer {
		var ok bool
		if i, ok = new(big.Int).SetString(text, 10); !ok {
			return fmt.Errorf("json.Number %q is not a number", text)
		}
	}
	switch {
	case out.Kind() == reflect.String:
		return fmt.Errorf("%s is a number, not a %s", text, out.Type())
	case out.CanInt():
		if !integer {
			return fmt.Errorf("%s is not an integer that fits %s", text, out.Type())
		}
		if !i.IsInt64() || out.OverflowInt(i.Int64()) {
			return fmt.Errorf("%s overflows %s", text, out.Type())
		}
		out.SetInt(i.Int64())
	case out.CanUint():
		switch {
		case !integer:
			return fmt.Errorf("%s is not an integer that fits %s", text, out.Type())
		case i.Sign() < 0:
			return fmt.Errorf("%s is negative, %s is unsigned", text, out.Type())
		case !i.IsUint64() || out.OverflowUint(i.Uint64()):
			return fmt.Errorf("%s overflows %s", text, out.Type())
		}
		out.SetUint(i.Uint64())
	default:
		var f float64
		if integer {
			bf := new(big.Float).SetInt(i)
			var acc big.Accuracy
			if out.Kind() == reflect.Float32 {
				var f32 float32
				f32, acc = bf.Float32()
				f = float64(f32)
			} else {
				f, acc = bf.Float64()
			}
			if !math.IsInf(f, 0) && acc != big.Exact {
				return fmt.Errorf("%s loses precision as %s", text, out.Type())
			}
		} else {
			var err error
			if f, err = strconv.ParseFloat(text, out.Type().Bits()); err != nil && !math.IsInf(f, 0) {
				return fmt.Errorf("json.Number %q is not a number", text)
			}
		}
		if math.IsInf(f, 0) || out.OverflowFloat(f) {
			return fmt.Errorf("%s overflows %s", text, out.Type())
		}
		out.SetFloat(f)
	}
	return nil
}

func isNumberKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func convertNumber(src, out reflect.Value) error {
	switch {
	case out.CanInt():
		var v int64
		switch {
		case src.CanInt():
			v = src.Int()
		case src.CanUint():
			if src.Uint() > math.MaxInt64 {
				return fmt.Errorf("%d overflows %s", src.Uint(), out.Type())
			}
			v = int64(src.Uint())
		default:
			f := src.Float()
			if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
				return fmt.Errorf("%v is not an integer that fits %s", f, out.Type())
			}
			v = int64(f)
		}
		if out.OverflowInt(v) {
			return fmt.Errorf("%d overflows %s", v, out.Type())
		}
		out.SetInt(v)
	case out.CanUint():
		var v uint64
		switch {
		case src.CanInt():
			if src.Int() < 0 {
				return fmt.Errorf("%d is negative, %s is unsigned", src.Int(), out.Type())
			}
			v = uint64(src.Int())
		case src.CanUint():
			v = src.Uint()
		default:
			f := src.Float()
			if f != math.Trunc(f) || f < 0 || f >= 1<<64 {
				return fmt.Errorf("%v is not an integer that fits %s", f, out.Type())
			}
			v = uint64(f)
		}
		if out.OverflowUint(v) {
			return fmt.Errorf("%d overflows %s", v, out.Type())
		}
		out.SetUint(v)
	default:
		var f float64
		switch {
		case src.CanInt():
			f = float64(src.Int())
			if int64(f) != src.Int() {
				return fmt.Errorf("%d loses precision as %s", src.Int(), out.Type())
			}
		case src.CanUint():
			f = float64(src.Uint())
			if uint64(f) != src.Uint() {
				return fmt.Errorf("%d loses precision as %s", src.Uint(), out.Type())
			}
		default:
			f = src.Float()
		}
		if out.Kind() == reflect.Float32 && (src.CanInt() || src.CanUint()) && float64(float32(f)) != f {
			return fmt.Errorf("%v loses precision as %s", f, out.Type())
		}
		if out.OverflowFloat(f) {
			return fmt.Errorf("%v overflows %s", f, out.Type())
		}
		out.SetFloat(f)
	}
	return nil
}

// looseEqual compares as Python's == does for JSON-like values: numbers by
// value whatever their Go type.
func looseEqual(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		if fb, ok := toFloat(b); ok {
			return fa == fb
		}
		return false
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta := reflect.TypeOf(a)
	if ta == reflect.TypeOf(b) && ta.Comparable() {
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

func toFloat(v any) (float64, bool) {
	if n, ok := asInt(v); ok {
		return float64(n), true
	}
	switch f := v.(type) {
	case float64:
		return f, true
	case float32:
		return float64(f), true
	case uint64: // beyond int
		return float64(f), true
	case uint:
		return float64(f), true
	}
	return 0, false
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case int32:
		return int(n), true
	case int16:
		return int(n), true
	case int8:
		return int(n), true
	case uint:
		return int(n), n <= math.MaxInt
	case uint64:
		return int(n), n <= math.MaxInt
	case uint32:
		return int(n), true
	case uint16:
		return int(n), true
	case uint8:
		return int(n), true
	}
	return 0, false
}

// isBigInteger reports whether v is an integer that asInt refuses because it
// does not fit an int: a large unsigned value, or a json.Number integer (how
// an integer beyond int64 loads from JSON).
func isBigInteger(v any) bool {
	switch n := v.(type) {
	case uint, uint64:
		return true
	case json.Number:
		return jsonx.ValidNumber(string(n)) && !strings.ContainsAny(string(n), ".eE")
	}
	return false
}

// sameValue reports whether a key rewritten by an action still holds the value
// it had: the same value written again is not a write.
func sameValue(a, b any) (same bool) {
	defer func() {
		if recover() != nil { // == on a value holding a non-comparable type
			same = reflect.DeepEqual(a, b)
		}
	}()
	return looseEqual(a, b)
}
