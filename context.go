package burr

import (
	"context"
	"sync"
	"sync/atomic"
)

// AppContext names the step an action is running in: the application, the
// sequence id and the action. It is the header of every step-level hook event
// ([StepStart], [StepEnd], [StreamStart], [StreamItem], [StreamEnd], [Span],
// [Attributes]), and what [FromContext] returns to the action itself.
type AppContext struct {
	StepRef
	Action *Action // never nil inside a step
}

type appCtxKey struct{}
type spanKey struct{}

// stepContext is the context an action runs with: the caller's context plus
// the step's identity and span bookkeeping, in one allocation per step.
type stepContext struct {
	context.Context
	app    *Application
	seq    int
	action *Action

	attempt int          // 1-based, the attempt of the action running
	handled *ActionError // the failure an error transition routed here, or nil
	answer  *answer      // the answer to the question this action asked, on resume
	// asked is the sequence id of the interrupted step this one resumes
	// (when answer is set): its children keep their app ids, and so resume
	// where they asked.
	asked int

	state  State       // the state the step committed; app.state points here
	stream *streamCore // the stream the step feeds, if it streams

	mu       sync.Mutex // guards topSpans when spans start on several goroutines
	topSpans int
	children atomic.Int64 // child indices handed out (RunChild, RunChildren)
}

func (c *stepContext) Value(key any) any {
	switch key {
	case appCtxKey{}:
		return c
	case spanKey{}:
		// Spans do not cross applications: a child application started
		// inside a span of its parent opens its own top-level spans.
		return nil
	}
	return c.Context.Value(key)
}

// appContext returns the step's header for events.
func (c *stepContext) appContext() AppContext {
	return AppContext{StepRef: c.app.ref.At(c.seq), Action: c.action}
}

// FromContext returns the step running with ctx: its application, sequence
// id and action. It reports false outside a step. A sub-application started
// by the action passes the [StepRef] to [WithSpawningParent].
func FromContext(ctx context.Context) (AppContext, bool) {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok {
		return AppContext{}, false
	}
	return sc.appContext(), true
}
