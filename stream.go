package burr

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sync/atomic"
)

// Stream is the result of [Application.StreamResult]: the intermediate items of
// a streaming action as it produces them, then its final result and state.
//
// The action starts lazily, on the first Next, range or Get, and runs on the
// goroutine that consumes it: ranging over All starts no goroutine and hands
// each item straight from the action to the loop body. A Stream may be consumed
// from another goroutine than the one that created it, but by one goroutine at
// a time; Stop and Close may be called from any goroutine.
//
// Completion happens exactly once, whichever way the stream ends — drained,
// failed, closed, stopped, or its consumer panicked: the post-run-step hooks,
// the persister, the end-of-stream hooks and the end of the call each see one
// end. Until then the [Application] is busy: every Stream must be drained
// (range to the end or Get), stopped, or closed.
//
//	stream, err := app.StreamResult(ctx, burr.HaltAfter("chat"), burr.WithInputs(in))
//	if err != nil { … }
//	for item := range stream.All() {
//		fmt.Print(item)
//	}
//	result, state, err := stream.Get()
//
// A Stream read with Next that becomes unreachable before it ends is closed
// when the garbage collector finds it, so that a forgotten pull neither keeps
// its Application busy nor leaks the goroutine behind the pull; do not rely on
// it, it may take a while.
type Stream struct {
	c       *streamCore
	watched atomic.Bool // a cleanup closes the stream if the handle is collected
}

// newHandle wraps a stream for users.
func newHandle(c *streamCore) *Stream { return &Stream{c: c} }

// abandon closes a stream whose handle was collected. Closing resumes the
// action to let it wind down and runs the hooks and the persister, so it runs
// on a goroutine of its own: a cleanup must not block the runtime's.
func (s *streamCore) abandon() { go s.Close() }

// Action returns the action the stream belongs to: the action that was reached
// (for [Application.StreamResult] with several [HaltAfter] names, this tells
// which).
func (s *Stream) Action() *Action { return s.c.action }

// All returns an iterator over the items not yet consumed. Breaking out of the
// loop abandons the stream, as Close does. After the loop, call Get (or Err)
// for the final result or the error.
func (s *Stream) All() iter.Seq[any] {
	all := s.c.All()
	if !s.watched.Load() {
		return all
	}
	return func(yield func(any) bool) {
		all(yield)
		runtime.KeepAlive(s)
	}
}

// Next advances to the next item, starting the action if needed. It returns
// false when the stream has ended (read Err for why).
func (s *Stream) Next() bool {
	if !s.watched.Load() && s.watched.CompareAndSwap(false, true) {
		// Pulling starts a coroutine that only Close ends: close the stream
		// if its handle is forgotten. The range path needs no such care.
		runtime.AddCleanup(s, (*streamCore).abandon, s.c)
	}
	ok := s.c.Next()
	runtime.KeepAlive(s)
	return ok
}

// Item returns the item Next advanced to.
func (s *Stream) Item() any { return s.c.cur }

// Err returns the error the stream ended with, or nil (also while it runs).
// [ErrStreamClosed] means the consumer abandoned it.
func (s *Stream) Err() error { return s.c.Err() }

// Get drains the items not yet consumed and returns the action's final result
// and the application's state after the step. Every later call returns the
// same. If another goroutine is ranging over the stream, Get waits for it to
// end; calling Get from inside a range loop over the same stream would wait
// for itself, so call it after the loop. A stream consumed with Next has one
// consumer: from another goroutine, end it with Stop or Close.
func (s *Stream) Get() (Result, State, error) {
	r, st, err := s.c.Get()
	runtime.KeepAlive(s)
	return r, st, err
}

// Close abandons the stream: the action is told to stop (its yield returns
// false, [Stopping]'s channel closes and its context is cancelled), nothing is
// committed, and the hooks see [ErrStreamClosed]. Close is idempotent and does
// nothing once the stream has ended. It does not wait: when the stream is
// being consumed (by another goroutine, or by the caller's own range loop or
// Next, from a hook), the consumer's loop ends at the next item and the
// stream completes there; read the outcome with Get or Err.
func (s *Stream) Close() error { return s.c.Close() }

// Stop asks the action to finish early and commits what it has: its yield
// returns false, it returns its partial final result and state, and the step
// completes successfully with them — the "stop generating" button. When no
// other goroutine is consuming the stream, Stop drives it to the end and
// returns its error; otherwise the consumer's loop ends at the next item and
// Stop returns at once (the stream, and the [Application], finish when that
// consumer gets there). Close behaves the same way.
func (s *Stream) Stop() error {
	err := s.c.Stop()
	runtime.KeepAlive(s)
	return err
}

// Stopping returns a channel that is closed when the consumer of the stream
// that the action running with ctx feeds asks it to finish early
// (Stream.Stop) or abandons it (Stream.Close). An action usually notices
// through yield returning false; one that can wait a long time between items
// — for a model that has not produced its next token yet — selects on this
// channel too, stops waiting, and returns what it has. Outside a streamed step
// it returns nil, which never becomes ready.
func Stopping(ctx context.Context) <-chan struct{} {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok || sc.stream == nil {
		return nil
	}
	return sc.stream.stopping()
}

// StreamResult runs the application up to a streaming action and returns its
// [Stream]. [HaltAfter] names the action(s) to stream; earlier actions run
// first as ordinary steps (a streaming action among them runs fully, without
// stream hooks). Give HaltAfter, [HaltBefore] or both.
//
//   - Reaching a streaming action in HaltAfter returns its stream; the action
//     starts on the first Next, range or Get.
//   - Reaching a non-streaming action in HaltAfter runs it and returns an
//     empty stream whose Get returns that step's result and state.
//   - Halting before an action in HaltBefore returns that action with an
//     empty stream and no result.
//   - Running out of transitions first is an error wrapping ErrEndOfGraph that
//     names the last action.
//
// The [Application] stays busy until the stream completes.
func (app *Application) StreamResult(ctx context.Context, opts ...RunOption) (*Stream, error) {
	rc, err := newRunConfig(opts)
	if err != nil {
		return nil, err
	}
	if rc.haltAfter == nil && rc.haltBefore == nil {
		return nil, errors.New("burr: StreamResult needs HaltAfter (the action to stream) or HaltBefore")
	}
	if err := app.acquire(); err != nil {
		return nil, err
	}
	fail := func(err error) (*Stream, error) {
		err = app.postExec(ctx, MethodStreamResult, err)
		app.endLoop(err)
		app.release()
		return nil, err
	}
	if err := app.resume(ctx, rc.answer); err != nil {
		app.release()
		return nil, err
	}
	if err := app.preExec(ctx, MethodStreamResult); err != nil {
		return fail(err)
	}
	if err := checkInputNames(rc.inputs); err != nil {
		return fail(err)
	}
	h, err := app.resolveHalts(rc)
	if err != nil {
		return fail(err)
	}
	s, err := app.streamTo(ctx, h, rc.inputs, MethodStreamResult, true)
	if err != nil {
		return fail(err)
	}
	if s.pass {
		// A pass-through: the call ends here.
		s.err = app.postExec(ctx, MethodStreamResult, s.err)
		app.endLoop(s.err)
		app.release()
		if s.err != nil {
			return nil, s.err
		}
	}
	return newHandle(s), nil
}

// StreamIterate runs the application action by action, yielding a [Stream] for
// each: streaming actions stream, other actions give an empty stream whose Get
// returns their result. A stream the loop body did not finish is drained before
// the next action runs. It halts as Run does. An error ends the iteration after
// being yielded.
func (app *Application) StreamIterate(ctx context.Context, opts ...RunOption) iter.Seq2[*Stream, error] {
	rc, optErr := newRunConfig(opts)
	return func(yield func(*Stream, error) bool) {
		if optErr != nil {
			yield(nil, optErr)
			return
		}
		if err := app.acquire(); err != nil {
			yield(nil, err)
			return
		}
		defer app.release()
		if err := app.resume(ctx, rc.answer); err != nil {
			yield(nil, err)
			return
		}
		if err := app.preExec(ctx, MethodStreamIterate); err != nil {
			yield(nil, app.postExec(ctx, MethodStreamIterate, err))
			return
		}
		broke, err := app.streamIterate(ctx, rc, yield)
		err = app.postExec(ctx, MethodStreamIterate, err)
		app.endLoop(err)
		if err != nil && !broke {
			yield(nil, err)
		}
	}
}
