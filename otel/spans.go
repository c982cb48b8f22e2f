package burrotel

import (
	"context"

	"github.com/burrgo/burr"
	"go.opentelemetry.io/otel/trace"
)

// PreStartSpan starts the OpenTelemetry span of a span an action opened with
// [burr.StartSpan], under its parent span or the step's. A span the action
// leaves open ends with its step.
func (h *Hooks) PreStartSpan(ctx context.Context, s *burr.Span) error {
	if fromProcessor(ctx) {
		return nil // an OpenTelemetry span already: the processor made it Burr's
	}
	st := step(ctx, s.AppContext)
	if st == nil {
		return nil
	}
	parent := st.span
	if s.ParentID != "" {
		if sp, ok := st.openSpan(s.ParentID); ok {
			parent = sp
		}
	}
	opts := []trace.SpanStartOption{
		trace.WithTimestamp(s.StartTime),
		trace.WithAttributes(KeySpanID.String(s.ID), KeyAction.String(s.Action.Name())),
	}
	if len(s.Dependencies) > 0 {
		opts = append(opts, trace.WithAttributes(KeyDependencies.StringSlice(s.Dependencies)))
	}
	_, span := h.tracer.Start(trace.ContextWithSpan(ctx, parent), s.Name, opts...)
	st.mu.Lock()
	if st.spans == nil {
		st.spans = map[string]trace.Span{}
	}
	st.spans[s.ID] = span
	st.mu.Unlock()
	return nil
}

// SpanContext implements [burr.SpanContextHook]: the context a span's work
// runs with carries its OpenTelemetry span, so that instrumented code nests
// under it.
func (h *Hooks) SpanContext(ctx context.Context, s *burr.Span) context.Context {
	if st := step(ctx, s.AppContext); st != nil {
		if sp, ok := st.openSpan(s.ID); ok {
			return trace.ContextWithSpan(ctx, sp)
		}
	}
	return ctx
}

// PostEndSpan ends the span.
func (h *Hooks) PostEndSpan(ctx context.Context, s *burr.Span) error {
	st := step(ctx, s.AppContext)
	if st == nil {
		return nil
	}
	st.mu.Lock()
	sp, ok := st.spans[s.ID]
	delete(st.spans, s.ID)
	st.mu.Unlock()
	if ok {
		sp.End(trace.WithTimestamp(s.EndTime))
	}
	return nil
}
