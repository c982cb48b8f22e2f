package burr

import (
	"context"
	"fmt"
	"time"
)

// The hooks are documented in the package documentation (# Hooks): what
// each event holds, in which order they are called, how their errors count.

// ExecuteMethod names the public [Application] method a call came through.
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
// [Application.StreamIterate] when the iteration ends, for
// [Application.StreamResult] when the stream completes. It receives the call's
// error.
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
	// Stopped reports that the consumer asked the action to finish early
	// ([Stream.Stop]) and the step completed with what it had.
	Stopped bool
	Time    time.Time
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
	stepCtx    []StepContextHook
	spanCtx    []SpanContextHook
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
	if x, ok := v.(StepContextHook); ok {
		h.stepCtx = append(h.stepCtx, x)
		n++
	}
	if x, ok := v.(SpanContextHook); ok {
		h.spanCtx = append(h.spanCtx, x)
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
