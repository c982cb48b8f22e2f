package burr

import (
	"context"
	"fmt"
	"time"
)

// Hooks observe an application's lifecycle. Each hook is a one-method
// interface; a value may implement any number of them and is registered with
// WithHooks. At New the application sorts its hooks into one list per kind, so
// an application without hooks pays nothing and a per-item hook is one direct
// interface call.
//
// Order. Hooks of one kind are called in registration order. For one call:
//
//	PreRunExecuteCall
//	  PreRunStep, [spans and attributes from the action], PostRunStep   (per step)
//	  PreRunStep, PreStartStream, PostStreamItem × N, PostRunStep, PostEndStream  (a streamed step)
//	PostRunExecuteCall
//
// Outcome of a step. A step's outcome is decided before its post-run-step
// hooks run, and every party records that same outcome:
//
//  1. the outcome: the action's result and new state, or a failure — the
//     action's error, a pre-run-step or pre-start-stream hook's error (the
//     action then does not run), a post-stream-item hook's error, a
//     cancellation;
//  2. the persister ([WithPersister]) saves it first: completed with the new
//     state, or failed with the state before the step. A save that fails
//     turns the outcome into a failure (with the save's error);
//  3. every post-run-step hook sees that final outcome (StepEnd.Err, State,
//     Result) — the tracker among them, so its log agrees with the store;
//  4. the application commits it: the new state, or the state before the
//     step (the failed step's sequence id is spent).
//
// So after any failure of a hook or a save, the application's state, the
// persisted record and the tracked log agree. A failed step is returned as an
// [*ActionError] naming the action and the sequence id. A pre hook that fails
// still gets its step's post-run-step hooks called (a failed step), so that
// begin and end stay paired in every hook, as they are in the tracker's log.
//
// Errors after the outcome. A post-run-step, post-end-stream or
// post-run-execute-call hook's error never changes the outcome: the step is
// committed as decided, and the error is returned to the caller as a
// [*HookError] beside the step's result ([Committed] reports true for it).
// Run stops there; Iterate yields the committed step with that error.
//
// Every hook of a kind is still called when one fails; their errors are
// joined, and a panic in a hook is recovered into a [*PanicError]. Errors
// from span and attribute hooks are ignored: they cannot fail the action that
// opened the span. A failing post-application-create hook fails [New].
// Hooks must not keep the event pointer after they return: the framework may
// reuse it.

// ExecuteMethod names the public Application method a call came through.
type ExecuteMethod string

// The methods reported to execute-call hooks.
const (
	MethodStep          ExecuteMethod = "step"
	MethodIterate       ExecuteMethod = "iterate"
	MethodRun           ExecuteMethod = "run"
	MethodStreamResult  ExecuteMethod = "stream_result"
	MethodStreamIterate ExecuteMethod = "stream_iterate"
)

// ApplicationCreated is passed to [PostApplicationCreateHook].
type ApplicationCreated struct {
	AppRef
	State          State
	Graph          *Graph
	Entrypoint     string
	Parent         *StepRef // the step this application was forked from, or nil
	SpawningParent *StepRef // the step of the application that started this one, or nil
}

// PostApplicationCreateHook is called once when an [Application] is created.
type PostApplicationCreateHook interface {
	PostApplicationCreate(ctx context.Context, e *ApplicationCreated) error
}

// ExecuteCall is passed to the execute-call hooks.
type ExecuteCall struct {
	AppRef
	Method ExecuteMethod
	State  State
	Err    error // set for PostRunExecuteCall when the call failed
}

// PreRunExecuteCallHook is called when a public call ([Application.Step],
// [Application.Run], [Application.Iterate], [Application.StreamResult],
// [Application.StreamIterate]) starts.
type PreRunExecuteCallHook interface {
	PreRunExecuteCall(ctx context.Context, e *ExecuteCall) error
}

// PostRunExecuteCallHook is called when that call really ends: for Iterate and
// StreamIterate when the iteration ends, for StreamResult when the stream
// completes. It receives the call's error.
type PostRunExecuteCallHook interface {
	PostRunExecuteCall(ctx context.Context, e *ExecuteCall) error
}

// StepStart is passed to [PreRunStepHook].
type StepStart struct {
	AppContext
	State  State  // the state before the step
	Inputs Inputs // the declared inputs the action receives
	Time   time.Time
}

// PreRunStepHook is called before an action runs, after its inputs have been
// checked.
type PreRunStepHook interface {
	PreRunStep(ctx context.Context, e *StepStart) error
}

// StepEnd is passed to [PostRunStepHook].
type StepEnd struct {
	AppContext
	// State is the state after the step, or the state before it (with the new
	// sequence id) when the step failed: what the persister saved and what
	// the application commits.
	State  State
	Result Result // nil when the step failed
	Err    error
	Start  time.Time
	Time   time.Time
	// Attempt is how many times the action ran in this step: 1, or more
	// under a [RetryPolicy] (the earlier attempts failed).
	Attempt int
}

// PostRunStepHook is called after a step's outcome is decided and saved,
// before it is committed: once per step, successful or not (see "Outcome of a
// step" above). Its error is reported as a [*HookError] and does not change
// the outcome.
type PostRunStepHook interface {
	PostRunStep(ctx context.Context, e *StepEnd) error
}

// StreamStart is passed to [PreStartStreamHook].
type StreamStart struct {
	AppContext
	Time time.Time // when the stream was set up
}

// PreStartStreamHook is called when a streamed step is set up.
type PreStartStreamHook interface {
	PreStartStream(ctx context.Context, e *StreamStart) error
}

// StreamItem is passed to [PostStreamItemHook]. The event is reused for every
// item of a stream: read it during the call, do not keep it.
type StreamItem struct {
	AppContext
	Item          any
	Index         int       // 0-based
	StreamStart   time.Time // when the stream was set up
	FirstItemTime time.Time // when the first item was produced
}

// PostStreamItemHook is called for every streamed item, just before the item
// reaches the consumer.
type PostStreamItemHook interface {
	PostStreamItem(ctx context.Context, e *StreamItem) error
}

// StreamEnd is passed to [PostEndStreamHook].
type StreamEnd struct {
	AppContext
	Items int   // how many items were streamed
	Err   error // why the stream ended early, or nil
	Time  time.Time
}

// PostEndStreamHook is called once when a streamed step ends, however it ends.
type PostEndStreamHook interface {
	PostEndStream(ctx context.Context, e *StreamEnd) error
}

// PreStartSpanHook is called when a span starts ([StartSpan]).
type PreStartSpanHook interface {
	PreStartSpan(ctx context.Context, s *Span) error
}

// PostEndSpanHook is called when a span ends ([Span.End]).
type PostEndSpanHook interface {
	PostEndSpan(ctx context.Context, s *Span) error
}

// DoLogAttributesHook is called when an action logs attributes
// ([LogAttributes]).
type DoLogAttributesHook interface {
	DoLogAttributes(ctx context.Context, a *Attributes) error
}

// hookSet holds one dispatch list per hook kind, built once at New.
type hookSet struct {
	postCreate []PostApplicationCreateHook
	preExec    []PreRunExecuteCallHook
	postExec   []PostRunExecuteCallHook
	preStep    []PreRunStepHook
	postStep   []PostRunStepHook
	preStream  []PreStartStreamHook
	item       []PostStreamItemHook
	endStream  []PostEndStreamHook
	preSpan    []PreStartSpanHook
	postSpan   []PostEndSpanHook
	attrs      []DoLogAttributesHook
	attempt    []FailedAttemptHook
}

func (h *hookSet) add(v any) error {
	n := 0
	if x, ok := v.(PostApplicationCreateHook); ok {
		h.postCreate = append(h.postCreate, x)
		n++
	}
	if x, ok := v.(PreRunExecuteCallHook); ok {
		h.preExec = append(h.preExec, x)
		n++
	}
	if x, ok := v.(PostRunExecuteCallHook); ok {
		h.postExec = append(h.postExec, x)
		n++
	}
	if x, ok := v.(PreRunStepHook); ok {
		h.preStep = append(h.preStep, x)
		n++
	}
	if x, ok := v.(PostRunStepHook); ok {
		h.postStep = append(h.postStep, x)
		n++
	}
	if x, ok := v.(PreStartStreamHook); ok {
		h.preStream = append(h.preStream, x)
		n++
	}
	if x, ok := v.(PostStreamItemHook); ok {
		h.item = append(h.item, x)
		n++
	}
	if x, ok := v.(PostEndStreamHook); ok {
		h.endStream = append(h.endStream, x)
		n++
	}
	if x, ok := v.(PreStartSpanHook); ok {
		h.preSpan = append(h.preSpan, x)
		n++
	}
	if x, ok := v.(PostEndSpanHook); ok {
		h.postSpan = append(h.postSpan, x)
		n++
	}
	if x, ok := v.(DoLogAttributesHook); ok {
		h.attrs = append(h.attrs, x)
		n++
	}
	if x, ok := v.(FailedAttemptHook); ok {
		h.attempt = append(h.attempt, x)
		n++
	}
	if n == 0 {
		return fmt.Errorf("burr: WithHooks: %T implements no hook interface", v)
	}
	return nil
}

// callHooks calls fn for every hook in list, recovering panics, and joins the
// errors.
func callHooks[H any, E any](ctx context.Context, list []H, e E, fn func(H, context.Context, E) error) error {
	var errs []error
	for _, h := range list {
		if err := safeCall(func() error { return fn(h, ctx, e) }); err != nil {
			errs = append(errs, fmt.Errorf("hook %T: %w", h, err))
		}
	}
	return joinErrs(errs)
}
