package burr

import (
	"fmt"
	"iter"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
)

// Keys that the framework keeps in every application's state, as Burr does, so
// that persisted and tracked JSON matches Burr's.
const (
	// SequenceIDKey holds the sequence id of the step that produced the state.
	SequenceIDKey = "__SEQUENCE_ID"
	// PriorStepKey holds the name of the last action that completed.
	PriorStepKey = "__PRIOR_STEP"
)

// indexThreshold is the number of keys above which a State keeps a map index
// beside its ordered entries. Below it a linear scan is faster than hashing.
const indexThreshold = 16

type entry struct {
	key string
	val any
	// gen is the write stamp of this entry, unique in the process: every
	// write takes a new one. An entry whose stamp is unchanged was not
	// written, so an action's writes are found without comparing values.
	gen uint64
}

// State is an immutable, insertion-ordered mapping from keys to values: the
// whole memory of an application. Every operation returns a new State and
// leaves the receiver untouched (copy-on-write; values written by Append and
// Extend are copied, other values are shared), so a State can be kept, compared
// and shared between goroutines freely.
//
// The zero State is empty and ready to use. The internal keys SequenceIDKey and
// PriorStepKey are kept after the user keys, in that order.
type State struct {
	entries []entry
	idx     map[string]int // nil unless len(entries) > indexThreshold
	seq     int
	prior   string
	hasSeq  bool
	hasPrev bool
}

// genCounter hands out write stamps.
var genCounter atomic.Uint64

func nextGen() uint64 { return genCounter.Add(1) }

// StateFrom returns a State holding the entries of m, in sorted key order.
func StateFrom(m map[string]any) State {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s State
	for _, k := range keys {
		s = s.Set(k, m[k])
	}
	return s
}

func (s State) find(key string) int {
	if s.idx != nil {
		if i, ok := s.idx[key]; ok {
			return i
		}
		return -1
	}
	for i := range s.entries {
		if s.entries[i].key == key {
			return i
		}
	}
	return -1
}

// Get returns the value stored under key and whether it is present.
func (s State) Get(key string) (any, bool) {
	switch key {
	case SequenceIDKey:
		return s.seq, s.hasSeq
	case PriorStepKey:
		return s.prior, s.hasPrev
	}
	if i := s.find(key); i >= 0 {
		return s.entries[i].val, true
	}
	return nil, false
}

// Value returns the value stored under key, or nil.
func (s State) Value(key string) any {
	v, _ := s.Get(key)
	return v
}

// Has reports whether key is present.
func (s State) Has(key string) bool {
	switch key {
	case SequenceIDKey:
		return s.hasSeq
	case PriorStepKey:
		return s.hasPrev
	}
	return s.find(key) >= 0
}

// Len returns the number of keys, internal keys included.
func (s State) Len() int {
	n := len(s.entries)
	if s.hasSeq {
		n++
	}
	if s.hasPrev {
		n++
	}
	return n
}

// Keys returns the keys in order: user keys in insertion order, then the
// internal keys that are present.
func (s State) Keys() []string {
	keys := make([]string, 0, s.Len())
	for k := range s.All() {
		keys = append(keys, k)
	}
	return keys
}

// All iterates over the keys and values in order, internal keys last.
func (s State) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for _, e := range s.entries {
			if !yield(e.key, e.val) {
				return
			}
		}
		if s.hasSeq && !yield(SequenceIDKey, s.seq) {
			return
		}
		if s.hasPrev {
			yield(PriorStepKey, s.prior)
		}
	}
}

// Map returns a new map holding every key, internal keys included.
func (s State) Map() map[string]any {
	m := make(map[string]any, s.Len())
	for k, v := range s.All() {
		m[k] = v
	}
	return m
}

// SequenceID returns the sequence id of the step that produced this state.
func (s State) SequenceID() (int, bool) { return s.seq, s.hasSeq }

// PriorStep returns the name of the last action that completed.
func (s State) PriorStep() (string, bool) { return s.prior, s.hasPrev }

// WithoutInternal returns the state without SequenceIDKey and PriorStepKey.
func (s State) WithoutInternal() State {
	s.hasSeq, s.seq, s.hasPrev, s.prior = false, 0, false, ""
	return s
}

func isInternal(key string) bool {
	return strings.HasPrefix(key, "__") && (key == SequenceIDKey || key == PriorStepKey)
}

func (s State) setInternal(key string, v any) (State, error) {
	switch key {
	case SequenceIDKey:
		n, err := convertTo[int](v)
		if err != nil {
			return s, &KeyError{Key: key, Op: "set", Want: "int", Got: typeName(v)}
		}
		s.seq, s.hasSeq = n, true
	case PriorStepKey:
		p, ok := v.(string)
		if !ok {
			return s, &KeyError{Key: key, Op: "set", Want: "string", Got: typeName(v)}
		}
		s.prior, s.hasPrev = p, true
	}
	return s, nil
}

// withSeq and withPrior are the framework's zero-allocation setters.
func (s State) withSeq(n int) State {
	s.seq, s.hasSeq = n, true
	return s
}

func (s State) withPrior(name string) State {
	s.prior, s.hasPrev = name, true
	return s
}

// Set returns a State with key set to value (an upsert: an existing key keeps
// its position, a new key goes last). Setting an internal key to a value of the
// wrong type leaves the state unchanged; use the typed accessors to catch that.
func (s State) Set(key string, value any) State {
	if isInternal(key) {
		n, _ := s.setInternal(key, value)
		return n
	}
	return s.put(key, value)
}

// put writes one user key with a fresh write generation.
func (s State) put(key string, value any) State {
	gen := nextGen()
	i := s.find(key)
	if i >= 0 {
		entries := make([]entry, len(s.entries))
		copy(entries, s.entries)
		entries[i] = entry{key: key, val: value, gen: gen}
		s.entries = entries
		return s
	}
	entries := make([]entry, len(s.entries), len(s.entries)+1)
	copy(entries, s.entries)
	entries = append(entries, entry{key: key, val: value, gen: gen})
	s.entries = entries
	if len(entries) > indexThreshold {
		s.idx = buildIndex(entries)
	}
	return s
}

func buildIndex(entries []entry) map[string]int {
	if len(entries) <= indexThreshold {
		return nil
	}
	m := make(map[string]int, len(entries))
	for i, e := range entries {
		m[e.key] = i
	}
	return m
}

// Delete returns a State without the given keys. Absent keys are ignored.
func (s State) Delete(keys ...string) State {
	return s.filter(func(k string) bool { return !slices.Contains(keys, k) }, keys)
}

// KeepOnly returns a State holding only the given keys (Burr's wipe with keep).
// Internal keys are kept too.
func (s State) KeepOnly(keys ...string) State {
	out := s.filter(func(k string) bool { return slices.Contains(keys, k) }, nil)
	return out
}

func (s State) filter(keep func(string) bool, internal []string) State {
	var entries []entry
	for _, e := range s.entries {
		if keep(e.key) {
			entries = append(entries, e)
		}
	}
	s.entries = entries
	s.idx = buildIndex(entries)
	for _, k := range internal {
		switch k {
		case SequenceIDKey:
			s.hasSeq, s.seq = false, 0
		case PriorStepKey:
			s.hasPrev, s.prior = false, ""
		}
	}
	return s
}

// Subset returns a State holding only the given keys that are present, in the
// order given. Internal keys are included only when named.
func (s State) Subset(keys ...string) State {
	var out State
	for _, k := range keys {
		switch k {
		case SequenceIDKey:
			out.seq, out.hasSeq = s.seq, s.hasSeq
			continue
		case PriorStepKey:
			out.prior, out.hasPrev = s.prior, s.hasPrev
			continue
		}
		if i := s.find(k); i >= 0 && !slices.ContainsFunc(out.entries, func(e entry) bool { return e.key == k }) {
			out.entries = append(out.entries, s.entries[i])
		}
	}
	out.idx = buildIndex(out.entries)
	return out
}

// Merge returns a State holding the keys of s overlaid with those of other
// (other wins). Internal keys of other are taken when present.
func (s State) Merge(other State) State {
	for _, e := range other.entries {
		s = s.put(e.key, e.val)
	}
	if other.hasSeq {
		s = s.withSeq(other.seq)
	}
	if other.hasPrev {
		s = s.withPrior(other.prior)
	}
	return s
}

// Append returns a State with values appended to the list under key. A missing
// key becomes a new list. Appending to a value that is not a slice, or a value
// whose type does not fit the slice's element type, is an error naming the key.
func (s State) Append(key string, values ...any) (State, error) {
	return s.appendValues(key, "append", values)
}

// Extend returns a State with every element of list (a slice) appended to the
// list under key.
func (s State) Extend(key string, list any) (State, error) {
	rv := reflect.ValueOf(list)
	if list != nil && rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return s, &KeyError{Key: key, Op: "extend", Want: "a slice to extend with", Got: typeName(list)}
	}
	var values []any
	if list != nil {
		values = make([]any, rv.Len())
		for i := range values {
			values[i] = rv.Index(i).Interface()
		}
	}
	return s.appendValues(key, "extend", values)
}

func (s State) appendValues(key, op string, values []any) (State, error) {
	if isInternal(key) {
		return s, &KeyError{Key: key, Op: op, Want: "a user key", Got: "an internal key"}
	}
	cur, ok := s.Get(key)
	if !ok || cur == nil {
		return s.put(key, newSliceOf(values)), nil
	}
	if l, ok := cur.([]any); ok {
		out := make([]any, len(l), len(l)+len(values))
		copy(out, l)
		return s.put(key, append(out, values...)), nil
	}
	rv := reflect.ValueOf(cur)
	if rv.Kind() != reflect.Slice {
		return s, &KeyError{Key: key, Op: op, Want: "a slice (non-appendable value)", Got: typeName(cur)}
	}
	elem := rv.Type().Elem()
	out := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len()+len(values))
	reflect.Copy(out, rv)
	for _, v := range values {
		vv := reflect.ValueOf(v)
		if v == nil {
			switch elem.Kind() {
			case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
				vv = reflect.Zero(elem)
			default:
				return s, &KeyError{Key: key, Op: op, Want: elem.String(), Got: "nil"}
			}
		}
		if !vv.Type().AssignableTo(elem) {
			return s, &KeyError{Key: key, Op: op, Want: elem.String(), Got: typeName(v)}
		}
		out = reflect.Append(out, vv)
	}
	return s.put(key, out.Interface()), nil
}

// newSliceOf makes a typed slice when all values share one type, so that a
// typed Key reads it back directly, and a []any otherwise.
func newSliceOf(values []any) any {
	if len(values) == 0 || values[0] == nil {
		return slices.Clone(values)
	}
	t := reflect.TypeOf(values[0])
	for _, v := range values[1:] {
		if reflect.TypeOf(v) != t {
			return slices.Clone(values)
		}
	}
	out := reflect.MakeSlice(reflect.SliceOf(t), 0, len(values))
	for _, v := range values {
		out = reflect.Append(out, reflect.ValueOf(v))
	}
	return out.Interface()
}

// Increment returns a State with by added to the integer under key. A missing
// key is set to by. A value that is not an integer is an error naming the key.
func (s State) Increment(key string, by int) (State, error) {
	cur, ok := s.Get(key)
	if !ok {
		return s.Set(key, by), nil
	}
	n, isInt := asInt(cur)
	if !isInt {
		return s, &KeyError{Key: key, Op: "increment", Want: "an integer (non-integer value)", Got: typeName(cur)}
	}
	return s.Set(key, n+by), nil
}

// writtenSince returns the user keys of s written since before, other than
// those in allowed: keys added, and keys rewritten with another value (the
// same value written again is not a write). It is how an action's undeclared
// writes are found; a key whose write stamp is unchanged is not compared.
func (s State) writtenSince(before State, allowed []string) []string {
	var written []string
	for _, e := range s.entries {
		if slices.Contains(allowed, e.key) {
			continue
		}
		i := before.find(e.key)
		switch {
		case i < 0:
			written = append(written, e.key) // a new key
		case before.entries[i].gen == e.gen:
			// untouched
		case !sameValue(before.entries[i].val, e.val):
			written = append(written, e.key) // rewritten with another value
		}
	}
	return written
}

// String formats the state as its JSON form.
func (s State) String() string {
	b, err := s.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("State(%d keys: %v)", s.Len(), s.Keys())
	}
	return string(b)
}
