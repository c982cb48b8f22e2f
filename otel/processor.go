package burrotel

import (
	"context"
	"sync"

	"github.com/burrgo/burr"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// SpanProcessor is an OpenTelemetry SDK span processor that records the
// spans OpenTelemetry-instrumented code starts inside a Burr step as Burr
// spans of that step: each goes through the application's span and attribute
// hooks (the tracking package's tracker writes it to the run's log, so
// `burr ui` shows it), nested as the OpenTelemetry spans nest, with their
// attributes logged when they end. Spans started outside a step, and the
// spans [Hooks] emit, are left alone.
//
// Register it with the TracerProvider the instrumented code uses (usually the
// global one):
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(burrotel.NewSpanProcessor()))
//	otel.SetTracerProvider(tp)
//
// A span is only seen when it is started with a context that descends from
// the action's (or from a [burr.StartSpan] context inside it), and when the
// application has a span or attribute hook (a tracker). The processor exports
// nothing itself; the same TracerProvider may also export to a collector.
type SpanProcessor struct {
	mu   sync.Mutex
	open map[trace.SpanID]openSpan
}

type openSpan struct {
	ctx  context.Context // the context burr.StartSpan returned
	span *burr.Span
}

// processorKey marks the contexts of the Burr spans the processor opens, so
// that [Hooks] does not export them a second time.
type processorKey struct{}

func fromProcessor(ctx context.Context) bool {
	return ctx.Value(processorKey{}) != nil
}

// NewSpanProcessor returns a processor that writes OpenTelemetry spans into
// the Burr step they are started in.
func NewSpanProcessor() *SpanProcessor {
	return &SpanProcessor{open: map[trace.SpanID]openSpan{}}
}

// OnStart opens the Burr span of s when s is started inside a step: under
// the Burr span of its OpenTelemetry parent, if the processor opened one, or
// else under the span or step of parent.
func (p *SpanProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if s.InstrumentationScope().Name == ScopeName {
		return
	}
	base := parent
	p.mu.Lock()
	o, ok := p.open[s.Parent().SpanID()]
	p.mu.Unlock()
	if ok && s.Parent().IsValid() {
		base = o.ctx
	} else if _, inStep := burr.FromContext(parent); !inStep {
		return
	}
	ctx, span := burr.StartSpan(context.WithValue(base, processorKey{}, true), s.Name())
	if span == nil {
		return // no hook listens to spans
	}
	p.mu.Lock()
	p.open[s.SpanContext().SpanID()] = openSpan{ctx: ctx, span: span}
	p.mu.Unlock()
}

// OnEnd logs the attributes of s, with its status when it failed, on its Burr
// span, and ends that span.
func (p *SpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	p.mu.Lock()
	o, ok := p.open[s.SpanContext().SpanID()]
	delete(p.open, s.SpanContext().SpanID())
	p.mu.Unlock()
	if !ok {
		return
	}
	attrs := s.Attributes()
	kv := make([]any, 0, 2*len(attrs)+4)
	for _, a := range attrs {
		kv = append(kv, string(a.Key), a.Value.AsInterface())
	}
	if st := s.Status(); st.Code == codes.Error {
		kv = append(kv, "otel.status_code", "ERROR", "otel.status_description", st.Description)
	}
	if len(kv) > 0 {
		burr.LogAttributes(o.ctx, kv...)
	}
	o.span.End()
}

// Shutdown forgets the spans still open.
func (p *SpanProcessor) Shutdown(context.Context) error {
	p.mu.Lock()
	clear(p.open)
	p.mu.Unlock()
	return nil
}

// ForceFlush does nothing: the processor holds nothing to export.
func (p *SpanProcessor) ForceFlush(context.Context) error { return nil }
