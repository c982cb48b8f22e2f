package jsonx

import (
	"errors"
	"fmt"
	"reflect"
)

// maxTextDepth bounds how deep Text looks into a value; fmt.Sprint of a value
// nested deeper would need as deep a stack.
const maxTextDepth = 10000

// Text returns the text that stands for a value JSON cannot hold, as Burr's
// serde writes str(value): fmt.Sprint(v). For a value that contains itself
// (a map or slice holding itself, directly or deeper down, or a pointer
// leading back to where it was met), for which fmt.Sprint would recurse
// until the stack overflows, or one nested more than maxTextDepth levels, it
// returns a placeholder naming the value's type instead, with an error that
// says why (wrapping ErrContainsItself for the first).
//
// Parts of v that fmt prints with their own method (String, Error, Format)
// are left to that method.
func Text(v any) (string, error) {
	w := walker{onPath: map[textRef]bool{}, done: map[textRef]bool{}}
	if err := w.walk(reflect.ValueOf(v), 0); err != nil {
		if errors.Is(err, ErrContainsItself) {
			return fmt.Sprintf("<%T that contains itself>", v), err
		}
		return fmt.Sprintf("<%T nested too deep>", v), err
	}
	return fmt.Sprint(v), nil
}

// textRef identifies a map, slice or pointer by its address, length and type.
type textRef struct {
	ref
	t reflect.Type
}

// walker looks for a value that contains itself, depth first: onPath holds
// the references being walked, done those walked already (found not to lead
// back to themselves), so that a value shared in several places is walked
// once.
type walker struct {
	onPath, done map[textRef]bool
}

var (
	stringer  = reflect.TypeFor[fmt.Stringer]()
	errorType = reflect.TypeFor[error]()
	formatter = reflect.TypeFor[fmt.Formatter]()
)

func (w *walker) walk(v reflect.Value, depth int) error {
	if !v.IsValid() {
		return nil
	}
	if depth > maxTextDepth {
		return fmt.Errorf("nested more than %d levels deep", maxTextDepth)
	}
	if v.CanInterface() {
		if t := v.Type(); t.Implements(stringer) || t.Implements(errorType) || t.Implements(formatter) {
			return nil // fmt calls the method
		}
	}
	var r textRef
	switch v.Kind() {
	case reflect.Map, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		r = textRef{ref{p: v.Pointer()}, v.Type()}
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		r = textRef{ref{p: v.Pointer(), n: v.Len()}, v.Type()}
	case reflect.Interface:
		return w.walk(v.Elem(), depth+1)
	case reflect.Array:
		for i := range v.Len() {
			if err := w.walk(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Struct:
		for i := range v.NumField() {
			if err := w.walk(v.Field(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		return nil
	}
	if w.done[r] {
		return nil
	}
	if w.onPath[r] {
		return fmt.Errorf("%w: a %s holds itself", ErrContainsItself, v.Type())
	}
	w.onPath[r] = true
	var err error
	switch v.Kind() {
	case reflect.Map:
		for it := v.MapRange(); it.Next() && err == nil; {
			if err = w.walk(it.Key(), depth+1); err == nil {
				err = w.walk(it.Value(), depth+1)
			}
		}
	case reflect.Pointer:
		err = w.walk(v.Elem(), depth+1)
	case reflect.Slice:
		for i := 0; i < v.Len() && err == nil; i++ {
			err = w.walk(v.Index(i), depth+1)
		}
	}
	delete(w.onPath, r)
	w.done[r] = true
	return err
}
