package pyexpr

import (
	"cmp"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// length is Python's len() for strings and containers, -1 for other values.
func length(v Value) int {
	switch v.k {
	case kStr:
		return utf8.RuneCountInString(v.s)
	case kList, kTuple:
		switch r := v.r.(type) {
		case []any:
			return len(r)
		case []Value:
			return len(r)
		}
		return reflect.ValueOf(v.r).Len()
	case kDict:
		switch r := v.r.(type) {
		case map[string]any:
			return len(r)
		case *dict:
			return len(r.keys)
		}
		return reflect.ValueOf(v.r).Len()
	case kSet:
		return len(v.r.(*set).items)
	}
	return -1
}

// item returns element i (0 <= i < length) of a list or tuple.
func item(v Value, i int) Value {
	switch r := v.r.(type) {
	case []any:
		return fromGo(r[i])
	case []Value:
		return r[i]
	case []string:
		return strV(r[i])
	}
	return fromGo(reflect.ValueOf(v.r).Index(i).Interface())
}

// items lists what iterating v yields: the characters of a string, the
// elements of a list, tuple or set, the keys of a dict.
func items(v Value) ([]Value, error) {
	switch v.k {
	case kStr:
		out := make([]Value, 0, len(v.s))
		for i, r := range v.s {
			out = append(out, strV(v.s[i:i+utf8.RuneLen(r)]))
		}
		return out, nil
	case kList, kTuple:
		if r, ok := v.r.([]Value); ok {
			return r, nil
		}
		n := length(v)
		out := make([]Value, n)
		for i := range n {
			out[i] = item(v, i)
		}
		return out, nil
	case kDict:
		keys, _ := dictItems(v)
		return keys, nil
	case kSet:
		return v.r.(*set).items, nil
	}
	return nil, pyErr("TypeError: '%s' object is not iterable", typeName(v))
}

// dictItems returns a dict's keys and values. Go maps have no order: their
// keys come sorted, so results do not change from one run to the next.
func dictItems(v Value) (keys, vals []Value) {
	switch r := v.r.(type) {
	case *dict:
		return r.keys, r.vals
	case map[string]any:
		names := make([]string, 0, len(r))
		for k := range r {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			keys = append(keys, strV(k))
			vals = append(vals, fromGo(r[k]))
		}
		return keys, vals
	}
	rv := reflect.ValueOf(v.r)
	mk := rv.MapKeys()
	type kv struct{ k, v Value }
	pairs := make([]kv, len(mk))
	for i, k := range mk {
		pairs[i] = kv{fromGo(k.Interface()), fromGo(rv.MapIndex(k).Interface())}
	}
	slices.SortFunc(pairs, func(a, b kv) int { return sortCmp(a.k, b.k) })
	for _, p := range pairs {
		keys = append(keys, p.k)
		vals = append(vals, p.v)
	}
	return keys, vals
}

// sortCmp orders Go map keys: numbers and strings by value, anything else by
// its repr.
func sortCmp(a, b Value) int {
	if a.isNum() && b.isNum() {
		c, _ := numCmp(a, b)
		return c
	}
	if a.k == kStr && b.k == kStr {
		return strings.Compare(a.s, b.s)
	}
	return cmp.Compare(repr(a), repr(b))
}

// dictGet looks key up in a dict. The caller has checked that key is hashable.
func dictGet(d, key Value, depth int) (Value, bool) {
	switch r := d.r.(type) {
	case map[string]any:
		if key.k != kStr {
			return none, false
		}
		v, ok := r[key.s]
		return fromGo(v), ok
	case *dict:
		for i, k := range r.keys {
			if equal(k, key, depth) {
				return r.vals[i], true
			}
		}
		return none, false
	}
	rv := reflect.ValueOf(d.r)
	kt := rv.Type().Key()
	if kt.Kind() == reflect.String {
		if key.k != kStr {
			return none, false
		}
		v := rv.MapIndex(reflect.ValueOf(key.s).Convert(kt))
		if !v.IsValid() {
			return none, false
		}
		return fromGo(v.Interface()), true
	}
	it := rv.MapRange()
	for it.Next() {
		if equal(fromGo(it.Key().Interface()), key, depth) {
			return fromGo(it.Value().Interface()), true
		}
	}
	return none, false
}

// asIndex converts an integer used as an index or slice bound; ok is false
// when v is not an int. Ints beyond int64 are clamped, as Python clamps
// slice bounds; big says so.
func asIndex(v Value) (i int, isBig, ok bool) {
	switch v.k {
	case kBool, kInt:
		return int(v.int()), false, true
	case kBig:
		if v.big().Sign() < 0 {
			return math.MinInt, true, true
		}
		return math.MaxInt, true, true
	}
	return 0, false, false
}

// index is Python's v[key] (a subscript that is not a slice).
func index(v, key Value) (Value, error) {
	switch v.k {
	case kList, kTuple, kStr:
		i, isBig, ok := asIndex(key)
		if !ok {
			if v.k == kStr {
				return none, pyErr("TypeError: string indices must be integers, not '%s'", typeName(key))
			}
			return none, pyErr("TypeError: %s indices must be integers or slices, not %s", typeName(v), typeName(key))
		}
		if isBig {
			return none, pyErr("IndexError: cannot fit 'int' into an index-sized integer")
		}
		if v.k == kStr {
			return strIndex(v.s, i)
		}
		n := length(v)
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return none, pyErr("IndexError: %s index out of range", typeName(v))
		}
		return item(v, i), nil
	case kDict:
		if err := unhashable(key); err != nil {
			return none, err
		}
		if x, ok := dictGet(v, key, 1); ok {
			return x, nil
		}
		return none, pyErr("KeyError: %s", repr(key))
	}
	return none, pyErr("TypeError: '%s' object is not subscriptable", typeName(v))
}

func strIndex(s string, i int) (Value, error) {
	if isASCII(s) {
		if i < 0 {
			i += len(s)
		}
		if i < 0 || i >= len(s) {
			return none, pyErr("IndexError: string index out of range")
		}
		return strV(s[i : i+1]), nil
	}
	n := utf8.RuneCountInString(s)
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return none, pyErr("IndexError: string index out of range")
	}
	for j, r := range s {
		if i == 0 {
			return strV(s[j : j+utf8.RuneLen(r)]), nil
		}
		i--
	}
	panic("unreachable")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// sliceOf is Python's v[lo:hi:step]; a bound that is absent is None.
func sliceOf(v, lo, hi, step Value) (Value, error) {
	if v.k != kList && v.k != kTuple && v.k != kStr {
		if v.k == kDict {
			return none, pyErr("TypeError: unhashable type: 'slice'")
		}
		return none, pyErr("TypeError: '%s' object is not subscriptable", typeName(v))
	}
	st := 1
	if step.k != kNone {
		s, _, ok := asIndex(step)
		if !ok {
			return none, pyErr("TypeError: slice indices must be integers or None or have an __index__ method")
		}
		if s == 0 {
			return none, pyErr("ValueError: slice step cannot be zero")
		}
		st = max(s, -math.MaxInt)
	}
	bound := func(b Value, def int) (int, error) {
		if b.k == kNone {
			return def, nil
		}
		i, _, ok := asIndex(b)
		if !ok {
			return 0, pyErr("TypeError: slice indices must be integers or None or have an __index__ method")
		}
		return i, nil
	}
	defStart, defStop := 0, math.MaxInt
	if st < 0 {
		defStart, defStop = math.MaxInt, math.MinInt
	}
	start, err := bound(lo, defStart)
	if err != nil {
		return none, err
	}
	stop, err := bound(hi, defStop)
	if err != nil {
		return none, err
	}
	var runes []rune
	n := 0
	switch {
	case v.k != kStr:
		n = length(v)
	case isASCII(v.s):
		n = len(v.s)
	default:
		runes = []rune(v.s)
		n = len(runes)
	}
	start, count := adjustSlice(n, start, stop, st)
	if v.k == kStr {
		if runes == nil && st == 1 {
			return strV(v.s[start : start+count]), nil
		}
		var b strings.Builder
		for i, j := 0, start; i < count; i, j = i+1, j+st {
			if runes != nil {
				b.WriteRune(runes[j])
			} else {
				b.WriteByte(v.s[j])
			}
		}
		return strV(b.String()), nil
	}
	out := make([]Value, count)
	for i, j := 0, start; i < count; i, j = i+1, j+st {
		out[i] = item(v, j)
	}
	return Value{k: v.k, r: out}, nil
}

// adjustSlice clips slice bounds to a sequence of length n and returns the
// first index and the number of elements selected, as CPython's
// PySlice_AdjustIndices does.
func adjustSlice(n, start, stop, step int) (first, count int) {
	clip := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				if step < 0 {
					return -1
				}
				return 0
			}
		} else if i >= n {
			if step < 0 {
				return n - 1
			}
			return n
		}
		return i
	}
	start, stop = clip(start), clip(stop)
	switch {
	case step < 0 && stop < start:
		return start, (start-stop-1)/(-step) + 1
	case step > 0 && start < stop:
		return start, (stop-start-1)/step + 1
	}
	return start, 0
}

// attr reads attribute name: the field of a Go struct (by its JSON name or
// its Go name) or the key of a dict with string keys. Python objects in a
// Burr state become Go structs or maps, so obj.field reads what Burr read.
func attr(v Value, name string) (Value, error) {
	switch v.k {
	case kDict:
		if x, ok := dictGet(v, strV(name), 1); ok {
			return x, nil
		}
	case kObj:
		if v.r == nil {
			break
		}
		rv := reflect.ValueOf(v.r)
		for rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return none, pyErr("AttributeError: 'NoneType' object has no attribute '%s'", name)
			}
			rv = rv.Elem()
		}
		if rv.Kind() != reflect.Struct {
			break
		}
		if idx, ok := fieldIndex(rv.Type(), name); ok {
			// An error means the field is behind a nil embedded pointer.
			if f, err := rv.FieldByIndexErr(idx); err == nil {
				return fromGo(f.Interface()), nil
			}
		}
	}
	return none, pyErr("AttributeError: '%s' object has no attribute '%s'", typeName(v), name)
}

var fieldCache sync.Map // reflect.Type → map[string][]int

// fieldIndex finds the exported field of t named name by its JSON name, then
// its Go name, then its Go name in any case.
func fieldIndex(t reflect.Type, name string) ([]int, bool) {
	c, ok := fieldCache.Load(t)
	if !ok {
		byName := map[string][]int{}
		var folded []reflect.StructField
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
				continue
			}
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				if _, dup := byName[tag]; !dup {
					byName[tag] = f.Index
				}
			}
			folded = append(folded, f)
		}
		for _, f := range folded {
			if _, dup := byName[f.Name]; !dup {
				byName[f.Name] = f.Index
			}
		}
		for _, f := range folded {
			if low := strings.ToLower(f.Name); byName[low] == nil {
				byName[low] = f.Index
			}
		}
		c, _ = fieldCache.LoadOrStore(t, byName)
	}
	byName := c.(map[string][]int)
	if idx, ok := byName[name]; ok {
		return idx, true
	}
	idx, ok := byName[strings.ToLower(name)]
	return idx, ok
}
