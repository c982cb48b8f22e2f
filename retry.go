package burr

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// RetryPolicy says how often and when a failed action runs again ([Retry]).
//
// A failed attempt changes nothing: the next attempt starts from the same
// state and the same inputs, under the same sequence id, and the step ends
// once (one end_entry, one saved record) with the last attempt's outcome. A
// panic in the action is the attempt's error, a [*PanicError], and is
// retried only when If accepts it, in a step as in a stream. A streaming
// action is retried only while none of its items has reached the consumer
// (a panic in the consumer or in an item hook is never retried). These
// errors are never retried, whatever If says: the caller's context ending,
// [context.Canceled], an [*Interrupt], a [*WriteError].
type RetryPolicy struct {
	// Attempts is how many times the action runs at most, the first run
	// included. It must be at least 1.
	Attempts int
	// Backoff is the wait before the second attempt; each later wait is
	// Multiplier times the one before, at most MaxBackoff. Zero retries at
	// once.
	Backoff time.Duration
	// MaxBackoff caps every wait; zero means no cap.
	MaxBackoff time.Duration
	// Multiplier grows the wait from one attempt to the next; zero means 2.
	// It must be at least 1.
	Multiplier float64
	// Jitter, from 0 to 1, shortens each wait by a random fraction of at
	// most Jitter, so that many clients failing together do not retry in
	// step: a wait d becomes a random duration in [d×(1−Jitter), d].
	Jitter float64
	// If reports whether an error is worth another attempt ([RetryOn] and
	// [RetryOnType] build the usual ones). Nil retries every error except a
	// [*PanicError] and the errors above.
	If func(error) bool
}

// RetryOn returns a RetryPolicy.If that retries errors matching any of
// targets by errors.Is.
func RetryOn(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
}

// RetryOnType returns a RetryPolicy.If that retries errors holding an error
// of type E (errors.As), such as a temporary-failure type of an HTTP client.
func RetryOnType[E error]() func(error) bool {
	return func(err error) bool {
		var target E
		return errors.As(err, &target)
	}
}

// execControl is what Retry, Timeout and ItemTimeout set on an action.
type execControl struct {
	retry       *RetryPolicy
	timeout     time.Duration
	itemTimeout time.Duration
}

func (a *Action) control() *execControl {
	if a.ctl == nil {
		a.ctl = &execControl{}
	}
	return a.ctl
}

// Retry runs the action again when it fails, as p says. An invalid policy
// (fewer than 1 attempt, a negative wait, a multiplier below 1, a jitter
// outside [0, 1]) is a build error naming the action.
func Retry(p RetryPolicy) ActionOption {
	return actionOptionFunc(func(a *Action) {
		if msg := p.problem(); msg != "" {
			a.problems = append(a.problems, fmt.Sprintf("action %q: retry policy: %s", a.name, msg))
			return
		}
		if p.Multiplier == 0 {
			p.Multiplier = 2
		}
		a.control().retry = &p
	})
}

func (p *RetryPolicy) problem() string {
	switch {
	case p.Attempts < 1:
		return fmt.Sprintf("Attempts must be at least 1 (got %d)", p.Attempts)
	case p.Backoff < 0:
		return fmt.Sprintf("Backoff must not be negative (got %v)", p.Backoff)
	case p.MaxBackoff < 0:
		return fmt.Sprintf("MaxBackoff must not be negative (got %v)", p.MaxBackoff)
	case p.Multiplier != 0 && (p.Multiplier < 1 || math.IsNaN(p.Multiplier) || math.IsInf(p.Multiplier, 0)):
		return fmt.Sprintf("Multiplier must be at least 1 (got %v)", p.Multiplier)
	case p.Jitter < 0 || p.Jitter > 1 || math.IsNaN(p.Jitter):
		return fmt.Sprintf("Jitter must be between 0 and 1 (got %v)", p.Jitter)
	}
	return ""
}

// delay returns the wait after the failed attempt number attempt (1-based).
func (p *RetryPolicy) delay(attempt int) time.Duration {
	d := float64(p.Backoff) * math.Pow(p.Multiplier, float64(attempt-1))
	if p.MaxBackoff > 0 && d > float64(p.MaxBackoff) {
		d = float64(p.MaxBackoff)
	}
	if d > math.MaxInt64 {
		d = math.MaxInt64
	}
	if p.Jitter > 0 {
		d -= d * p.Jitter * rand.Float64()
	}
	return time.Duration(d)
}

// retryable reports whether err, the error of attempt number attempt, earns
// another attempt. ctx is the caller's context.
func (p *RetryPolicy) retryable(ctx context.Context, err error, attempt int) bool {
	if attempt >= p.Attempts || done(ctx) || errors.Is(err, context.Canceled) {
		return false
	}
	var ie *Interrupt
	var we *WriteError
	if errors.As(err, &ie) || errors.As(err, &we) {
		return false
	}
	if p.If != nil {
		return p.If(err)
	}
	var pe *PanicError
	return !errors.As(err, &pe)
}

// AttemptEnd is passed to [FailedAttemptHook]: an attempt of a step that
// failed and is about to be retried.
type AttemptEnd struct {
	AppContext
	Attempt int   // 1-based
	Err     error // why the attempt failed
	Start   time.Time
	Time    time.Time
	Delay   time.Duration // the wait before the next attempt
}

// FailedAttemptHook is called after each failed attempt of an action with a
// [RetryPolicy] that will be retried (the last attempt ends the step as
// usual: [PostRunStepHook], whose StepEnd.Attempt says how many attempts
// were made). Its errors are ignored: they cannot fail the step.
type FailedAttemptHook interface {
	FailedAttempt(ctx context.Context, e *AttemptEnd) error
}

// retryWait reports the failed attempt and waits before the next one. It
// returns false when the wait was cut short by ctx or by stop (a streamed
// step's consumer stopping it); the step then fails with the attempt's
// error. Failed attempts are shown to span and attribute hooks
// (the tracker) as a top-level span "attempt N" of the step holding the error
// as its "error" attribute, which Burr's UI reads as any span.
func (app *Application) retryWait(ctx context.Context, stop <-chan struct{}, sc *stepContext, p *RetryPolicy, err error, start time.Time) bool {
	d := p.delay(sc.attempt)
	h := &app.hooks
	if len(h.attempt) > 0 || len(h.preSpan) > 0 || len(h.postSpan) > 0 || len(h.attrs) > 0 {
		end := time.Now()
		if len(h.attempt) > 0 {
			e := &AttemptEnd{AppContext: sc.appContext(), Attempt: sc.attempt, Err: err, Start: start, Time: end, Delay: d}
			_ = callHooks(sc, h.attempt, e, FailedAttemptHook.FailedAttempt)
		}
		app.attemptSpan(sc, err, start, end)
	}
	sc.attempt++
	if d <= 0 {
		return !done(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// attemptSpan writes a failed attempt as a span through the span and
// attribute hooks.
func (app *Application) attemptSpan(sc *stepContext, err error, start, end time.Time) {
	h := &app.hooks
	sc.mu.Lock()
	id := strconv.Itoa(sc.seq) + ":" + strconv.Itoa(sc.topSpans)
	sc.topSpans++
	sc.mu.Unlock()
	sp := &Span{AppContext: sc.appContext(), ID: id, Name: "attempt " + strconv.Itoa(sc.attempt),
		StartTime: start, EndTime: end, step: sc, ended: true}
	_ = callHooks(sc, h.preSpan, sp, PreStartSpanHook.PreStartSpan)
	if len(h.attrs) > 0 {
		a := &Attributes{AppContext: sp.AppContext, SpanID: id, Time: end, Attributes: []Attribute{
			{Key: "attempt", Value: sc.attempt}, {Key: "error", Value: err.Error()}}}
		_ = callHooks(sc, h.attrs, a, DoLogAttributesHook.DoLogAttributes)
	}
	_ = callHooks(sc, h.postSpan, sp, PostEndSpanHook.PostEndSpan)
}
