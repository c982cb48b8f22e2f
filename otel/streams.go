package burrotel

import (
	"context"
	"errors"

	"github.com/burrgo/burr"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// The outcomes of a stream ([KeyStreamOutcome]).
const (
	OutcomeCompleted = "completed"
	OutcomeStopped   = "stopped"
	OutcomeClosed    = "closed"
	OutcomeFailed    = "failed"
	// OutcomeInterrupted is the outcome of a stream whose action stopped to
	// ask a question ([burr.Ask]).
	OutcomeInterrupted = "interrupted"
)

// PreStartStream starts the stream's span under the step's.
func (h *Hooks) PreStartStream(ctx context.Context, e *burr.StreamStart) error {
	st := step(ctx, e.AppContext)
	if st == nil {
		return nil
	}
	_, st.stream = h.tracer.Start(trace.ContextWithSpan(ctx, st.span), "burr.stream",
		trace.WithTimestamp(e.Time),
		trace.WithAttributes(KeyAction.String(e.Action.Name()), KeySequenceID.Int(e.SequenceID)))
	h.streams.Store(st.key, st)
	return nil
}

// PostStreamItem marks the first item on the stream's span.
func (h *Hooks) PostStreamItem(ctx context.Context, e *burr.StreamItem) error {
	if e.Index != 0 {
		return nil
	}
	st := step(ctx, e.AppContext)
	if st == nil || st.stream == nil {
		return nil
	}
	ttfi := attribute.Float64(string(KeyTimeToFirstItem), float64(e.FirstItemTime.Sub(e.StreamStart).Microseconds())/1000)
	st.stream.AddEvent(EventFirstItem, trace.WithTimestamp(e.FirstItemTime), trace.WithAttributes(ttfi))
	st.stream.SetAttributes(ttfi)
	return nil
}

// PostEndStream ends the stream's span with its item count and outcome.
func (h *Hooks) PostEndStream(ctx context.Context, e *burr.StreamEnd) error {
	v, ok := h.streams.LoadAndDelete(ctxKey(e.AppContext))
	if !ok {
		return nil
	}
	span := v.(*stepSpan).stream
	span.SetAttributes(KeyStreamItems.Int(e.Items), KeyStreamOutcome.String(outcome(e)))
	if e.Err != nil && !errors.Is(e.Err, burr.ErrStreamClosed) {
		setErr(span, e.Err) // an interrupt is no error
	}
	span.End(trace.WithTimestamp(e.Time))
	return nil
}

func outcome(e *burr.StreamEnd) string {
	switch {
	case e.Err == nil && e.Stopped:
		return OutcomeStopped
	case e.Err == nil:
		return OutcomeCompleted
	case errors.Is(e.Err, burr.ErrStreamClosed):
		return OutcomeClosed
	case errors.As(e.Err, new(*burr.Interrupt)):
		return OutcomeInterrupted
	default:
		return OutcomeFailed
	}
}
