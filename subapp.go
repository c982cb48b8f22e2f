package burr

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
)

// Task is one child application to run: a [Subgraph], the state it starts from
// and the inputs offered to every one of its steps. The framework's internal
// keys of [State] (its sequence id and prior step) are ignored: a child starts
// fresh, at the subgraph's entrypoint.
type Task struct {
	Subgraph *Subgraph
	State    State
	Inputs   Inputs
}

// Inheritable is implemented by a hook that passes on to the child
// applications an application runs ([RunChild], [RunChildren] and the parallel
// actions). ForChild returns the value to register with one child: the hook
// itself when one value can serve several applications at once (as the
// tracking package's LocalTracker does), a fresh copy when it cannot, or nil
// to leave that child without it. A value ForChild returns that is itself
// Inheritable passes on to the child's children in turn.
//
// Hooks that do not implement Inheritable stay with the application they were
// registered with.
type Inheritable interface {
	ForChild() any
}

// ChildAppID returns the app id of the child with index index started by the
// parent step (inside an action, [FromContext] gives it). It is a hash of the
// parent's app id, its sequence id and the index, formatted as a UUID
// (version 8): the same step of the same application gives the same ids, so a
// resumed parent finds its children's saved state, and every other step — a
// second run of the same parallel action included — gives new ones, so
// children never reuse each other's state.
func ChildAppID(parent StepRef, index int) string {
	parentAppID, parentSeq := parent.AppID, parent.SequenceID
	h := fnv.New128a()
	var num [20]byte
	h.Write([]byte(parentAppID))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(num[:0], int64(parentSeq), 10))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(num[:0], int64(index), 10))
	var b [16]byte
	h.Sum(b[:0])
	return formatUUID(b, 8) // version 8: custom
}

// ChildError is the error of one child of a fan-out: the action that ran it,
// its index among the tasks and its app id.
type ChildError struct {
	Action string // the action that started the child
	Index  int    // the task's index
	AppID  string // the child's app id
	Err    error
}

func (e *ChildError) Error() string {
	return fmt.Sprintf("burr: child %d (app %q) of action %q: %v", e.Index, e.AppID, e.Action, e.Err)
}

func (e *ChildError) Unwrap() error { return e.Err }

// ChildOptions returns the options that make an application built with [New] a
// child of the step running with ctx, as [RunChild]'s children are: the next
// child app id of the step, the spawning-parent link, the parent's partition
// key and persister, and the hooks that pass on to children ([Inheritable]).
// Add the graph and either [WithState] and [WithEntrypoint] or, to resume a child
// that saved its state, [WithInitializeFrom]. Outside a step it returns nil.
func ChildOptions(ctx context.Context) []Option {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok {
		return nil
	}
	sp := newSpawner(sc)
	opts := []Option{
		WithAppID(sp.childID(sc.nextChildren(1))),
		WithPartitionKey(sp.parent.PartitionKey),
		WithSpawningParent(sp.parent),
		optionFunc(func(c *config) { c.executor, c.limit = sp.exec, sp.appLimit }),
	}
	if sp.persister != nil {
		opts = append(opts, WithPersister(sp.persister))
	}
	if hooks := sp.childHooks(); len(hooks) > 0 {
		opts = append(opts, WithHooks(hooks...))
	}
	return opts
}

// RunChild runs t as a child application of the step running with ctx, to
// the end of its subgraph, and returns how it ended (as [Application.Run]
// does). It must be called from inside an action, with the action's context
// (or one derived from it), which the child runs with.
//
// The child gets the next child app id of the step ([ChildAppID]), a link to
// the step as its spawning parent, the parent's partition key, persister and
// inheritable hooks ([Inheritable]), unless the running action was declared
// with [ChildPersister] or [ChildHooks]. With a persister that is also a [Loader],
// the child resumes from its own saved state: one that had already finished
// returns that state without running again.
func RunChild(ctx context.Context, t Task) (StepResult, error) {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok {
		return StepResult{}, errors.New("burr: RunChild needs the context of a running action")
	}
	sp := newSpawner(sc)
	i := sc.nextChildren(1)
	id := sp.childID(i)
	err := sp.prepare(ctx)
	var res StepResult
	if err == nil {
		err = safeCall(func() (err error) {
			res, err = sp.runOne(ctx, t, id)
			return err
		})
	}
	if err != nil {
		return res, &ChildError{Action: sc.action.name, Index: i, AppID: id, Err: err}
	}
	return res, nil
}

// spawner holds what the children of one step inherit.
type spawner struct {
	sc        *stepContext
	parent    StepRef
	persister Saver
	loader    Loader
	inherit   []Inheritable // nil when the action fixed the children's hooks
	fixed     []any         // the hooks the action gave its children
	hooksSet  bool
	exec      Executor
	appLimit  int // the application's default limit, passed on
	limit     int // the limit for this step's fan-out
	collect   bool
	checkInit bool // the persister was given by the action: check it once
}

func newSpawner(sc *stepContext) *spawner {
	app := sc.app
	sp := &spawner{sc: sc, parent: app.ref.At(sc.seq), persister: app.persister,
		inherit: app.inherit, exec: app.executor, appLimit: app.limit, limit: app.limit}
	if p := sc.action.par; p != nil {
		if p.limit > 0 {
			sp.limit = p.limit
		}
		sp.collect = p.collect
		if p.persisterSet {
			sp.persister, sp.checkInit = p.persister, p.persister != nil
		}
		if p.hooksSet {
			sp.inherit, sp.fixed, sp.hooksSet = nil, p.hooks, true
		}
	}
	if sp.exec == nil {
		sp.exec = DefaultExecutor
	}
	if sp.limit <= 0 {
		sp.limit = DefaultMaxConcurrency
	}
	sp.loader, _ = sp.persister.(Loader)
	return sp
}

func (sp *spawner) childID(i int) string {
	if sc := sp.sc; sc.answer != nil && sc.asked != sc.seq {
		// A step resuming a question: its children are those of the
		// interrupted step, which may be waiting on that question.
		return ChildAppID(sp.parent.AppRef.At(sc.asked), i)
	}
	return ChildAppID(sp.parent, i)
}

// childHooks returns the hooks to register with one child.
func (sp *spawner) childHooks() []any {
	if sp.hooksSet {
		return sp.fixed
	}
	if len(sp.inherit) == 0 {
		return nil
	}
	out := make([]any, 0, len(sp.inherit))
	for _, h := range sp.inherit {
		if v := h.ForChild(); v != nil {
			out = append(out, v)
		}
	}
	return out
}

// build creates the child application with app id id for t. done reports a
// child resumed from saved state that had already finished.
func (sp *spawner) build(ctx context.Context, t Task, id string) (app *Application, done bool, err error) {
	sg := t.Subgraph
	if err := sg.Err(); err != nil {
		return nil, false, err
	}
	if err := checkInputNames(t.Inputs); err != nil {
		return nil, false, err
	}
	app = &Application{
		graph:     sg.graph,
		ref:       AppRef{AppID: id, PartitionKey: sp.parent.PartitionKey},
		persister: sp.persister,
		spawning:  &sp.parent,
		entry:     sg.entry,
		cur:       -1,
		executor:  sp.exec,
		limit:     sp.appLimit,
	}
	for _, h := range sp.childHooks() {
		if err := app.hooks.add(h); err != nil {
			return nil, false, err
		}
		if ih, ok := h.(Inheritable); ok {
			app.inherit = append(app.inherit, ih)
		}
	}
	state := t.State.WithoutInternal()
	entry := sg.graph.actions[sg.entry].name
	if sp.loader != nil {
		c := config{ref: app.ref,
			init: &initConfig{loader: sp.loader, resume: true, defaultState: state, defaultEntrypoint: entry}}
		if state, entry, _, err = c.initialize(ctx); err != nil {
			return nil, false, err
		}
		app.entry = sg.graph.index[entry]
		if c.interrupted != nil {
			// The child asked a question when it last ran: the answer comes
			// with its parent's resumed step (resume, in runSubgraph).
			app.pending.Store(&pendingInterrupt{idx: app.entry, intr: c.interrupted})
		}
		if prior, ok := state.PriorStep(); ok {
			i, known := sg.graph.index[prior]
			if !known {
				return nil, false, fmt.Errorf("burr: child %q: saved prior step %q is not an action of its subgraph", id, prior)
			}
			app.cur = i
		}
		if done, err = sg.finished(state); err != nil {
			return nil, false, err
		}
	}
	app.state.Store(&state)
	if len(app.hooks.postCreate) > 0 {
		e := &ApplicationCreated{AppRef: app.ref, State: state, Graph: sg.graph,
			Entrypoint: entry, SpawningParent: app.spawning}
		if err := callHooks(ctx, app.hooks.postCreate, e, PostApplicationCreateHook.PostApplicationCreate); err != nil {
			return nil, false, hookErr(StagePostApplicationCreate, err)
		}
	}
	return app, done, nil
}

// runOne builds and runs one child to the end of its subgraph.
func (sp *spawner) runOne(ctx context.Context, t Task, id string) (StepResult, error) {
	app, done, err := sp.build(ctx, t, id)
	if err != nil {
		return StepResult{}, err
	}
	if done {
		s := app.State()
		return StepResult{Action: app.graph.actions[app.cur], State: s}, nil
	}
	return app.runSubgraph(ctx, t.Subgraph, t.Inputs)
}

// runSubgraph runs the application as Run does, halting as sg says.
func (app *Application) runSubgraph(ctx context.Context, sg *Subgraph, in Inputs) (StepResult, error) {
	if err := app.acquire(); err != nil {
		return StepResult{}, err
	}
	defer app.release()
	if err := app.resume(ctx, nil); err != nil {
		return StepResult{}, err
	}
	if err := app.preExec(ctx, MethodRun); err != nil {
		return StepResult{}, app.postExec(ctx, MethodRun, err)
	}
	res, err := app.loopHalts(ctx, sg.halts, in, nil)
	return res, app.postExec(ctx, MethodRun, err)
}

// nextChildren reserves n child indices of the step and returns the first.
func (sc *stepContext) nextChildren(n int) int {
	return int(sc.children.Add(int64(n))) - n
}
