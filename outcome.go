package burr

// EndReason says why a call stopped ([Outcome]).
type EndReason uint8

// The reasons a call stops.
const (
	// Stepped: Step ran one action.
	Stepped EndReason = iota + 1
	// GraphEnded: no transition matched after the last action (or Step found
	// nothing to run).
	GraphEnded
	// HaltedAfter: a HaltAfter action ran.
	HaltedAfter
	// HaltedBefore: the next action is in HaltBefore; it did not run.
	HaltedBefore
	// Interrupted: an action asked a question ([Ask]); Err is the
	// [*Interrupt].
	Interrupted
	// Failed: the call ended with an error (Err).
	Failed
	// Stopped: the caller broke out of Iterate or StreamIterate.
	Stopped
)

var endReasonNames = [...]string{"", "stepped", "graph ended", "halted after", "halted before", "interrupted", "failed", "stopped"}

func (r EndReason) String() string {
	if int(r) < len(endReasonNames) {
		return endReasonNames[r]
	}
	return "unknown"
}

// Outcome is how an application's last call ended: what [Application.Outcome]
// returns after Step, Run, Iterate, StreamResult or StreamIterate, so that a
// caller who ranged over an iterator need not keep the last step by hand:
//
//	for res, err := range app.Iterate(ctx, burr.HaltBefore("ask_user")) { … }
//	switch o := app.Outcome(); o.Reason {
//	case burr.HaltedBefore: // o.Action is "ask_user"
//	case burr.Interrupted:  // o.Err is the *burr.Interrupt
//	case burr.GraphEnded:   // o.Result is the last action's result
//	}
type Outcome struct {
	Reason EndReason
	// Action is the action halted after or before, interrupted, failed, or
	// the last one that ran; nil when nothing ran or could run.
	Action *Action
	// Result is the result of the last action that completed in the call
	// (also when the call then halted before another), or nil.
	Result Result
	// State is the application's state when the call ended.
	State State
	// Err is the call's error, for Interrupted and Failed.
	Err error
}

// Outcome returns how the last call (or the stream it returned) ended; the
// zero Outcome before any call, or while one runs.
func (app *Application) Outcome() Outcome {
	app.outcomeMu.Lock()
	defer app.outcomeMu.Unlock()
	if app.busy.Load() {
		return Outcome{}
	}
	return app.outcome
}

func (app *Application) setOutcome(o Outcome) {
	app.outcomeMu.Lock()
	app.outcome = o
	app.outcomeMu.Unlock()
}

// endCall records how a call ended. reason is the loop's when err is nil.
func (app *Application) endCall(reason EndReason, a *Action, r Result, err error) {
	o := Outcome{Reason: reason, Action: a, Result: r, State: app.State(), Err: err}
	if err != nil {
		o.Reason = Failed
		if interruptOf(err) != nil {
			o.Reason = Interrupted
		}
	}
	app.setOutcome(o)
}
