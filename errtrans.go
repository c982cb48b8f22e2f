package burr

import (
	"context"
	"errors"
)

// OnError returns an error transition: when a source action fails with an
// error that any of match accepts (every error, with no match), the graph
// moves on to target, the handler, instead of ending the call with the
// error. [ErrorIs] and [ErrorAs] build the usual matchers:
//
//	burr.From("call_tool").OnError("explain_failure", burr.ErrorIs(ErrToolDown))
//
// The failed step is recorded as failed, as any failed step (the persister
// saves a failed record, the tracker an end_entry with the error); the
// handler runs as the next step and reads the error with [HandledError].
// Error transitions are tried in declaration order, before nothing else:
// ordinary transitions only follow steps that succeeded. These failures are
// never routed: the caller's context ending, a stream the consumer closed,
// an [*Interrupt], a hook's error, a failed save. A handler that is not an
// action of the graph is a build error naming it.
//
// A routed error lives in the Application's memory until the handler runs:
// an application reloaded from its persister in between resumes as after
// any failed step (with ResumeAtNextAction, the failed action runs again).
func (s Sources) OnError(target string, match ...func(error) bool) Transition {
	m := func(error) bool { return true }
	if len(match) > 0 {
		m = func(err error) bool {
			for _, f := range match {
				if f != nil && f(err) {
					return true
				}
			}
			return false
		}
	}
	return Transition{From: append([]string(nil), s...), To: target, Condition: errorCondition, OnError: m}
}

// ErrorIs matches errors that errors.Is finds target in.
func ErrorIs(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// ErrorAs matches errors holding an error of type E (errors.As).
func ErrorAs[E error]() func(error) bool {
	return func(err error) bool {
		var target E
		return errors.As(err, &target)
	}
}

// errorCondition names error transitions in graph exports ("error"); it
// never holds for ordinary routing.
var errorCondition = Predicate("error", nil, func(State) bool { return false })

type errEdge struct {
	to    int
	match func(error) bool
}

// routed is a failed step that an error transition handed to its handler.
type routed struct {
	to  int
	err *ActionError
}

// HandledError returns the failure that led to the step running with ctx,
// when an error transition ([Sources.OnError]) chose it: the failed action's
// name, sequence id and error. It reports false otherwise.
func HandledError(ctx context.Context) (*ActionError, bool) {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok || sc.handled == nil {
		return nil, false
	}
	return sc.handled, true
}

// route looks for an error transition from the action at index i taking
// err, the failure of its step (ctx is the caller's context). It returns the
// handler's index, or -1.
func (app *Application) route(ctx context.Context, i int, err error) int {
	edges := app.graph.onErr[i]
	if len(edges) == 0 || done(ctx) || errors.Is(err, ErrStreamClosed) {
		return -1
	}
	var ie *Interrupt
	var he *HookError
	if errors.As(err, &ie) || errors.As(err, &he) {
		return -1
	}
	for _, e := range edges {
		if e.match(err) {
			return e.to
		}
	}
	return -1
}

// handledBy returns the failure in err that an error transition took over,
// or nil: err is then the call's error.
func handledBy(err error) *ActionError {
	if ae, ok := err.(*ActionError); ok && ae.HandledBy != "" {
		return ae
	}
	return nil
}
