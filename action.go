package burr

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
)

// Result is what an action returns beside its new state: a JSON-like object
// that the caller, the hooks and the tracker see. A nil Result is empty.
type Result map[string]any

// Inputs are values given to a call (Step, Run, StreamResult…) rather than read
// from state. An action receives the inputs it declares, plus its bound inputs.
type Inputs map[string]any

// Yield hands one intermediate item of a streaming action to the consumer. It
// returns false when the consumer has gone (closed or stopped the stream, or
// the context was cancelled): the action should then return promptly. Calling
// it again after it returned false is harmless and returns false.
type Yield func(item any) bool

// ActionFunc is the set of function shapes [NewAction] accepts. The function
// receives the whole state and returns the new state, optionally with a result
// and the inputs it declared.
type ActionFunc interface {
	func(context.Context, State) (State, error) |
		func(context.Context, State, Inputs) (State, error) |
		func(context.Context, State) (Result, State, error) |
		func(context.Context, State, Inputs) (Result, State, error)
}

// StreamingFunc is the set of function shapes [NewStreamingAction] accepts. The
// function sends intermediate items through yield and returns the final result
// and the new state: a streaming action cannot forget its final result.
type StreamingFunc interface {
	func(context.Context, State, Yield) (Result, State, error) |
		func(context.Context, State, Inputs, Yield) (Result, State, error)
}

// StructAction is a two-phase action, as Burr's class-based Action: Run
// computes a result from a state holding only the declared reads, then Update
// folds the result into the whole state. A struct action may declare its keys
// and inputs itself by implementing [Declarer].
type StructAction interface {
	Run(ctx context.Context, s State, in Inputs) (Result, error)
	Update(result Result, s State) (State, error)
}

// StreamingStructAction is the two-phase form of a streaming action: Stream
// sends intermediate items through yield and returns the final result, which
// Update folds into the whole state. Like a [StructAction], it may implement
// [Declarer].
type StreamingStructAction interface {
	Stream(ctx context.Context, s State, in Inputs, yield Yield) (Result, error)
	Update(result Result, s State) (State, error)
}

// Declarer is implemented by a [StructAction] or [StreamingStructAction] that
// declares its own keys and inputs, so that every graph using it gets them:
//
//	func (counter) Declare() []burr.ActionOption {
//		return []burr.ActionOption{burr.Reads("count"), burr.Writes("count")}
//	}
//
// The options given to [NewStructAction] add to what Declare returns.
type Declarer interface {
	Declare() []ActionOption
}

type actionKind uint8

const (
	kindFunc actionKind = iota
	kindStruct
	kindStreamFunc
	kindStreamStruct
)

// Action is a named, immutable unit of work in a graph: a function or struct
// with its declared reads, writes, inputs and tags. Build one with [NewAction],
// [NewStreamingAction], [NewStructAction], [NewStructStreamingAction],
// [ResultAction] or [InputAction]. An Action may be shared by many graphs and
// applications.
type Action struct {
	name     string
	reads    []string
	writes   []string
	required []string
	optional []string
	tags     []string
	bound    Inputs
	code     string
	kind     actionKind

	fn  func(context.Context, State, Inputs) (Result, State, error)
	sfn func(context.Context, State, Inputs, Yield) (Result, State, error)
	st  StructAction
	sst StreamingStructAction

	par      *parallelOptions // fan-out settings (MaxConcurrency and the others)
	ctl      *execControl     // retry policy and timeouts, nil when none is set
	problems []string         // build errors, reported by NewGraph
}

// ActionOption declares something about an action: [Reads], [Writes],
// [RequiredInputs], [OptionalInputs], [Tags], [Code].
type ActionOption interface {
	applyAction(*Action)
}

// actionOptionFunc is the one implementation of [ActionOption].
type actionOptionFunc func(*Action)

func (f actionOptionFunc) applyAction(a *Action) { f(a) }

// Reads declares the state keys an action reads.
func Reads(keys ...string) ActionOption {
	return actionOptionFunc(func(a *Action) { a.reads = appendNew(a.reads, keys...) })
}

// Writes declares the state keys an action writes. Writing any other key is an
// error ([WriteError]), and every declared key must be present after the
// action runs.
func Writes(keys ...string) ActionOption {
	return actionOptionFunc(func(a *Action) { a.writes = appendNew(a.writes, keys...) })
}

// RequiredInputs declares inputs that every call running the action must give
// ([WithInputs]); a missing one is an [InputError].
func RequiredInputs(names ...string) ActionOption {
	return actionOptionFunc(func(a *Action) { a.required = appendNew(a.required, names...) })
}

// OptionalInputs declares inputs the action uses when they are given.
func OptionalInputs(names ...string) ActionOption {
	return actionOptionFunc(func(a *Action) { a.optional = appendNew(a.optional, names...) })
}

// Tags attaches tags, which halt conditions ([HaltAfter], [HaltBefore]) can
// name as "@tag:<tag>".
func Tags(tags ...string) ActionOption {
	return actionOptionFunc(func(a *Action) { a.tags = appendNew(a.tags, tags...) })
}

// Code sets the text shown as the action's code in graph exports and tracking.
// By default it is the Go function or type the action was built from.
func Code(text string) ActionOption {
	return actionOptionFunc(func(a *Action) { a.code = text })
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

func newAction(name string, kind actionKind, code string, opts []ActionOption) *Action {
	a := &Action{name: name, kind: kind, code: code}
	for _, o := range opts {
		o.applyAction(a)
	}
	return a
}

// NewAction returns a function action. fn receives the whole state and returns
// the new state (and optionally a result):
//
//	inc := burr.NewAction("increment", func(ctx context.Context, s burr.State) (burr.State, error) {
//		return s.Increment("count", 1)
//	}, burr.Reads("count"), burr.Writes("count"))
func NewAction[F ActionFunc](name string, fn F, opts ...ActionOption) *Action {
	var norm func(context.Context, State, Inputs) (Result, State, error)
	switch f := any(fn).(type) {
	case func(context.Context, State) (State, error):
		norm = func(ctx context.Context, s State, _ Inputs) (Result, State, error) {
			ns, err := f(ctx, s)
			return nil, ns, err
		}
	case func(context.Context, State, Inputs) (State, error):
		norm = func(ctx context.Context, s State, in Inputs) (Result, State, error) {
			ns, err := f(ctx, s, in)
			return nil, ns, err
		}
	case func(context.Context, State) (Result, State, error):
		norm = func(ctx context.Context, s State, _ Inputs) (Result, State, error) { return f(ctx, s) }
	case func(context.Context, State, Inputs) (Result, State, error):
		norm = f
	}
	a := newAction(name, kindFunc, funcCode(fn), opts)
	a.fn = norm
	return a
}

// NewStreamingAction returns a function streaming action. fn sends each
// intermediate item with yield and returns the final result and new state:
//
//	chat := burr.NewStreamingAction("chat", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
//		var b strings.Builder
//		for _, tok := range []string{"Hello", ", ", "world"} {
//			b.WriteString(tok)
//			if !yield(tok) {
//				break // the consumer has gone: finish with what we have
//			}
//		}
//		return burr.Result{"response": b.String()}, s.Set("response", b.String()), nil
//	}, burr.Writes("response"))
func NewStreamingAction[F StreamingFunc](name string, fn F, opts ...ActionOption) *Action {
	var norm func(context.Context, State, Inputs, Yield) (Result, State, error)
	switch f := any(fn).(type) {
	case func(context.Context, State, Yield) (Result, State, error):
		norm = func(ctx context.Context, s State, _ Inputs, y Yield) (Result, State, error) { return f(ctx, s, y) }
	case func(context.Context, State, Inputs, Yield) (Result, State, error):
		norm = f
	}
	a := newAction(name, kindStreamFunc, funcCode(fn), opts)
	a.sfn = norm
	return a
}

// NewStructAction returns a two-phase action backed by v.
func NewStructAction(name string, v StructAction, opts ...ActionOption) *Action {
	a := newAction(name, kindStruct, typeCode(v), append(declaredBy(v), opts...))
	a.st = v
	return a
}

// NewStructStreamingAction returns a two-phase streaming action backed by v.
func NewStructStreamingAction(name string, v StreamingStructAction, opts ...ActionOption) *Action {
	a := newAction(name, kindStreamStruct, typeCode(v), append(declaredBy(v), opts...))
	a.sst = v
	return a
}

// declaredBy returns what a struct action declares of itself ([Declarer]).
func declaredBy(v any) []ActionOption {
	if d, ok := v.(Declarer); ok {
		return slices.Clone(d.Declare())
	}
	return nil
}

func funcCode(fn any) string {
	rv := reflect.ValueOf(fn)
	f := runtime.FuncForPC(rv.Pointer())
	if f == nil {
		return fmt.Sprintf("%T", fn)
	}
	file, line := f.FileLine(rv.Pointer())
	return fmt.Sprintf("func %s (%s:%d)", f.Name(), shortFile(file), line)
}

func typeCode(v any) string { return fmt.Sprintf("type %T", v) }

func shortFile(file string) string {
	if i := strings.LastIndex(file, "/"); i >= 0 {
		if j := strings.LastIndex(file[:i], "/"); j >= 0 {
			return file[j+1:]
		}
	}
	return file
}

// Name returns the action's name.
func (a *Action) Name() string { return a.name }

// Reads returns the declared read keys.
func (a *Action) Reads() []string { return slices.Clone(a.reads) }

// Writes returns the declared write keys.
func (a *Action) Writes() []string { return slices.Clone(a.writes) }

// RequiredInputs returns the declared required inputs that are not bound.
func (a *Action) RequiredInputs() []string { return a.unbound(a.required) }

// OptionalInputs returns the declared optional inputs that are not bound.
func (a *Action) OptionalInputs() []string { return a.unbound(a.optional) }

func (a *Action) unbound(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := a.bound[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// Tags returns the action's tags.
func (a *Action) Tags() []string { return slices.Clone(a.tags) }

// Streaming reports whether the action streams intermediate items.
func (a *Action) Streaming() bool { return a.kind == kindStreamFunc || a.kind == kindStreamStruct }

// Code returns a description of the code behind the action.
func (a *Action) Code() string { return a.code }

// String formats the action as Burr does: "name: r1, r2 -> w1".
func (a *Action) String() string {
	r, w := strings.Join(a.reads, ", "), strings.Join(a.writes, ", ")
	if r == "" {
		r = "{}"
	}
	if w == "" {
		w = "{}"
	}
	return a.name + ": " + r + " -> " + w
}

// Bind returns a copy of the action with the named inputs fixed to values.
// Bound inputs are delivered with the action's inputs and are no longer
// required from callers. The receiver is unchanged.
func (a *Action) Bind(values Inputs) *Action {
	b := *a
	b.bound = make(Inputs, len(a.bound)+len(values))
	for k, v := range a.bound {
		b.bound[k] = v
	}
	for k, v := range values {
		b.bound[k] = v
	}
	return &b
}

// WithName returns a copy of the action under another name.
func (a *Action) WithName(name string) *Action {
	b := *a
	b.name = name
	return &b
}

func (a *Action) hasTag(t string) bool { return slices.Contains(a.tags, t) }

func (a *Action) takesInputs() bool {
	return len(a.required) > 0 || len(a.optional) > 0 || len(a.bound) > 0
}

// inputsFor builds the inputs the action receives from the call's inputs.
func (a *Action) inputsFor(given Inputs) (Inputs, error) {
	if !a.takesInputs() {
		return nil, nil
	}
	in := make(Inputs, len(a.bound)+len(a.required)+len(a.optional))
	for k, v := range a.bound {
		in[k] = v
	}
	var missing []string
	for _, k := range a.required {
		if _, ok := in[k]; ok {
			continue
		}
		v, ok := given[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		in[k] = v
	}
	for _, k := range a.optional {
		if _, ok := in[k]; ok {
			continue
		}
		if v, ok := given[k]; ok {
			in[k] = v
		}
	}
	if len(missing) > 0 {
		return nil, &InputError{Action: a.name, Missing: missing, Given: sortedKeys(given)}
	}
	return in, nil
}

// run executes the action and returns its result and new (unmerged) state.
// yield receives intermediate items of a streaming action.
func (a *Action) run(ctx context.Context, s State, in Inputs, yield Yield) (Result, State, error) {
	switch a.kind {
	case kindFunc:
		return a.fn(ctx, s, in)
	case kindStreamFunc:
		return a.sfn(ctx, s, in, yield)
	case kindStruct:
		r, err := a.st.Run(ctx, s.Subset(a.reads...), in)
		if err != nil {
			return nil, s, err
		}
		ns, err := a.st.Update(r, s)
		return r, ns, err
	default:
		r, err := a.sst.Stream(ctx, s.Subset(a.reads...), in, yield)
		if err != nil {
			return r, s, err
		}
		ns, err := a.sst.Update(r, s)
		return r, ns, err
	}
}

// checkWrites compares the state an action returned with the one it was given.
func (a *Action) checkWrites(before, after State) error {
	var missing []string
	undeclared := after.writtenSince(before, a.writes)
	for _, w := range a.writes {
		if !after.Has(w) {
			missing = append(missing, w)
		}
	}
	if undeclared != nil || missing != nil {
		return &WriteError{Action: a.name, Undeclared: undeclared, Missing: missing}
	}
	return nil
}

// ResultAction returns an action that reads fields and returns them as its
// result, leaving the state unchanged (Burr's Result).
func ResultAction(name string, fields ...string) *Action {
	return NewStructAction(name, resultAction{}, Reads(fields...), Code(fmt.Sprintf("Result(%s)", strings.Join(fields, ", "))))
}

type resultAction struct{}

func (resultAction) Run(_ context.Context, s State, _ Inputs) (Result, error) {
	r := make(Result, len(s.entries))
	for _, e := range s.entries {
		r[e.key] = e.val
	}
	return r, nil
}

func (resultAction) Update(_ Result, s State) (State, error) { return s, nil }

// InputAction returns an action that takes fields as required inputs and writes
// them to state (Burr's Input).
func InputAction(name string, fields ...string) *Action {
	return NewStructAction(name, inputAction{fields: fields}, Writes(fields...), RequiredInputs(fields...),
		Code(fmt.Sprintf("Input(%s)", strings.Join(fields, ", "))))
}

type inputAction struct{ fields []string }

func (a inputAction) Run(_ context.Context, _ State, in Inputs) (Result, error) {
	r := make(Result, len(a.fields))
	for _, f := range a.fields {
		r[f] = in[f]
	}
	return r, nil
}

func (a inputAction) Update(r Result, s State) (State, error) {
	for _, f := range a.fields {
		s = s.Set(f, r[f])
	}
	return s, nil
}
