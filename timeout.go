package burr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Timeout bounds each attempt of the action ([Retry]) to d: its context is
// cancelled after d with a [*TimeoutError] as the cause, and an attempt that
// fails after that fails with the *TimeoutError. For a streaming action the
// bound covers the whole step, items included; see [ItemTimeout] for the gap
// between items. A negative d is a build error naming the action; zero means
// no bound.
func Timeout(d time.Duration) ActionOption {
	return actionOptionFunc(func(a *Action) {
		if d < 0 {
			a.problems = append(a.problems, fmt.Sprintf("action %q: Timeout must not be negative (got %v)", a.name, d))
			return
		}
		a.control().timeout = d
	})
}

// ItemTimeout bounds the wait for each item of a streaming action — from the
// start to the first item, then from one item handed to the consumer to the
// next — to d, the same way [Timeout] bounds the whole attempt: the action's
// context is cancelled with a [*TimeoutError] whose BetweenItems is true. The
// consumer's own time between items is not counted. It is a build error on an
// action that does not stream, or with a negative d.
func ItemTimeout(d time.Duration) ActionOption {
	return actionOptionFunc(func(a *Action) {
		switch {
		case d < 0:
			a.problems = append(a.problems, fmt.Sprintf("action %q: ItemTimeout must not be negative (got %v)", a.name, d))
		case !a.Streaming():
			a.problems = append(a.problems, fmt.Sprintf("action %q: ItemTimeout needs a streaming action", a.name))
		default:
			a.control().itemTimeout = d
		}
	})
}

// TimeoutError is the error of an action that ran out of the time [Timeout]
// or [ItemTimeout] gave it. It matches context.DeadlineExceeded with
// errors.Is.
type TimeoutError struct {
	Action       string
	After        time.Duration
	BetweenItems bool // an ItemTimeout: no item came within After
}

func (e *TimeoutError) Error() string {
	if e.BetweenItems {
		return fmt.Sprintf("burr: action %q produced no item within %v", e.Action, e.After)
	}
	return fmt.Sprintf("burr: action %q timed out after %v", e.Action, e.After)
}

// Unwrap returns context.DeadlineExceeded.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// runAttempt runs one attempt of an action with a retry policy or timeouts:
// it applies the timeouts to ctx and yield, and reports a timeout that ended
// the attempt as the attempt's error.
func (c *execControl) runAttempt(ctx context.Context, a *Action, before State, in Inputs, yield Yield) (Result, State, error) {
	actx := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeoutCause(actx, c.timeout, &TimeoutError{Action: a.name, After: c.timeout})
		defer cancel()
	}
	if c.itemTimeout > 0 && yield != nil {
		var cancel context.CancelCauseFunc
		actx, cancel = context.WithCancelCause(actx)
		defer cancel(nil)
		gap := &TimeoutError{Action: a.name, After: c.itemTimeout, BetweenItems: true}
		t := time.AfterFunc(c.itemTimeout, func() { cancel(gap) })
		defer t.Stop()
		inner := yield
		yield = func(item any) bool {
			if !t.Stop() {
				return false // the gap timer fired: the attempt is over
			}
			ok := inner(item)
			t.Reset(c.itemTimeout)
			return ok
		}
	}
	r, after, err := a.run(actx, before, in, yield)
	if err != nil && actx != ctx && !done(ctx) {
		var te *TimeoutError
		if cause := context.Cause(actx); errors.As(cause, &te) {
			err = te
		}
	}
	return r, after, err
}
