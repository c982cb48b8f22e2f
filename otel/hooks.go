package burrotel

import (
	"context"
	"errors"
	"sync"

	"github.com/burrgo/burr"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans [Hooks] emit. The
// [SpanProcessor] leaves spans of this scope alone: they already are Burr's.
const ScopeName = "github.com/burrgo/burr/otel"

// Attribute keys the hooks set on their spans.
const (
	KeyAppID        = attribute.Key("burr.app_id")
	KeyPartitionKey = attribute.Key("burr.partition_key")
	KeyMethod       = attribute.Key("burr.method")
	KeyAction       = attribute.Key("burr.action")
	KeySequenceID   = attribute.Key("burr.sequence_id")
	KeySpanID       = attribute.Key("burr.span_id")
	KeyAttempt      = attribute.Key("burr.attempt")
	// KeyInterrupted is true on the spans of a step, and of its call, that
	// stopped to ask a question ([burr.Ask]); their status stays unset.
	KeyInterrupted = attribute.Key("burr.interrupted")
	// KeyDependencies lists the dependencies given to [burr.StartSpan].
	KeyDependencies = attribute.Key("burr.span.dependencies")
	KeyStreamItems  = attribute.Key("burr.stream.items")
	// KeyStreamOutcome is "completed", "stopped" (the consumer stopped it
	// early and the step kept what it had), "closed" (the consumer abandoned
	// it), "interrupted" (the action asked a question, [burr.Ask]) or
	// "failed".
	KeyStreamOutcome = attribute.Key("burr.stream.outcome")
	// KeyTimeToFirstItem is the time from the stream's setup to its first
	// item, in milliseconds.
	KeyTimeToFirstItem = attribute.Key("burr.stream.time_to_first_item_ms")
)

// EventFirstItem is the name of the event set on a stream's span when its
// first item is produced.
const EventFirstItem = "first_item"

// Hooks turns an application's calls, steps, streams and spans into
// OpenTelemetry spans. Register it with [burr.WithHooks]; one value may serve
// any number of applications at once (each running application of a process
// with its own partition key and app id, as persisters require), and it
// passes on to their children. Create it with [New].
type Hooks struct {
	tracer trace.Tracer

	calls   sync.Map // appKey → *call: the running call of each application
	streams sync.Map // stepKey → *stepSpan: streamed steps until their stream ends
}

type appKey struct{ partition, app string }

type stepKey struct {
	appKey
	seq int
}

// call is a running call of an application: its span, and the call's
// context holding it, under which its steps' spans start.
type call struct {
	span trace.Span
	ctx  context.Context
}

// stepSpan is what the step's context carries.
type stepSpan struct {
	key    stepKey
	span   trace.Span
	stream trace.Span // the stream's span, for a streamed step

	mu    sync.Mutex            // spans may start on several goroutines
	spans map[string]trace.Span // by Burr span id: spans opened with burr.StartSpan, until they end
}

// openSpan returns the span of id, if it is open.
func (st *stepSpan) openSpan(id string) (trace.Span, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp, ok := st.spans[id]
	return sp, ok
}

type stepCtxKey struct{}

// New returns hooks that emit spans through tp's tracer for [ScopeName]. Pass
// the SDK's TracerProvider, or otel.GetTracerProvider() for the global one.
func New(tp trace.TracerProvider) *Hooks {
	return &Hooks{tracer: tp.Tracer(ScopeName)}
}

func refKey(r burr.AppRef) appKey { return appKey{partition: r.PartitionKey, app: r.AppID} }

func ctxKey(c burr.AppContext) stepKey {
	return stepKey{appKey: refKey(c.AppRef), seq: c.SequenceID}
}

// ForChild implements [burr.Inheritable]: the child applications of a step
// report to the same tracer, under the step's span.
func (h *Hooks) ForChild() any { return h }

// PreRunExecuteCall starts the call's span, under the span in ctx if any.
func (h *Hooks) PreRunExecuteCall(ctx context.Context, e *burr.ExecuteCall) error {
	attrs := []attribute.KeyValue{KeyAppID.String(e.AppID), KeyMethod.String(string(e.Method))}
	if e.PartitionKey != "" {
		attrs = append(attrs, KeyPartitionKey.String(e.PartitionKey))
	}
	cctx, span := h.tracer.Start(ctx, "burr."+string(e.Method), trace.WithAttributes(attrs...))
	h.calls.Store(refKey(e.AppRef), &call{span: span, ctx: cctx})
	return nil
}

// PostRunExecuteCall ends the call's span, with the call's error.
func (h *Hooks) PostRunExecuteCall(ctx context.Context, e *burr.ExecuteCall) error {
	v, ok := h.calls.LoadAndDelete(refKey(e.AppRef))
	if !ok {
		return nil
	}
	span := v.(*call).span
	setErr(span, e.Err)
	span.End()
	return nil
}

// StepContext implements [burr.StepContextHook]: it starts the step's span,
// under the call's, and returns ctx carrying it.
func (h *Hooks) StepContext(ctx context.Context, e *burr.StepStart) context.Context {
	k := ctxKey(e.AppContext)
	parent := ctx
	if v, ok := h.calls.Load(k.appKey); ok {
		parent = v.(*call).ctx
	}
	name := e.Action.Name()
	_, span := h.tracer.Start(parent, name, trace.WithAttributes(KeyAction.String(name), KeySequenceID.Int(e.SequenceID)))
	return &stepContext{Context: trace.ContextWithSpan(ctx, span), step: stepSpan{key: k, span: span}}
}

// stepContext carries the step's span for the hooks, and (through its parent)
// for OpenTelemetry.
type stepContext struct {
	context.Context
	step stepSpan
}

func (c *stepContext) Value(key any) any {
	if key == (stepCtxKey{}) {
		return &c.step
	}
	return c.Context.Value(key)
}

// step returns the span of the step c names from ctx.
func step(ctx context.Context, c burr.AppContext) *stepSpan {
	st, ok := ctx.Value(stepCtxKey{}).(*stepSpan)
	if !ok || st.key != ctxKey(c) {
		return nil
	}
	return st
}

// PostRunStep ends the step's span with the step's outcome.
func (h *Hooks) PostRunStep(ctx context.Context, e *burr.StepEnd) error {
	st := step(ctx, e.AppContext)
	if st == nil {
		return nil
	}
	if e.Attempt > 1 {
		st.span.SetAttributes(KeyAttempt.Int(e.Attempt))
	}
	// Spans the action left open end with their step.
	st.mu.Lock()
	for id, sp := range st.spans {
		sp.End()
		delete(st.spans, id)
	}
	st.mu.Unlock()
	setErr(st.span, e.Err)
	st.span.End()
	return nil
}

// DoLogAttributes sets the attributes on the span they were logged on.
func (h *Hooks) DoLogAttributes(ctx context.Context, a *burr.Attributes) error {
	if fromProcessor(ctx) {
		return nil
	}
	st := step(ctx, a.AppContext)
	if st == nil {
		return nil
	}
	span := st.span
	if a.SpanID != "" {
		var ok bool
		if span, ok = st.openSpan(a.SpanID); !ok {
			return nil
		}
	}
	span.SetAttributes(convertAttrs(a.Attributes)...)
	return nil
}

// setErr records a call's or step's error on its span. A step that stopped
// to ask a question ([burr.Ask]) did not fail: its span is marked
// [KeyInterrupted] instead.
func setErr(span trace.Span, err error) {
	if err == nil {
		return
	}
	var intr *burr.Interrupt
	if errors.As(err, &intr) {
		span.SetAttributes(KeyInterrupted.Bool(true))
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
