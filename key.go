package burr

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// Key is a typed name for a state key. It reads and writes the value as T:
//
//	var count = burr.Key[int]("count")
//	n, err := count.Get(s)
//	s = count.Set(s, n+1)
//
// Reading converts between numeric types when no precision is lost, and decodes
// values that came back from JSON (maps and lists) into T, so a state loaded
// from a persister reads the same as the state that was saved.
type Key[T any] string

// Get returns the value under the key as T. A missing key or a value that
// cannot be read as T is a *KeyError naming the key and both types.
func (k Key[T]) Get(s State) (T, error) {
	v, ok := s.Get(string(k))
	if !ok {
		var zero T
		return zero, &KeyError{Key: string(k), Op: "get", Want: typeOf[T](), Got: "missing key", Missing: true}
	}
	out, err := convertTo[T](v)
	if err != nil {
		return out, &KeyError{Key: string(k), Op: "get", Want: typeOf[T](), Got: typeName(v), Err: err}
	}
	return out, nil
}

// Or returns the value under the key as T, or def when it is missing or of
// another type.
func (k Key[T]) Or(s State, def T) T {
	v, err := k.Get(s)
	if err != nil {
		return def
	}
	return v
}

// Set returns a State with the key set to v.
func (k Key[T]) Set(s State, v T) State { return s.Set(string(k), v) }

// Name returns the key's name.
func (k Key[T]) Name() string { return string(k) }

func typeOf[T any]() string { return reflect.TypeFor[T]().String() }

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
	src := reflect.ValueOf(v)
	switch {
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
