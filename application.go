package burr

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Application runs a graph of actions over a state: the central type of the
// package. It is built with New, then driven with Step, Run, Iterate,
// [Application.StreamResult] or [Application.StreamIterate].
//
// An Application runs one call at a time. A call made while another is running
// (or while a stream it returned is still open) fails at once with [ErrBusy];
// it never races. The accessors ([Application.State], [Application.Ref], …) may
// be called at any time.
type Application struct {
	graph     *Graph
	ref       AppRef
	entry     int
	hooks     hookSet
	persister Saver
	claimer   Claimer       // claims each step first (WithClaims); nil without
	claimTTL  time.Duration // how long a claim lasts
	parent    *StepRef
	spawning  *StepRef
	inherit   []Inheritable // hooks passed on to children
	executor  Executor      // runs children; nil for DefaultExecutor
	limit     int           // children at once; 0 for the default

	// Events reused from step to step (one call runs at a time), so that
	// hooks cost no allocation per step.
	startEvt StepStart
	endEvt   StepEnd

	// conflict is set when a save lost a write conflict: this Application's
	// state is stale, and every later call fails until it is rebuilt.
	conflict error

	// routed is a failed step an error transition handed to its handler,
	// which the next step runs. pending is the interrupt the application
	// waits on. Both are atomic: NextAction and Interrupted may read them
	// while a call runs. answer is the answer the running call gave.
	routed  atomic.Pointer[routed]
	pending atomic.Pointer[pendingInterrupt]
	answer  *answer

	// outcome is how the last call ended, zero while a call runs; a value
	// under a lock rather than an atomic pointer, so that a call allocates
	// nothing to record it.
	outcomeMu sync.Mutex
	outcome   Outcome
	// Written by the running loop for the call that runs it.
	endReason EndReason
	lastRan   *Action
	lastRes   Result

	busy  atomic.Bool
	state atomic.Pointer[State] // the committed state, swapped whole
	cur   int                   // index of the action in state's PriorStep, or -1
}

// StepResult is what one step, or a whole run, ended with.
type StepResult struct {
	// Action is the action that ran (or, when a run halted before an action,
	// the action it halted before). It is nil when nothing could run.
	Action *Action
	// Result is the action's result; nil when the run halted before Action.
	Result Result
	// State is the application's state afterwards.
	State State
	// Handled is set when Action failed and an error transition
	// ([Sources.OnError]) took the failure over: the step was recorded as
	// failed, State is unchanged, and the next step runs the handler named
	// in Handled.HandledBy. The call itself goes on without an error.
	Handled *ActionError
}

// New builds an [Application] from options. It validates the graph, loads state
// when [WithInitializeFrom] is given, and calls the PostApplicationCreate
// hooks.
func New(ctx context.Context, opts ...Option) (*Application, error) {
	var c config
	for _, o := range opts {
		o.applyApp(&c)
	}
	if c.errs != nil {
		return nil, &GraphError{Problems: c.errs}
	}
	g := c.graph
	if g == nil || len(c.actions) > 0 || len(c.transitions) > 0 {
		var actions []*Action
		var transitions []Transition
		if g != nil {
			actions, transitions = g.Actions(), g.Transitions()
		}
		var err error
		if g, err = NewGraph(append(actions, c.actions...), append(transitions, c.transitions...)...); err != nil {
			return nil, err
		}
	}
	if c.ref.AppID == "" {
		c.ref.AppID = NewAppID()
	}
	if ini, ok := c.persister.(Initializer); ok {
		ready, err := ini.Initialized(ctx)
		if err != nil {
			return nil, fmt.Errorf("burr: checking the persister: %w", err)
		}
		if !ready {
			return nil, fmt.Errorf("burr: the persister %T is not initialized: call its Initialize method first", c.persister)
		}
	}
	app := &Application{graph: g, ref: c.ref, persister: c.persister, spawning: c.spawningParent, cur: -1,
		executor: c.executor, limit: c.limit}
	var err error
	if app.claimer, app.claimTTL, err = c.claimer(); err != nil {
		return nil, err
	}
	for _, h := range c.hooks {
		if h == nil {
			return nil, errors.New("burr: WithHooks: nil hook")
		}
		if err := app.hooks.add(h); err != nil {
			return nil, err
		}
		if ih, ok := h.(Inheritable); ok {
			app.inherit = append(app.inherit, ih)
		}
	}
	// Sequence ids are 0 or more: Latest (-1) names no step, and a negative
	// id would reach it.
	if c.seqSet && c.seq < 0 {
		return nil, fmt.Errorf("burr: WithSequenceID(%d): a sequence id cannot be negative", c.seq)
	}
	state, entry := c.state, c.entrypoint
	if c.init != nil {
		var err error
		if state, entry, app.parent, err = c.initialize(ctx); err != nil {
			return nil, err
		}
	} else if c.seqSet {
		state = state.withSeq(c.seq)
	}
	if n, ok := state.SequenceID(); ok && n < 0 {
		return nil, fmt.Errorf("burr: the state's %s is %d: a sequence id cannot be negative", SequenceIDKey, n)
	}
	if entry == "" {
		return nil, errors.New("burr: no entrypoint: use WithEntrypoint")
	}
	idx, ok := g.index[entry]
	if !ok {
		return nil, fmt.Errorf("burr: entrypoint %q not found in actions", entry)
	}
	app.entry = idx
	if c.interrupted != nil {
		app.pending.Store(&pendingInterrupt{idx: idx, intr: c.interrupted})
	}
	if prior, ok := state.PriorStep(); ok {
		i, known := g.index[prior]
		if !known {
			return nil, fmt.Errorf("burr: state's prior step %q is not an action of the graph", prior)
		}
		app.cur = i
	}
	app.state.Store(&state)
	if len(app.hooks.postCreate) > 0 {
		e := &ApplicationCreated{AppRef: app.ref, State: state, Graph: g,
			Entrypoint: entry, Parent: app.parent, SpawningParent: app.spawning}
		if err := callHooks(ctx, app.hooks.postCreate, e, PostApplicationCreateHook.PostApplicationCreate); err != nil {
			return nil, hookErr(StagePostApplicationCreate, err)
		}
	}
	return app, nil
}

// State returns the current state.
func (app *Application) State() State { return *app.state.Load() }

// Ref returns the application's identity: its app id and partition key.
func (app *Application) Ref() AppRef { return app.ref }

// SequenceID returns the sequence id of the last step, if any ran.
func (app *Application) SequenceID() (int, bool) { return app.State().SequenceID() }

// Graph returns the application's graph.
func (app *Application) Graph() *Graph { return app.graph }

// Parent returns the step this application was forked from ([ForkFrom]), or
// nil.
func (app *Application) Parent() *StepRef { return app.parent }

// SpawningParent returns the step of the application that started this one
// ([WithSpawningParent]), or nil.
func (app *Application) SpawningParent() *StepRef { return app.spawning }

// NextAction returns the action the next step would run, or nil when no
// transition matches.
func (app *Application) NextAction() (*Action, error) {
	if p := app.pending.Load(); p != nil {
		return app.graph.actions[p.idx], nil
	}
	if rt := app.routed.Load(); rt != nil {
		return app.graph.actions[rt.to], nil
	}
	s := app.State()
	prior, ok := s.PriorStep()
	if !ok {
		return app.graph.actions[app.entry], nil
	}
	i, err := app.graph.next(app.graph.index[prior], s)
	if err != nil || i < 0 {
		return nil, err
	}
	return app.graph.actions[i], nil
}

// commit publishes a new state. The pointer is owned by the caller's step (it
// lives in the step's context), which saves an allocation per step.
func (app *Application) commit(s *State, cur int) {
	app.state.Store(s)
	app.cur = cur
}

func (app *Application) acquire() error {
	if !app.busy.CompareAndSwap(false, true) {
		return fmt.Errorf("%w (app %q)", ErrBusy, app.ref.AppID)
	}
	app.setOutcome(Outcome{})
	if app.conflict != nil {
		app.busy.Store(false)
		return app.conflict
	}
	return nil
}

func (app *Application) release() {
	app.answer = nil
	app.busy.Store(false)
}

// nextIndex evaluates the transitions from the prior step; panics in
// conditions become errors.
func (app *Application) nextIndex(s State) (next int, err error) {
	if p := app.pending.Load(); p != nil {
		return p.idx, nil
	}
	if rt := app.routed.Load(); rt != nil {
		return rt.to, nil
	}
	if app.cur < 0 {
		return app.entry, nil
	}
	defer func() {
		if r := recover(); r != nil {
			next, err = -1, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return app.graph.next(app.cur, s)
}

func (app *Application) preExec(ctx context.Context, m ExecuteMethod) error {
	if len(app.hooks.preExec) == 0 {
		return nil
	}
	e := &ExecuteCall{AppRef: app.ref, Method: m, State: app.State()}
	return hookErr(StagePreRunExecuteCall, callHooks(ctx, app.hooks.preExec, e, PreRunExecuteCallHook.PreRunExecuteCall))
}

func (app *Application) postExec(ctx context.Context, m ExecuteMethod, err error) error {
	if len(app.hooks.postExec) == 0 {
		return err
	}
	e := &ExecuteCall{AppRef: app.ref, Method: m, State: app.State(), Err: err}
	if herr := callHooks(ctx, app.hooks.postExec, e, PostRunExecuteCallHook.PostRunExecuteCall); herr != nil {
		return errors.Join(err, hookErr(StagePostRunExecuteCall, herr))
	}
	return err
}

func checkInputNames(in Inputs) error {
	for k := range in {
		if strings.HasPrefix(k, "__") {
			return &InputError{Reason: fmt.Sprintf("input %q starts with a double underscore, which is reserved for the framework", k)}
		}
	}
	return nil
}

// Step runs the next action and returns its result and the new state. When no
// transition matches (the application is done), it returns the state with a
// nil Action and an error wrapping [ErrEndOfGraph] (the graph's io.EOF), and
// the sequence id does not change. [Inputs] are given with [WithInputs], the
// answer to an interrupted action's question with [WithAnswer].
func (app *Application) Step(ctx context.Context, opts ...StepOption) (res StepResult, err error) {
	if err := app.acquire(); err != nil {
		return StepResult{}, err
	}
	defer app.release()
	in, ans, err := stepOptions(opts)
	if err == nil {
		err = checkInputNames(in)
	}
	if err == nil {
		err = app.resume(ctx, ans)
	}
	if err != nil {
		return StepResult{}, err
	}
	if err := app.preExec(ctx, MethodStep); err != nil {
		return StepResult{}, app.postExec(ctx, MethodStep, err)
	}
	res, err = app.stepNext(ctx, in)
	if res.Action == nil && err == nil {
		// The end of the graph is no failure for the hooks, but the caller
		// must not take the empty result for a step.
		app.endCall(GraphEnded, nil, nil, nil)
		if err = app.postExec(ctx, MethodStep, nil); err != nil {
			return res, err
		}
		return res, app.endOfGraph()
	}
	err = app.postExec(ctx, MethodStep, err)
	app.endCall(Stepped, res.Action, res.Result, err)
	return res, err
}

// endOfGraph is Step's error when there is nothing left to run.
func (app *Application) endOfGraph() error {
	if prior, ok := app.State().PriorStep(); ok {
		return fmt.Errorf("burr: no transition from %q matches: %w", prior, ErrEndOfGraph)
	}
	return ErrEndOfGraph
}

func (app *Application) stepNext(ctx context.Context, in Inputs) (StepResult, error) {
	s := app.State()
	i, err := app.nextIndex(s)
	if err != nil || i < 0 {
		return StepResult{State: s}, err
	}
	a := app.graph.actions[i]
	r, err := app.runStep(ctx, i, in)
	if ae := handledBy(err); ae != nil {
		return StepResult{Action: a, State: app.State(), Handled: ae}, nil
	}
	return StepResult{Action: a, Result: r, State: app.State()}, err
}

// runStep runs the action at index i as one step: inputs, hooks, execution,
// write checks, merge, persistence and commit.
func (app *Application) runStep(ctx context.Context, i int, given Inputs) (Result, error) {
	a := app.graph.actions[i]
	in, before, seq, err := app.openStep(ctx, a, given)
	if err != nil {
		return nil, err
	}
	sc := &stepContext{Context: ctx, app: app, seq: seq, action: a, attempt: 1}
	app.takeRouted(sc, i)
	app.takeAnswer(sc, i)
	var start time.Time
	if len(app.hooks.preStep) > 0 || len(app.hooks.postStep) > 0 || len(app.hooks.stepCtx) > 0 {
		start = time.Now()
	}
	err = app.preStep(sc, before, in, start)
	var r Result
	var after State
	if err == nil {
		r, after, err = app.execute(sc, a, before, in, nil)
		if err != nil && a.ctl != nil && a.ctl.retry != nil {
			r, after, err = app.retrySteps(ctx, sc, a, before, in, err, start)
		}
	}
	if err == nil && done(ctx) {
		// The action finished but the caller gave up meanwhile: report it.
		err = context.Cause(ctx)
	}
	return app.finishStep(ctx, sc, i, before, after, r, err, start)
}

// openStep is what every step, streamed or not, does before its step
// context exists: it picks the action's inputs from those given, takes the
// next sequence id (refusing one past the largest) and, with claims on,
// claims that id. Nothing of the step has happened when it fails: no hook
// has run and no sequence id is spent.
func (app *Application) openStep(ctx context.Context, a *Action, given Inputs) (in Inputs, before State, seq int, err error) {
	if in, err = a.inputsFor(given); err != nil {
		return nil, State{}, 0, err
	}
	if before, seq = app.nextStepState(); seq < 0 {
		return nil, State{}, 0, app.sequenceOverflow(a)
	}
	if app.claimer != nil {
		if err = app.claim(ctx, seq, a); err != nil {
			return nil, State{}, 0, err
		}
	}
	return in, before, seq, nil
}

// takeRouted hands the failure an error transition routed to the action at
// index i to its step, and clears it: whatever runs next has taken it.
func (app *Application) takeRouted(sc *stepContext, i int) {
	if rt := app.routed.Load(); rt != nil {
		if rt.to == i {
			sc.handled = rt.err
		}
		app.routed.Store(nil)
	}
}

// done reports whether ctx is cancelled, without the lock ctx.Err takes.
func done(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

func (app *Application) sequenceOverflow(a *Action) error {
	return fmt.Errorf("burr: app %q cannot run %q: its last step has sequence id %d, the largest there is", app.ref.AppID, a.name, math.MaxInt)
}

// nextStepState returns the state a step starts from: the committed state with
// the step's sequence id (0 for the first step). The sequence id is negative
// when the last one was math.MaxInt (sequence ids start at 0 or more, so only
// an overflow makes it negative): the step must not run.
func (app *Application) nextStepState() (State, int) {
	s := app.State()
	seq := 0
	if s.seqAt != 0 {
		seq = s.seq + 1
	}
	return s.withSeq(seq), seq
}

// preStep calls the step context hooks, then the pre-run-step hooks.
func (app *Application) preStep(sc *stepContext, before State, in Inputs, t time.Time) error {
	if len(app.hooks.preStep) == 0 && len(app.hooks.stepCtx) == 0 {
		return nil
	}
	e := &app.startEvt
	*e = StepStart{AppContext: sc.appContext(), State: before, Inputs: in, Time: t}
	if len(app.hooks.stepCtx) > 0 {
		app.stepCtx(sc, e)
	}
	return stepHookErr(StagePreRunStep, sc, callHooks(sc, app.hooks.preStep, e, PreRunStepHook.PreRunStep))
}

// execute runs the action, recovering panics, and checks and merges its
// writes. yield is nil for a step that drains a streaming action.
func (app *Application) execute(sc *stepContext, a *Action, before State, in Inputs, yield Yield) (r Result, after State, err error) {
	if yield == nil && a.Streaming() {
		yield = drainYield(sc)
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = &PanicError{Value: p, Stack: debug.Stack()}
			}
		}()
		if c := a.ctl; c != nil && (c.timeout > 0 || c.itemTimeout > 0) {
			r, after, err = c.runAttempt(sc, a, before, in, yield)
		} else {
			r, after, err = a.run(sc, before, in, yield)
		}
	}()
	if err == nil {
		err = a.checkWrites(before, after)
	}
	if err != nil {
		return nil, State{}, err
	}
	after.adoptInternal(&before, a.name) // the action's keys, the framework's internal keys
	return r, after, nil
}

// retrySteps runs the attempts after a failed first one, as the action's
// retry policy says, and returns the last attempt's outcome.
func (app *Application) retrySteps(ctx context.Context, sc *stepContext, a *Action, before State, in Inputs, err error, start time.Time) (Result, State, error) {
	p := a.ctl.retry
	if start.IsZero() {
		start = time.Now()
	}
	for p.retryable(ctx, err, sc.attempt) && app.retryWait(ctx, nil, sc, p, err, start) {
		start = time.Now()
		var r Result
		var after State
		if r, after, err = app.execute(sc, a, before, in, nil); err == nil {
			return r, after, nil
		}
	}
	return nil, State{}, err
}

// drainYield discards the items of a streaming action run as an ordinary step,
// stopping it when the context is cancelled.
func drainYield(ctx context.Context) Yield {
	done := ctx.Done()
	if done == nil {
		return func(any) bool { return true }
	}
	return func(any) bool {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
}

// finishStep ends a step whose outcome is known: the action's result and new
// state, or err (the action's, a pre-step hook's, a cancellation). In this
// order, so that the application's state, the persisted record and the hooks
// (the tracker among them) always tell the same story:
//
//  1. the persister saves the outcome; a failed save turns it into a failure;
//  2. the post-run-step hooks see that final outcome;
//  3. the application commits it.
//
// A post-run-step hook's error is returned as a [*HookError] but does not
// change the outcome. ctx is the caller's context, which the persister uses: a
// stream's own context is cancelled when it is closed, and the failure must
// still be saved. It returns the result the caller sees (nil when the step
// failed).
func (app *Application) finishStep(ctx context.Context, sc *stepContext, i int, before, after State, r Result, err error, start time.Time) (Result, error) {
	a := app.graph.actions[i]
	handler := -1
	if err != nil && len(app.graph.onErr[i]) > 0 {
		handler = app.route(ctx, i, err)
	}
	intr := interruptOf(err)
	var end time.Time
	if len(app.hooks.postStep) > 0 || app.persister != nil {
		end = time.Now()
	}
	if app.persister != nil {
		saved, status := after, StatusCompleted
		switch {
		case intr != nil:
			saved, status = before.Set(InterruptKey, intr.Payload), StatusInterrupted
		case err != nil:
			saved, status = before, StatusFailed
		}
		if serr := app.save(ctx, sc.seq, a, saved, status, end); serr != nil {
			handler, intr = -1, nil
			if err == nil {
				err = serr
			} else {
				err = errors.Join(err, serr)
			}
		}
	}
	if err != nil {
		// The sequence id is spent (a failed record may carry it); nothing else
		// of the step is kept.
		r, after = nil, before
	}
	if intr != nil {
		intr = &Interrupt{Action: a.name, SequenceID: sc.seq, Payload: intr.Payload}
		app.logInterrupt(sc, intr)
	}
	var herr error
	if len(app.hooks.postStep) > 0 {
		e := &app.endEvt
		*e = StepEnd{AppContext: sc.appContext(), State: after, Result: r, Err: err, Start: start, Time: end, Attempt: sc.attempt}
		herr = stepHookErr(StagePostRunStep, sc, callHooks(sc, app.hooks.postStep, e, PostRunStepHook.PostRunStep))
		*e = StepEnd{} // keep nothing of the step alive
	}
	sc.state = after
	if err != nil {
		app.commit(&sc.state, app.cur)
		if intr != nil {
			app.pending.Store(&pendingInterrupt{idx: i, intr: intr})
			if herr != nil {
				return nil, errors.Join(intr, herr)
			}
			return nil, intr
		}
		ae := &ActionError{Action: a.name, SequenceID: sc.seq, Err: err}
		if handler >= 0 {
			ae.HandledBy = app.graph.actions[handler].name
			app.routed.Store(&routed{to: handler, err: ae})
		}
		err = ae
		if herr != nil {
			err = errors.Join(err, herr)
		}
		return nil, err
	}
	app.commit(&sc.state, i)
	return r, herr
}

// halts holds a call's halt conditions as per-action flags.
type halts struct {
	before, after []bool
}

func (app *Application) resolveHalts(rc *runConfig) (halts, error) {
	n := len(app.graph.actions)
	h := halts{before: make([]bool, n), after: make([]bool, n)}
	var unknown []string
	mark := func(names []string, flags []bool) error {
		for _, name := range names {
			if tag, ok := strings.CutPrefix(name, "@tag:"); ok {
				acts, err := app.graph.ActionsByTag(tag)
				if err != nil {
					return err
				}
				for _, a := range acts {
					flags[app.graph.index[a.name]] = true
				}
				continue
			}
			i, ok := app.graph.index[name]
			if !ok {
				if !slices.Contains(unknown, name) {
					unknown = append(unknown, name)
				}
				continue
			}
			flags[i] = true
		}
		return nil
	}
	if err := mark(rc.haltAfter, h.after); err != nil {
		return h, err
	}
	if err := mark(rc.haltBefore, h.before); err != nil {
		return h, err
	}
	if unknown != nil {
		return h, fmt.Errorf("burr: halt conditions %s are not registered actions", quoteList(unknown))
	}
	return h, nil
}

// Run runs steps until a halt condition is met or no transition matches, and
// returns how it ended:
//
//   - halted before an action: that action, a nil result, and the state;
//   - halted after an action: that action, its result, and the state;
//   - the graph ended: the last action, its result, and the state.
//
// The first action always runs, so a run that halted before an action can be
// called again (with the inputs that action needs) to run it.
func (app *Application) Run(ctx context.Context, opts ...RunOption) (StepResult, error) {
	rc, err := newRunConfig(opts)
	if err != nil {
		return StepResult{}, err
	}
	if err := app.acquire(); err != nil {
		return StepResult{}, err
	}
	defer app.release()
	if err := app.resume(ctx, rc.answer); err != nil {
		return StepResult{}, err
	}
	if err := app.preExec(ctx, MethodRun); err != nil {
		return StepResult{}, app.postExec(ctx, MethodRun, err)
	}
	res, err := app.loop(ctx, rc, nil)
	err = app.postExec(ctx, MethodRun, err)
	app.endLoop(err)
	return res, err
}

// Iterate runs steps like Run, yielding each step's result as it completes.
// Breaking out of the loop stops the run after the current step. An error
// ends the iteration after being yielded. A step that committed but whose
// post-run-step hook failed is yielded once, with its result and the
// [*HookError].
func (app *Application) Iterate(ctx context.Context, opts ...RunOption) iter.Seq2[StepResult, error] {
	rc, optErr := newRunConfig(opts)
	return func(yield func(StepResult, error) bool) {
		if optErr != nil {
			yield(StepResult{}, optErr)
			return
		}
		if err := app.acquire(); err != nil {
			yield(StepResult{}, err)
			return
		}
		defer app.release()
		if err := app.resume(ctx, rc.answer); err != nil {
			yield(StepResult{}, err)
			return
		}
		if err := app.preExec(ctx, MethodIterate); err != nil {
			yield(StepResult{}, app.postExec(ctx, MethodIterate, err))
			return
		}
		broke := false
		var delivered error // an error already yielded with its committed step
		_, err := app.loop(ctx, rc, func(r StepResult, err error) bool {
			delivered = err
			broke = !yield(r, err)
			return !broke
		})
		err = app.postExec(ctx, MethodIterate, err)
		if broke && err == nil {
			app.endReason = Stopped
		}
		app.endLoop(err)
		if err != nil && !broke && err != delivered {
			yield(StepResult{}, err)
		}
	}
}

// loop is the run loop shared by Run and Iterate. each, when non-nil, receives
// every committed step (with the error of its post-run-step hooks, which ends
// the loop) and may stop the loop by returning false.
func (app *Application) loop(ctx context.Context, rc *runConfig, each func(StepResult, error) bool) (StepResult, error) {
	if err := checkInputNames(rc.inputs); err != nil {
		return StepResult{}, err
	}
	h, err := app.resolveHalts(rc)
	if err != nil {
		return StepResult{}, err
	}
	return app.loopHalts(ctx, h, rc.inputs, each)
}

func (app *Application) loopHalts(ctx context.Context, h halts, in Inputs, each func(StepResult, error) bool) (StepResult, error) {
	done := ctx.Done()
	last := StepResult{State: app.State()}
	app.endReason, app.lastRan, app.lastRes = GraphEnded, nil, nil
	next, err := app.nextIndex(last.State)
	if err != nil {
		return last, err
	}
	for next >= 0 {
		if done != nil {
			select {
			case <-done:
				return last, context.Cause(ctx)
			default:
			}
		}
		r, err := app.runStep(ctx, next, in)
		last = StepResult{Action: app.graph.actions[next], Result: r, State: app.State()}
		app.lastRan = last.Action
		if ae := handledBy(err); ae != nil {
			last.Handled, err = ae, nil
		}
		if err == nil || Committed(err) {
			app.lastRes = r
		}
		if err != nil {
			if each != nil && Committed(err) {
				each(last, err)
			}
			return last, err
		}
		if each != nil && !each(last, nil) {
			app.endReason = Stopped
			return last, nil
		}
		ran := next
		if next, err = app.nextIndex(last.State); err != nil {
			return last, err
		}
		if next >= 0 && h.before[next] {
			app.endReason, app.lastRan = HaltedBefore, app.graph.actions[next]
			return StepResult{Action: app.graph.actions[next], State: last.State}, nil
		}
		if h.after[ran] {
			app.endReason = HaltedAfter
			return last, nil
		}
	}
	return last, nil
}

// endLoop records the outcome of a Run, Iterate or StreamIterate call.
func (app *Application) endLoop(err error) {
	app.endCall(app.endReason, app.lastRan, app.lastRes, err)
	app.lastRan, app.lastRes = nil, nil
}
