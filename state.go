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
// The zero State is empty and ready to use. Keys keep the order they were
// first inserted in, the internal keys SequenceIDKey and PriorStepKey
// included, as in Burr's dict: a fresh application's state gets
// SequenceIDKey after its initial keys at the first step and PriorStepKey
// after the first action's new keys, and a loaded state keeps the order of
// the JSON it was loaded from.
type State struct {
	entries []entry
	idx     map[string]int // entry position + 1 by key; nil unless len(entries) > indexThreshold
	// The internal keys live outside entries, so that the framework sets
	// them every step without copying entries; seqAt and priorAt say where
	// they sit, and whether they are present at all. (A State is 64 bytes,
	// one allocation size class; keep it so.)
	seq     int
	prior   string
	seqAt   slot
	priorAt slot
}

// slot places an internal key among a State's user entries: 0 when the key is
// absent, otherwise 2p+1 or 2p+2 for a key that sits just before entries[p]
// (after the first p entries; p is at most len(entries)). When both internal
// keys sit before the same entry, the smaller slot comes first; a key that is
// alone has an odd slot.
type slot int32

func slotAt(p int, second bool) slot {
	if second {
		return slot(2*p + 2)
	}
	return slot(2*p + 1)
}

func (x slot) present() bool { return x != 0 }

// pos returns the number of user entries before the key, at most n.
func (x slot) pos(n int) int { return min(int(x-1)/2, n) }

// places returns where the internal keys sit (-1 for an absent key) and
// whether the sequence id comes first when they sit at the same place.
func (s *State) places() (seqP, priorP int, seqFirst bool) {
	n := len(s.entries)
	seqP, priorP = -1, -1
	if s.seqAt.present() {
		seqP = s.seqAt.pos(n)
	}
	if s.priorAt.present() {
		priorP = s.priorAt.pos(n)
	}
	return seqP, priorP, s.seqAt <= s.priorAt
}

// setPlaces places the internal keys: after seqP (priorP) user entries, -1
// for an absent key; seqFirst orders them when they sit at the same place.
func (s *State) setPlaces(seqP, priorP int, seqFirst bool) {
	tie := seqP >= 0 && seqP == priorP
	s.seqAt, s.priorAt = 0, 0
	if seqP >= 0 {
		s.seqAt = slotAt(seqP, tie && !seqFirst)
	}
	if priorP >= 0 {
		s.priorAt = slotAt(priorP, tie && seqFirst)
	}
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
		return s.idx[key] - 1 // a missing key gives -1
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
		return s.seq, s.seqAt != 0
	case PriorStepKey:
		return s.prior, s.priorAt != 0
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
		return s.seqAt != 0
	case PriorStepKey:
		return s.priorAt != 0
	}
	return s.find(key) >= 0
}

// Len returns the number of keys, internal keys included.
func (s State) Len() int {
	n := len(s.entries)
	if s.seqAt.present() {
		n++
	}
	if s.priorAt.present() {
		n++
	}
	return n
}

// Keys returns the keys in insertion order, internal keys included.
func (s State) Keys() []string {
	keys := make([]string, 0, s.Len())
	for k := range s.All() {
		keys = append(keys, k)
	}
	return keys
}

// All iterates over the keys and values in insertion order, internal keys
// included.
func (s State) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for i := 0; ; i++ {
			a, b := s.internalAt(i)
			if a != "" && !yield(a, s.internalValue(a)) {
				return
			}
			if b != "" && !yield(b, s.internalValue(b)) {
				return
			}
			if i >= len(s.entries) {
				return
			}
			if !yield(s.entries[i].key, s.entries[i].val) {
				return
			}
		}
	}
}

// internalAt returns the internal keys that sit just before entries[i], in
// order ("" for none); i == len(s.entries) gives those after every entry.
func (s *State) internalAt(i int) (string, string) {
	if s.seqAt|s.priorAt == 0 {
		return "", ""
	}
	n := len(s.entries)
	seqHere := s.seqAt.present() && s.seqAt.pos(n) == i
	priorHere := s.priorAt.present() && s.priorAt.pos(n) == i
	switch {
	case seqHere && priorHere:
		if s.priorAt < s.seqAt {
			return PriorStepKey, SequenceIDKey
		}
		return SequenceIDKey, PriorStepKey
	case seqHere:
		return SequenceIDKey, ""
	case priorHere:
		return PriorStepKey, ""
	}
	return "", ""
}

func (s *State) internalValue(key string) any {
	if key == SequenceIDKey {
		return s.seq
	}
	return s.prior
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
func (s State) SequenceID() (int, bool) { return s.seq, s.seqAt != 0 }

// PriorStep returns the name of the last action that completed.
func (s State) PriorStep() (string, bool) { return s.prior, s.priorAt != 0 }

// WithoutInternal returns the state without SequenceIDKey and PriorStepKey.
func (s State) WithoutInternal() State {
	s.seq, s.seqAt, s.prior, s.priorAt = 0, 0, "", 0
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
			return s, &KeyError{Key: key, Op: "set", Want: "int", Got: typeName(v), Err: err}
		}
		return s.withSeq(n), nil
	case PriorStepKey:
		p, ok := v.(string)
		if !ok {
			return s, &KeyError{Key: key, Op: "set", Want: "string", Got: typeName(v)}
		}
		return s.withPrior(p), nil
	}
	return s, nil
}

// withSeq and withPrior are the framework's zero-allocation setters, small
// enough to inline on the step path. Like Set, they keep a key that is
// present where it is and put a new one last.
func (s State) withSeq(n int) State {
	if s.seqAt == 0 {
		s.seqAt = slot(2*len(s.entries) + 1)
		if s.priorAt >= s.seqAt { // the prior step is last already (and alone: odd)
			s.seqAt++
		}
	}
	s.seq = n
	return s
}

func (s State) withPrior(name string) State {
	if s.priorAt == 0 {
		s.priorAt = slot(2*len(s.entries) + 1)
		if s.seqAt >= s.priorAt {
			s.priorAt++
		}
	}
	s.prior = name
	return s
}

func (s State) withoutPrior() State {
	s.prior, s.priorAt = "", 0
	if s.seqAt != 0 && s.seqAt&1 == 0 {
		s.seqAt-- // alone now
	}
	return s
}

// adoptInternal gives s, the state an action returned, the internal keys of
// before, the state the action was given (an action cannot change them), and
// sets PriorStepKey to prior. A key the action dropped goes back where it was
// in before. before holds a sequence id, as the state every step starts from
// does. It is small enough to inline on the step path.
func (s *State) adoptInternal(before *State, prior string) {
	if s.seqAt == 0 || s.priorAt == 0 {
		s.placeInternal(before)
	}
	s.seq, s.prior = before.seq, prior
}

// placeInternal places the internal keys that an action's returned state
// lacks (adoptInternal's slow path): the sequence id where it was in before
// (among the entries s has), or nowhere when before has none; the prior step
// last.
func (s *State) placeInternal(before *State) {
	seqP, priorP, seqFirst := s.places()
	switch {
	case before.seqAt == 0: // not a step's state: nothing to adopt
		seqP = -1
	case seqP < 0:
		beforeSeqP, _, beforeSeqFirst := before.places()
		seqP, seqFirst = min(beforeSeqP, len(s.entries)), beforeSeqFirst
	}
	if priorP < 0 {
		priorP, seqFirst = len(s.entries), true
	}
	s.setPlaces(seqP, priorP, seqFirst)
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
		m[e.key] = i + 1
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
	// The internal keys keep their place among the entries that remain.
	seqP, priorP, seqFirst := s.places()
	newSeqP, newPriorP := -1, -1
	for i, e := range s.entries {
		if i == seqP {
			newSeqP = len(entries)
		}
		if i == priorP {
			newPriorP = len(entries)
		}
		if keep(e.key) {
			entries = append(entries, e)
		}
	}
	if seqP == len(s.entries) {
		newSeqP = len(entries)
	}
	if priorP == len(s.entries) {
		newPriorP = len(entries)
	}
	for _, k := range internal {
		switch k {
		case SequenceIDKey:
			newSeqP, s.seq = -1, 0
		case PriorStepKey:
			newPriorP, s.prior = -1, ""
		}
	}
	s.entries = entries
	s.idx = buildIndex(entries)
	s.setPlaces(newSeqP, newPriorP, seqFirst)
	return s
}

// Subset returns a State holding only the given keys that are present, in the
// order given. Internal keys are included only when named.
func (s State) Subset(keys ...string) State {
	var out State
	for _, k := range keys {
		switch k {
		case SequenceIDKey:
			if s.seqAt.present() {
				out = out.withSeq(s.seq)
			}
			continue
		case PriorStepKey:
			if s.priorAt.present() {
				out = out.withPrior(s.prior)
			}
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
// (other wins), as Python's {**s, **other}: keys of s keep their place, keys
// only other has follow in other's order. Internal keys of other are taken
// when present.
func (s State) Merge(other State) State {
	for k, v := range other.All() {
		switch k {
		case SequenceIDKey:
			s = s.withSeq(other.seq)
		case PriorStepKey:
			s = s.withPrior(other.prior)
		default:
			s = s.put(k, v)
		}
	}
	return s
}

// Append returns a State with values appended to the list under key. A missing
// key becomes a new list. Appending to a value that is not a slice is an error
// naming the key.
//
// Lists are mixed in Burr (and in any state loaded from JSON): a value that
// does not fit a typed slice's element type turns the list into a []any
// holding the old elements and the new ones, rather than failing. Values that
// fit keep the slice's type.
func (s State) Append(key string, values ...any) (State, error) {
	return s.appendValues(key, "append", values)
}

// Extend returns a State with every element of list (a slice) appended to the
// list under key, with the same rules as Append.
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
		what := "a slice (non-appendable value)"
		if op == "extend" {
			what = "a slice (non-extendable value)"
		}
		return s, &KeyError{Key: key, Op: op, Want: what, Got: typeName(cur)}
	}
	elem := rv.Type().Elem()
	for _, v := range values {
		if !fitsElem(v, elem) {
			// A mixed list, as Burr's lists are.
			out := make([]any, rv.Len(), rv.Len()+len(values))
			for i := range out {
				out[i] = rv.Index(i).Interface()
			}
			return s.put(key, append(out, values...)), nil
		}
	}
	out := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len()+len(values))
	reflect.Copy(out, rv)
	for _, v := range values {
		if v == nil {
			out = reflect.Append(out, reflect.Zero(elem))
		} else {
			out = reflect.Append(out, reflect.ValueOf(v))
		}
	}
	return s.put(key, out.Interface()), nil
}

// fitsElem reports whether v can be an element of a slice of elem.
func fitsElem(v any, elem reflect.Type) bool {
	if v == nil {
		switch elem.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
			return true
		}
		return false
	}
	return reflect.TypeOf(v).AssignableTo(elem)
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
		if isBigInteger(cur) {
			return s, &KeyError{Key: key, Op: "increment", Want: "an integer that fits int", Got: fmt.Sprintf("%s %v", typeName(cur), cur)}
		}
		return s, &KeyError{Key: key, Op: "increment", Want: "an integer (non-integer value)", Got: typeName(cur)}
	}
	sum := n + by
	if (by > 0 && sum < n) || (by < 0 && sum > n) {
		return s, &KeyError{Key: key, Op: "increment", Want: fmt.Sprintf("a sum that fits int (%d%+d overflows)", n, by), Got: typeName(cur)}
	}
	return s.Set(key, sum), nil
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
