package burr

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// streamCore is the state of a stream; [Stream] is the handle users hold.
type streamCore struct {
	app    *Application
	action *Action
	idx    int
	sc     *stepContext
	cancel context.CancelCauseFunc
	parent context.Context // the caller's context
	before State
	in     Inputs
	start  time.Time
	owns   bool // the stream ends the StreamResult call: post-execute-call hook, release
	method ExecuteMethod

	interrupt atomic.Int32 // interruptStop or interruptClose, set from any goroutine

	mu     sync.Mutex // guards phase and the pull functions
	pullMu sync.Mutex // serialises the pull functions (Next against Close)
	phase  streamPhase
	pass   bool // a pass-through stream with no items

	stopCh     chan struct{} // closed on Stop or Close; made on first use (guarded by mu)
	stopClosed bool
	done       chan struct{} // closed at completion

	// Written only by the goroutine driving the action.
	items      int
	left       bool // the consumer broke out of its range loop
	inConsumer bool
	inHooks    bool // in the PostStreamItem hooks
	hookErr    error
	itemEvent  *StreamItem
	ctxDone    <-chan struct{}

	next     func() (any, bool)
	stopPull func()
	cur      any

	result Result
	state  State
	err    error
}

type streamPhase uint8

const (
	phaseIdle    streamPhase = iota // not started
	phaseRunning                    // the action runs under a range loop or Get
	phasePulling                    // started through Next, suspended between items
	phaseDone
)

const (
	interruptStop  = 1
	interruptClose = 2
)

// All implements Stream.All.
func (s *streamCore) All() iter.Seq[any] {
	return func(yield func(any) bool) {
		s.mu.Lock()
		switch s.phase {
		case phaseIdle:
			s.phase = phaseRunning
			s.mu.Unlock()
			s.drive(yield)
		case phasePulling:
			s.mu.Unlock()
			finished := false
			defer func() {
				if !finished {
					s.Close() // the loop body broke out, panicked or exited
				}
			}()
			for s.Next() {
				if !yield(s.cur) {
					return
				}
			}
			finished = true
		default:
			s.mu.Unlock()
		}
	}
}

// Next implements Stream.Next.
func (s *streamCore) Next() bool {
	s.pullMu.Lock()
	defer s.pullMu.Unlock()
	s.mu.Lock()
	switch s.phase {
	case phaseIdle:
		s.next, s.stopPull = iter.Pull(iter.Seq[any](s.drive))
		s.phase = phasePulling
	case phasePulling:
	default:
		s.mu.Unlock()
		return false
	}
	next := s.next
	s.mu.Unlock()
	if next == nil {
		return false
	}
	item, ok := next()
	if !ok {
		return false
	}
	s.cur = item
	return true
}

// Err implements Stream.Err.
func (s *streamCore) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Get implements Stream.Get.
func (s *streamCore) Get() (Result, State, error) {
	s.mu.Lock()
	switch s.phase {
	case phaseIdle:
		s.phase = phaseRunning
		s.mu.Unlock()
		s.drive(discard)
	case phasePulling:
		s.mu.Unlock()
		if s.pullMu.TryLock() {
			// No Next in flight: drain from here.
			s.pullMu.Unlock()
			for s.Next() {
			}
		}
		// Otherwise another goroutine is pulling: wait for it to finish.
	default:
		s.mu.Unlock()
	}
	<-s.done
	return s.result, s.state, s.err
}

func discard(any) bool { return true }

// Close implements Stream.Close.
func (s *streamCore) Close() error {
	s.mu.Lock()
	if s.phase == phaseDone {
		s.mu.Unlock()
		return nil
	}
	// Close wins over a pending Stop: the consumer now wants nothing kept.
	s.interrupt.Store(interruptClose)
	s.signalStopLocked()
	switch s.phase {
	case phaseIdle:
		s.phase = phaseRunning
		s.mu.Unlock()
		s.finish(nil, State{}, ErrStreamClosed)
	case phasePulling:
		s.mu.Unlock()
		s.cancel(ErrStreamClosed)
		if !s.pullMu.TryLock() {
			// A Next is in flight (perhaps the caller's own, from a hook):
			// the action sees the close at its next yield and the stream
			// completes there.
			return nil
		}
		s.mu.Lock()
		stop := s.stopPull
		if s.phase != phasePulling {
			stop = nil
		}
		s.next, s.stopPull = nil, nil
		s.mu.Unlock()
		if stop != nil {
			stop()
		}
		s.pullMu.Unlock()
	case phaseRunning:
		s.mu.Unlock()
		s.cancel(ErrStreamClosed)
	default:
		s.mu.Unlock()
	}
	return nil
}

// Stop implements Stream.Stop.
func (s *streamCore) Stop() error {
	s.mu.Lock()
	if s.phase == phaseDone {
		// Ended, or ending: a Stop from a hook during completion must not
		// wait for that completion.
		s.mu.Unlock()
		return s.Err()
	}
	s.interrupt.CompareAndSwap(0, interruptStop)
	s.signalStopLocked()
	running := s.phase == phaseRunning
	s.mu.Unlock()
	if running {
		return nil
	}
	if !s.pullMu.TryLock() {
		return nil // another goroutine is pulling: its next Next ends the stream
	}
	s.pullMu.Unlock()
	_, _, err := s.Get()
	return err
}

// stopping returns the channel closed when the consumer stops or closes the
// stream, creating it on first use.
func (s *streamCore) stopping() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopCh == nil {
		s.stopCh = make(chan struct{})
		if s.interrupt.Load() != 0 {
			close(s.stopCh)
			s.stopClosed = true
		}
	}
	return s.stopCh
}

// signalStopLocked closes the [Stopping] channel if it was made. s.mu is held.
func (s *streamCore) signalStopLocked() {
	if s.stopCh != nil && !s.stopClosed {
		close(s.stopCh)
		s.stopClosed = true
	}
}

// drive runs the action, handing each item to consumer, then completes the
// stream. It runs on the consumer's goroutine (or the pull coroutine).
func (s *streamCore) drive(consumer func(any) bool) {
	app := s.app
	s.ctxDone = s.parent.Done()
	gone := false
	var itemHooks []PostStreamItemHook
	if len(app.hooks.item) > 0 {
		itemHooks = app.hooks.item
		s.itemEvent = &StreamItem{AppContext: s.sc.appContext(), StreamStart: s.start}
	}
	yield := func(item any) bool {
		if gone {
			return false
		}
		if s.interrupt.Load() != 0 {
			gone = true
			return false
		}
		if s.ctxDone != nil {
			select {
			case <-s.ctxDone:
				gone = true
				return false
			default:
			}
		}
		if itemHooks != nil {
			s.inHooks = true
			ok := s.fireItem(itemHooks, item)
			s.inHooks = false
			if !ok {
				gone = true
				return false
			}
		}
		s.items++
		s.inConsumer = true
		ok := consumer(item)
		s.inConsumer = false
		if !ok {
			gone, s.left = true, true
		}
		return ok
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		p := recover()
		switch {
		case p == nil:
			// runtime.Goexit in the consumer (t.FailNow, say).
			s.finish(nil, State{}, fmt.Errorf("burr: stream consumer exited: %w", ErrStreamClosed))
		case s.inConsumer:
			s.finish(nil, State{}, fmt.Errorf("burr: stream consumer panicked: %v: %w", p, ErrStreamClosed))
			panic(p)
		default:
			s.finish(nil, State{}, &PanicError{Value: p, Stack: debug.Stack()})
		}
	}()
	var r Result
	var after State
	var err error
	if c := s.action.ctl; c == nil {
		r, after, err = s.action.run(s.sc, s.before, s.in, yield)
	} else {
		start := s.start
		for {
			r, after, err = s.attempt(c, yield)
			// A retry must not repeat an item the consumer has seen.
			if err == nil || c.retry == nil || s.items > 0 || gone || s.hookErr != nil || s.interrupt.Load() != 0 ||
				!c.retry.retryable(s.parent, err, s.sc.attempt) || !app.retryWait(s.sc, s.stopping(), s.sc, c.retry, err, start) {
				break
			}
			start = time.Now()
		}
	}
	returned = true
	s.finish(r, after, err)
}

// attempt runs one attempt of an action with execution control. A panic of
// the action becomes the attempt's error, so that the retry policy judges
// it like any other; a panic in the consumer or in an item hook is left to
// drive, which ends the stream with it.
func (s *streamCore) attempt(c *execControl, yield Yield) (r Result, after State, err error) {
	defer func() {
		if s.inConsumer || s.inHooks {
			return
		}
		if p := recover(); p != nil {
			r, after, err = nil, State{}, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return c.runAttempt(s.sc, s.action, s.before, s.in, yield)
}

// fireItem calls the per-item hooks; false means a hook failed. It is on the
// per-item path, so hooks are called directly: a panicking hook is recovered
// by drive, like a panic in the action, and fails the stream.
func (s *streamCore) fireItem(hooks []PostStreamItemHook, item any) bool {
	e := s.itemEvent
	if s.items == 0 {
		e.FirstItemTime = time.Now()
	}
	e.Item, e.Index = item, s.items
	for _, h := range hooks {
		if err := h.PostStreamItem(s.sc, e); err != nil {
			s.hookErr = errors.Join(s.hookErr, stepHookErr(StagePostStreamItem, s.sc, fmt.Errorf("hook %T: %w", h, err)))
		}
	}
	e.Item = nil
	return s.hookErr == nil
}

// finish completes the stream exactly once: checks, merge, post-run-step hooks,
// persister, commit, end-of-stream hooks, end of the call.
func (s *streamCore) finish(r Result, after State, err error) {
	s.mu.Lock()
	if s.phase == phaseDone {
		s.mu.Unlock()
		return
	}
	s.phase = phaseDone
	// One reading of the interrupt decides: Close and Stop do not change it
	// once the phase is done.
	interrupt := s.interrupt.Load()
	s.mu.Unlock()

	app := s.app
	stopped := interrupt == interruptStop
	if interrupt == interruptClose && (errors.Is(err, context.Canceled) || errors.Is(err, ErrStreamClosed)) {
		// The action honoured the cancellation Close caused.
		err = nil
	}
	switch {
	case err != nil:
	case s.hookErr != nil:
		err = s.hookErr
	case interrupt == interruptClose || s.left:
		err = ErrStreamClosed
	case !stopped && s.parent.Err() != nil:
		err = context.Cause(s.parent)
	}
	if err == nil {
		if err = s.action.checkWrites(s.before, after); err == nil {
			after.adoptInternal(&s.before, s.action.name)
		}
	}
	r, err = app.finishStep(s.parent, s.sc, s.idx, s.before, after, r, err, s.start)
	s.cancel(errStreamDone)
	if len(app.hooks.endStream) > 0 {
		e := &StreamEnd{AppContext: s.sc.appContext(), Items: s.items, Err: err, Stopped: stopped && err == nil, Time: time.Now()}
		if herr := callHooks(s.parent, app.hooks.endStream, e, PostEndStreamHook.PostEndStream); herr != nil {
			err = errors.Join(err, stepHookErr(StagePostEndStream, s.sc, herr))
		}
	}
	s.state = app.State()
	if s.owns {
		err = app.postExec(s.parent, s.method, err)
		app.endCall(HaltedAfter, s.action, r, err)
		app.release()
	}
	s.result, s.err = r, err
	close(s.done)
}

var errStreamDone = errors.New("burr: stream finished")

// passThrough returns a stream with no items whose Get returns r, st and err:
// what [Application.StreamResult] returns when it halted at a non-streaming
// action or before an action.
func passThrough(a *Action, r Result, st State, err error) *streamCore {
	s := &streamCore{action: a, phase: phaseDone, pass: true, done: make(chan struct{}), result: r, state: st, err: err}
	close(s.done)
	return s
}

// streamTo fast-forwards to the next action in h.after and sets up its stream.
// When owns is true the returned live stream ends the call at completion.
func (app *Application) streamTo(ctx context.Context, h halts, in Inputs, m ExecuteMethod, owns bool) (*streamCore, error) {
	s := app.State()
	next, err := app.nextIndex(s)
	if err != nil {
		return nil, err
	}
	if next < 0 {
		prior, _ := s.PriorStep()
		return nil, fmt.Errorf("burr: cannot stream: no next action after %q: %w", prior, ErrEndOfGraph)
	}
	if !h.after[next] {
		ff := halts{before: make([]bool, len(h.after)), after: make([]bool, len(h.after))}
		for i := range ff.before {
			ff.before[i] = h.before[i] || h.after[i]
		}
		last, err := app.loopHalts(ctx, ff, in, nil)
		if err != nil {
			return nil, err
		}
		if next, err = app.nextIndex(last.State); err != nil {
			return nil, err
		}
		switch {
		case next < 0:
			name := ""
			if last.Action != nil {
				name = last.Action.name
			}
			return nil, fmt.Errorf("burr: reached the end of the graph after action %q before any action to halt at: %w", name, ErrEndOfGraph)
		case !h.after[next]:
			app.endReason, app.lastRan = HaltedBefore, app.graph.actions[next]
			return passThrough(app.graph.actions[next], nil, last.State, nil), nil
		}
	}
	return app.startStream(ctx, next, in, m, owns)
}

// startStream runs the pre-step hooks for the action at index i and returns its
// stream, or runs it at once when it does not stream.
func (app *Application) startStream(ctx context.Context, i int, given Inputs, m ExecuteMethod, owns bool) (*streamCore, error) {
	a := app.graph.actions[i]
	if !a.Streaming() {
		r, err := app.runStep(ctx, i, given)
		app.endReason, app.lastRan, app.lastRes = HaltedAfter, a, r
		if err != nil && handledBy(err) == nil {
			return nil, err
		}
		return passThrough(a, r, app.State(), err), nil
	}
	in, before, seq, err := app.openStep(ctx, a, given)
	if err != nil {
		return nil, err
	}
	actx, cancel := context.WithCancelCause(ctx)
	s := &streamCore{app: app, action: a, idx: i, cancel: cancel, parent: ctx, before: before, in: in,
		start: time.Now(), owns: owns, method: m, done: make(chan struct{})}
	s.sc = &stepContext{Context: actx, app: app, seq: seq, action: a, stream: s, attempt: 1}
	app.takeRouted(s.sc, i)
	app.takeAnswer(s.sc, i)
	s.hookErr = app.preStep(s.sc, before, in, s.start)
	if len(app.hooks.preStream) > 0 {
		e := &StreamStart{AppContext: s.sc.appContext(), Time: s.start}
		if herr := callHooks(s.sc, app.hooks.preStream, e, PreStartStreamHook.PreStartStream); herr != nil {
			s.hookErr = errors.Join(s.hookErr, stepHookErr(StagePreStartStream, s.sc, herr))
		}
	}
	if s.hookErr != nil {
		s.owns = false
		s.phase = phaseRunning
		s.finish(nil, State{}, s.hookErr)
		return nil, s.err
	}
	return s, nil
}

func (app *Application) streamIterate(ctx context.Context, rc *runConfig, yield func(*Stream, error) bool) (broke bool, err error) {
	if err := checkInputNames(rc.inputs); err != nil {
		return false, err
	}
	h, err := app.resolveHalts(rc)
	if err != nil {
		return false, err
	}
	next, err := app.nextIndex(app.State())
	if err != nil {
		return false, err
	}
	app.endReason, app.lastRan, app.lastRes = GraphEnded, nil, nil
	for next >= 0 {
		if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
			return false, err
		}
		s, err := app.startStream(ctx, next, rc.inputs, MethodStreamIterate, false)
		app.endReason, app.lastRan = GraphEnded, app.graph.actions[next]
		if err != nil {
			return false, err
		}
		handle := newHandle(s)
		var cont bool
		func() {
			defer func() {
				if !cont {
					// The loop body broke out or panicked: abandon the stream.
					s.Close()
				}
			}()
			cont = yield(handle, nil)
		}()
		if !cont {
			app.endReason = Stopped
			return true, nil
		}
		var r Result
		r, _, err = s.Get()
		runtime.KeepAlive(handle) // no cleanup may close the stream while it drains here
		if handledBy(err) != nil {
			err = nil // an error transition goes on to its handler
		} else if err == nil || Committed(err) {
			app.lastRes = r
		}
		if err != nil {
			return false, err
		}
		ran := next
		if next, err = app.nextIndex(app.State()); err != nil {
			return false, err
		}
		if next >= 0 && h.before[next] {
			app.endReason, app.lastRan = HaltedBefore, app.graph.actions[next]
			return false, nil
		}
		if h.after[ran] {
			app.endReason = HaltedAfter
			return false, nil
		}
	}
	return false, nil
}
