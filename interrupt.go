package burr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Interrupt is the error of a step whose action stopped to ask for input
// ([Ask]): the question, or the tool call to approve, is in Payload. Test
// for it with errors.As:
//
//	var intr *burr.Interrupt
//	if errors.As(err, &intr) {
//		answer := askTheUser(intr.Payload)
//		res, err = app.Step(ctx, burr.WithAnswer(answer))
//	}
//
// The step was not committed: the state is the one before it, its sequence
// id is spent, the persister saved a record with [StatusInterrupted] and the
// payload, and the tracker logged the step as ended by the interrupt (with
// the payload as its "interrupt" attribute). The application waits at that
// action ([Application.Interrupted]) until a call gives the answer with
// [WithAnswer]; the action then runs again and [Ask] returns the answer.
type Interrupt struct {
	Action     string
	SequenceID int // the sequence id the interrupted step spent
	Payload    any
}

func (e *Interrupt) Error() string {
	return fmt.Sprintf("burr: action %q (sequence id %d) is interrupted, waiting for an answer", e.Action, e.SequenceID)
}

// ErrInterrupted is wrapped by the error of a call made on an interrupted
// application without [WithAnswer].
var ErrInterrupted = errors.New("burr: the application is interrupted and waits for an answer")

// InterruptKey is the state key under which a record saved with
// [StatusInterrupted] carries the interrupt's payload. The application's
// own state never holds it: it is added to the saved record only, and taken
// out again when the record is loaded ([WithInitializeFrom]). Burr's readers
// see it as one more key of the state.
const InterruptKey = "__INTERRUPT"

// Ask stops the running action to ask for input, or returns the answer when
// the step is the resumption of that question. An action asks like this:
//
//	answer, err := burr.Ask(ctx, map[string]any{"approve": call})
//	if err != nil {
//		return nil, s, err // the step stops here, uncommitted
//	}
//
// The first time, Ask returns an [*Interrupt] carrying payload; the action
// returns it (as is or wrapped), and the step ends interrupted. When a later
// call resumes with [WithAnswer], the action runs again from the start, and
// Ask returns the answer. Every Ask of that run returns the same answer: an
// action asks one question per run (ask more with more actions). Ask works
// in streaming actions and in actions of child applications; there the
// answer given to the parent's call reaches the child's action. Outside a
// step Ask returns an error.
func Ask(ctx context.Context, payload any) (any, error) {
	sc, ok := ctx.Value(appCtxKey{}).(*stepContext)
	if !ok {
		return nil, errors.New("burr: Ask called outside a step")
	}
	// The answer of this step, or of the step of a parent application that
	// runs this one (resumed with the answer to a question its child asked).
	for cur := sc; cur != nil; cur, _ = cur.Context.Value(appCtxKey{}).(*stepContext) {
		if cur.answer != nil {
			return cur.answer.v, nil
		}
	}
	return nil, &Interrupt{Action: sc.action.name, SequenceID: sc.seq, Payload: payload}
}

// WithAnswer gives the answer to an interrupted application's question
// ([Ask]): the call runs the interrupted action again, and Ask returns v. It
// is an error on an application that is not interrupted.
func WithAnswer(v any) CallOption { return answerOption(func() *answer { return &answer{v: v} }) }

// answerOption is the option WithAnswer returns: like inputsOption, a
// function, so that options built at the call site stay on the stack.
type answerOption func() *answer

func (o answerOption) applyStep(c *stepConfig) { c.answer = o() }
func (o answerOption) applyRun(c *runConfig)   { c.answer = o() }

// answer is an answer given to a call.
type answer struct{ v any }

// pendingInterrupt is where an interrupted application waits.
type pendingInterrupt struct {
	idx  int
	intr *Interrupt
}

// Interrupted returns the question the application waits on, when its last
// step was interrupted ([Ask]).
func (app *Application) Interrupted() (*Interrupt, bool) {
	if p := app.pending.Load(); p != nil {
		return p.intr, true
	}
	return nil, false
}

// resume checks a call's answer against the application's interrupt, once
// the call holds the application. A call without an answer made inside a
// step that holds one (a child application run by the resumed action of its
// parent) takes that answer.
func (app *Application) resume(ctx context.Context, a *answer) error {
	pending := app.pending.Load()
	if pending == nil {
		if a != nil {
			return fmt.Errorf("burr: WithAnswer given, but app %q is not interrupted", app.ref.AppID)
		}
		return nil
	}
	if a == nil {
		if sc, ok := ctx.Value(appCtxKey{}).(*stepContext); ok && sc.answer != nil {
			a = sc.answer
		}
	}
	if a == nil {
		p := pending.intr
		return fmt.Errorf("%w: action %q of app %q asked a question at sequence id %d; resume with WithAnswer",
			ErrInterrupted, p.Action, app.ref.AppID, p.SequenceID)
	}
	app.answer = a
	return nil
}

// takeAnswer hands the call's answer to the step of the action at index i,
// when that is the interrupted action, and ends the interrupt.
func (app *Application) takeAnswer(sc *stepContext, i int) {
	if p := app.pending.Load(); p != nil && p.idx == i && app.answer != nil {
		sc.answer, sc.asked = app.answer, p.intr.SequenceID
		app.pending.Store(nil)
		app.answer = nil
	}
}

// interruptOf returns the interrupt err holds, if the step it ended should
// be kept as interrupted.
func interruptOf(err error) *Interrupt {
	// errors.As would do, but its target escapes: every failed or closed
	// step would pay an allocation to learn it was not interrupted.
	for err != nil {
		switch x := err.(type) {
		case *Interrupt:
			return x
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if ie := interruptOf(e); ie != nil {
					return ie
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// logInterrupt shows the interrupt's payload to the attribute hooks (the
// tracker logs it as the step's "interrupt" attribute).
func (app *Application) logInterrupt(sc *stepContext, ie *Interrupt) {
	if len(app.hooks.attrs) == 0 {
		return
	}
	a := &Attributes{AppContext: sc.appContext(), Attributes: []Attribute{{Key: "interrupt", Value: ie.Payload}}, Time: time.Now()}
	_ = callHooks(sc, app.hooks.attrs, a, DoLogAttributesHook.DoLogAttributes)
}
