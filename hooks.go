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
// Errors and panics. A hook's error (or a panic in a hook, recovered and turned
// into a *PanicError) fails the step or call it belongs to, exactly as if the
// action had failed at that point: the error is returned to the caller and the
// application's state is not advanced. Every hook of a kind is still called, so
// pre and post hooks stay paired; their errors are joined. A failing
// PostRunStep hook therefore turns a successful step into a failed one, and
// later PostRunStep hooks (the persister runs last) see that error. A failing
// PostEndStream or PostRunExecuteCall hook is reported in the call's error,
// but the step it follows is already committed. Errors
// from span and attribute hooks are ignored: they cannot fail the action that
// opened the span. Hooks must not keep the event pointer after they return:
// the framework may reuse it.

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
	// sequence id) when the step failed.
	State  State
	Result Result // nil when the step failed
	Err    error
	Start  time.Time
	Time   time.Time
}

// PostRunStepHook is called after an action ran, successfully or not, before
// the new state is committed.
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
