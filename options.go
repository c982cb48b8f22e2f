package burr

import (
	"fmt"
	"reflect"
	"time"
)

// Option configures an [Application] built with [New]. The options are the
// With… functions of this package: [WithActions], [WithGraph], [WithState],
// [WithPersister] and the others.
type Option interface {
	applyApp(*config)
}

// optionFunc is the one implementation of Option.
type optionFunc func(*config)

func (f optionFunc) applyApp(c *config) { f(c) }

type config struct {
	actions        []*Action
	transitions    []Transition
	graph          *Graph
	entrypoint     string
	state          State
	stateSet       bool
	ref            AppRef
	seq            int
	seqSet         bool
	hooks          []any
	persister      Saver
	claimTTL       time.Duration
	claimSet       bool
	init           *initConfig
	interrupted    *Interrupt // set by initialize when the loaded record was interrupted
	spawningParent *StepRef
	executor       Executor
	limit          int
	errs           []string
}

// WithActions adds actions to the application's graph.
func WithActions(actions ...*Action) Option {
	return optionFunc(func(c *config) { c.actions = append(c.actions, actions...) })
}

// WithTransitions adds transitions to the application's graph.
func WithTransitions(transitions ...Transition) Option {
	return optionFunc(func(c *config) { c.transitions = append(c.transitions, transitions...) })
}

// WithGraph uses a graph built with [NewGraph]. Actions and transitions given
// with [WithActions] and [WithTransitions] are added to it.
func WithGraph(g *Graph) Option {
	return optionFunc(func(c *config) {
		if c.graph != nil {
			c.errs = append(c.errs, "WithGraph given twice")
		}
		c.graph = g
	})
}

// WithEntrypoint names the action the application starts with.
func WithEntrypoint(name string) Option {
	return optionFunc(func(c *config) {
		if c.entrypoint != "" {
			c.errs = append(c.errs, fmt.Sprintf("entrypoint set twice (%q, then %q)", c.entrypoint, name))
		}
		c.entrypoint = name
	})
}

// WithState sets the initial state.
func WithState(s State) Option {
	return optionFunc(func(c *config) { c.state, c.stateSet = s, true })
}

// WithAppID sets the application id. By default it is a new random UUID
// ([NewAppID]).
func WithAppID(id string) Option { return optionFunc(func(c *config) { c.ref.AppID = id }) }

// WithPartitionKey sets the partition key (a user or tenant id, typically).
func WithPartitionKey(pk string) Option {
	return optionFunc(func(c *config) { c.ref.PartitionKey = pk })
}

// WithSequenceID sets the sequence id the application starts from: its first
// step is seq+1. By default the first step is 0. With [WithInitializeFrom] it
// is instead the sequence id to load (the latest by default).
func WithSequenceID(seq int) Option {
	return optionFunc(func(c *config) { c.seq, c.seqSet = seq, true })
}

// WithHooks registers lifecycle hooks: values implementing one or more of the
// hook interfaces ([PostRunStepHook] and the others). They are called in
// registration order.
func WithHooks(hooks ...any) Option {
	return optionFunc(func(c *config) { c.hooks = append(c.hooks, hooks...) })
}

// WithPersister saves a [Record] after every step: status [StatusCompleted]
// with the new state, or [StatusFailed] with the state before the step. A
// streamed step is saved once, when its stream ends. The persister saves a
// step's outcome before the post-run-step hooks run, and a save that fails
// fails the step: the hooks see the failure and the application's state does
// not advance past what was saved. A save that fails with [ErrConflict]
// (another writer saved this sequence id first) also marks the [Application]
// stale: every later call fails with ErrConflict until it is rebuilt with
// [WithInitializeFrom]. A persister that is an [Initializer] is checked at
// [New]: an uninitialized one is an error.
func WithPersister(p Saver) Option { return optionFunc(func(c *config) { c.persister = p }) }

// WithSpawningParent records the step of another application that started
// this one: a sub-application run from inside an action, which finds its own
// step with [FromContext].
func WithSpawningParent(parent StepRef) Option {
	return optionFunc(func(c *config) { c.spawningParent = &parent })
}

// StepOption configures one [Application.Step]: [WithInputs].
type StepOption interface {
	applyStep(*stepConfig)
}

// RunOption configures one call of [Application.Run], [Application.Iterate],
// [Application.StreamResult] or [Application.StreamIterate]: [HaltAfter],
// [HaltBefore], [WithInputs].
type RunOption interface {
	applyRun(*runConfig)
}

// CallOption is an option every call takes, a [StepOption] and a [RunOption]
// alike: what [WithInputs] returns.
type CallOption interface {
	StepOption
	RunOption
}

type stepConfig struct {
	inputs Inputs
	answer *answer
}

type runConfig struct {
	haltAfter  []string
	haltBefore []string
	inputs     Inputs
	answer     *answer
}

// runOptionFunc is the implementation of [RunOption] for options that only
// runs take.
type runOptionFunc func(*runConfig)

func (f runOptionFunc) applyRun(c *runConfig) { f(c) }

// HaltAfter stops the call after any of the named actions has run. A name of
// the form "@tag:<tag>" means every action carrying that tag ([Tags]).
func HaltAfter(names ...string) RunOption {
	return runOptionFunc(func(c *runConfig) { c.haltAfter = append(c.haltAfter, names...) })
}

// HaltBefore stops the call before any of the named actions would run. The
// first action of a call always runs.
func HaltBefore(names ...string) RunOption {
	return runOptionFunc(func(c *runConfig) { c.haltBefore = append(c.haltBefore, names...) })
}

// WithInputs gives inputs to a call: to the one step of [Application.Step],
// to every step of a run. Each action receives those it declares
// ([RequiredInputs], [OptionalInputs]). Given more than once, the inputs add
// up, later values winning.
func WithInputs(in Inputs) CallOption { return inputsOption(func() Inputs { return in }) }

// inputsOption is the option [WithInputs] returns. It hands the inputs out
// through a function call, which escape analysis cannot see through, so that
// options built at the call site stay on the stack.
type inputsOption func() Inputs

func (o inputsOption) applyStep(c *stepConfig) {
	if c.inputs == nil {
		c.inputs = o() // a step uses the map as given
		return
	}
	c.inputs = mergeInputs(c.inputs, o())
}

func (o inputsOption) applyRun(c *runConfig) {
	// A run keeps a copy: an iterator may start long after the call.
	c.inputs = mergeInputs(c.inputs, o())
}

// mergeInputs returns a new map holding a overlaid with b.
func mergeInputs(a, b Inputs) Inputs {
	out := make(Inputs, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// The call options are applied through a type switch on this package's own
// option types rather than through their interface methods: a dynamic call
// would make every option escape to the heap, and a Step or Run would pay an
// allocation or two for options built at the call site.

// stepOptions returns the inputs and the answer given to a Step.
func stepOptions(opts []StepOption) (Inputs, *answer, error) {
	if len(opts) == 0 {
		return nil, nil, nil
	}
	var c stepConfig
	for _, o := range opts {
		switch o := o.(type) {
		case inputsOption:
			o.applyStep(&c)
		case answerOption:
			o.applyStep(&c)
		default:
			return nil, nil, unknownOption("StepOption", reflect.TypeOf(o), "WithInputs, WithAnswer")
		}
	}
	return c.inputs, c.answer, nil
}

func newRunConfig(opts []RunOption) (*runConfig, error) {
	rc := &runConfig{}
	for _, o := range opts {
		switch o := o.(type) {
		case runOptionFunc:
			o(rc)
		case inputsOption:
			o.applyRun(rc)
		case answerOption:
			o.applyRun(rc)
		default:
			return nil, unknownOption("RunOption", reflect.TypeOf(o), "HaltAfter, HaltBefore, WithInputs, WithAnswer")
		}
	}
	return rc, nil
}

// unknownOption reports an option of a type from outside this package (one
// embedding a [RunOption], or a nil option). It takes the type alone: passing
// the option would make every option escape.
func unknownOption(kind string, t reflect.Type, valid string) error {
	name := "nil"
	if t != nil {
		name = t.String()
	}
	return fmt.Errorf("burr: a %s of type %s is not an option made by this package (%s)", kind, name, valid)
}
