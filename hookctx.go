package burr

import "context"

// StepContextHook is implemented by a hook that carries a value of its own in
// the context a step's action runs with: an OpenTelemetry bridge puts the
// step's span there, so that spans opened by instrumented code inside the
// action, and the child applications the action runs, nest under the step.
//
// StepContext is called once per step, before the pre-run-step hooks, with
// the caller's context and the step's [StepStart]; it returns ctx or a context
// derived from it (cancelling ctx must still cancel what it returns). The
// action, the step's later hooks and the children it runs see that context
// through the step's own. A hook that panics leaves ctx as it was.
type StepContextHook interface {
	StepContext(ctx context.Context, e *StepStart) context.Context
}

// SpanContextHook is implemented by a hook that carries a value of its own in
// the context [StartSpan] returns, as [StepContextHook] does for steps. It is
// called after the pre-start-span hooks with the context StartSpan was given
// and the new span, and returns ctx or a context derived from it.
type SpanContextHook interface {
	SpanContext(ctx context.Context, s *Span) context.Context
}

// stepCtx gives the step's context hooks their turn: sc's context becomes
// what they return.
func (app *Application) stepCtx(sc *stepContext, e *StepStart) {
	for _, h := range app.hooks.stepCtx {
		in := sc.Context
		out := in
		if safeCall(func() error { out = h.StepContext(in, e); return nil }) != nil || out == nil {
			out = in
		}
		sc.Context = out
	}
}

// spanCtx gives the span context hooks their turn.
func spanCtx(hooks []SpanContextHook, ctx context.Context, s *Span) context.Context {
	for _, h := range hooks {
		in := ctx
		if safeCall(func() error { ctx = h.SpanContext(in, s); return nil }) != nil || ctx == nil {
			ctx = in
		}
	}
	return ctx
}
