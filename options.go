package burr

import "fmt"

// Option configures an Application built with New.
type Option func(*config)

type config struct {
	actions        []*Action
	transitions    []Transition
	graph          *Graph
	entrypoint     string
	state          State
	stateSet       bool
	appID          string
	partitionKey   string
	seq            int
	seqSet         bool
	hooks          []any
	persister      Saver
	init           *initConfig
	spawningParent *Pointer
	errs           []string
}

// WithActions adds actions to the application's graph.
func WithActions(actions ...*Action) Option {
	return func(c *config) { c.actions = append(c.actions, actions...) }
}

// WithTransitions adds transitions to the application's graph.
func WithTransitions(transitions ...Transition) Option {
	return func(c *config) { c.transitions = append(c.transitions, transitions...) }
}

// WithGraph uses a graph built with NewGraph. Actions and transitions given
// with WithActions and WithTransitions are added to it.
func WithGraph(g *Graph) Option {
	return func(c *config) {
		if c.graph != nil {
			c.errs = append(c.errs, "WithGraph given twice")
		}
		c.graph = g
	}
}

// WithEntrypoint names the action the application starts with.
func WithEntrypoint(name string) Option {
	return func(c *config) {
		if c.entrypoint != "" {
			c.errs = append(c.errs, fmt.Sprintf("entrypoint set twice (%q, then %q)", c.entrypoint, name))
		}
		c.entrypoint = name
	}
}

// WithState sets the initial state.
func WithState(s State) Option {
	return func(c *config) { c.state, c.stateSet = s, true }
}

// WithAppID sets the application id. By default it is a new random UUID.
func WithAppID(id string) Option { return func(c *config) { c.appID = id } }

// WithPartitionKey sets the partition key (a user or tenant id, typically).
func WithPartitionKey(pk string) Option { return func(c *config) { c.partitionKey = pk } }

// WithSequenceID sets the sequence id the application starts from: its first
// step is seq+1. By default the first step is 0. With WithInitializeFrom it is
// instead the sequence id to load (the latest by default).
func WithSequenceID(seq int) Option { return func(c *config) { c.seq, c.seqSet = seq, true } }

// WithHooks registers lifecycle hooks: values implementing one or more of the
// hook interfaces (see PostRunStepHook and the others). They are called in
// registration order.
func WithHooks(hooks ...any) Option { return func(c *config) { c.hooks = append(c.hooks, hooks...) } }

// WithPersister saves a Record after every step: status completed with the new
// state, or failed with the state before the step. A streamed step is saved
// once, when its stream ends. The persister runs after every hook, and a save
// that fails fails the step: the application's state does not advance past
// what was saved. A save that fails with ErrConflict (another writer saved
// this sequence id first) also marks the Application stale: every later call
// fails with ErrConflict until it is rebuilt with WithInitializeFrom. A
// persister with an Initialized(ctx) (bool, error) method is checked at New.
func WithPersister(p Saver) Option { return func(c *config) { c.persister = p } }

// WithSpawningParent records the application that started this one (for
// sub-applications run from inside an action).
func WithSpawningParent(appID string, sequenceID int, partitionKey string) Option {
	return func(c *config) {
		c.spawningParent = &Pointer{AppID: appID, SequenceID: sequenceID, PartitionKey: partitionKey}
	}
}

// RunOption configures one call: Run, Iterate, StreamResult, StreamIterate.
type RunOption func(*runConfig)

type runConfig struct {
	haltAfter  []string
	haltBefore []string
	inputs     Inputs
}

// HaltAfter stops the call after any of the named actions has run. A name of
// the form "@tag:<tag>" means every action carrying that tag.
func HaltAfter(names ...string) RunOption {
	return func(c *runConfig) { c.haltAfter = append(c.haltAfter, names...) }
}

// HaltBefore stops the call before any of the named actions would run. The
// first action of a call always runs.
func HaltBefore(names ...string) RunOption {
	return func(c *runConfig) { c.haltBefore = append(c.haltBefore, names...) }
}

// WithInputs offers inputs to every step of the call; each action receives
// those it declares.
func WithInputs(in Inputs) RunOption {
	return func(c *runConfig) {
		if c.inputs == nil {
			c.inputs = make(Inputs, len(in))
		}
		for k, v := range in {
			c.inputs[k] = v
		}
	}
}
