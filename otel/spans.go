package burrotel

import (
	"context"

	"github.com/burrgo/burr"
	"go.opentelemetry.io/otel/trace"
)

// PreStartSpan starts the OpenTelemetry span of a span an action opened with
// [burr.StartSpan], under its parent span or the step's.
func (h *Hooks) PreStartSpan(ctx context.Context, s *burr.Span) error {
	if fromProcessor(ctx) {
		return nil // an OpenTelemetry span already: the processor made it Burr's
	}
	app := refKey(s.AppRef)
	parent := ctx
	if s.ParentID != "" {
		if v, ok := h.spans.Load(spanKey{appKey: app, id: s.ParentID}); ok {
			parent = trace.ContextWithSpan(ctx, v.(trace.Span))
		}
	} else if st := step(ctx, s.AppContext); st != nil {
		parent = trace.ContextWithSpan(ctx, st.span)
	}
	opts := []trace.SpanStartOption{
		trace.WithTimestamp(s.StartTime),
		trace.WithAttributes(KeySpanID.String(s.ID), KeyAction.String(s.Action.Name())),
	}
	if len(s.Dependencies) > 0 {
		opts = append(opts, trace.WithAttributes(KeyDependencies.StringSlice(s.Dependencies)))
	}
	_, span := h.tracer.Start(parent, s.Name, opts...)
	h.spans.Store(spanKey{appKey: app, id: s.ID}, span)
	return nil
}

// SpanContext implements [burr.SpanContextHook]: the context a span's work
// runs with carries its OpenTelemetry span, so that instrumented code nests
// under it.
func (h *Hooks) SpanContext(ctx context.Context, s *burr.Span) context.Context {
	if v, ok := h.spans.Load(spanKey{appKey: refKey(s.AppRef), id: s.ID}); ok {
		return trace.ContextWithSpan(ctx, v.(trace.Span))
	}
	return ctx
}

// PostEndSpan ends the span.
func (h *Hooks) PostEndSpan(ctx context.Context, s *burr.Span) error {
	v, ok := h.spans.LoadAndDelete(spanKey{appKey: refKey(s.AppRef), id: s.ID})
	if !ok {
		return nil
	}
	v.(trace.Span).End(trace.WithTimestamp(s.EndTime))
	return nil
}
