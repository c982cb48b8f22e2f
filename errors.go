package burr

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/burrgo/burr/internal/jsonx"
)

// Sentinel errors, for errors.Is.
var (
	// ErrBusy is returned when a call is made on an [Application] that is already
	// running a call or holding an open stream.
	ErrBusy = errors.New("burr: application is busy with another call")
	// ErrStreamClosed is the error of a stream that was abandoned with Close or
	// by breaking out of its range loop.
	ErrStreamClosed = errors.New("burr: stream closed before it finished")
	// ErrNotFound is returned by a [Loader] that has no record for the request.
	ErrNotFound = errors.New("burr: no persisted state found")
	// ErrConflict is returned by a [Saver] when a record for the same partition
	// key, app id and sequence id already exists, and by a [Claimer] when the
	// step is saved or claimed: another writer got there first.
	ErrConflict = errors.New("burr: a record with this sequence id already exists")
	// ErrEndOfGraph is returned by Step when no action is left to run, and
	// when a run that must reach a named action runs out of transitions
	// first.
	ErrEndOfGraph = errors.New("burr: reached the end of the graph")
)

// KeyError reports a state key or input that is missing or holds a value of the
// wrong type.
type KeyError struct {
	Key     string // the key
	Op      string // what was attempted: "get", "append", "increment", ...
	Want    string // what was expected
	Got     string // what was found
	Missing bool   // the key was absent
	Err     error  // the underlying conversion error, if any
}

func (e *KeyError) Error() string {
	if e.Missing {
		return fmt.Sprintf("burr: state key %q is missing (wanted %s)", e.Key, e.Want)
	}
	msg := fmt.Sprintf("burr: cannot %s state key %q: want %s, have %s", e.Op, e.Key, e.Want, e.Got)
	if e.Err != nil && e.Err != errConvert {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *KeyError) Unwrap() error { return e.Err }

// ActionError wraps an error that happened while running an action, naming the
// action and the sequence id of the step.
type ActionError struct {
	Action     string
	SequenceID int
	Err        error
	// HandledBy names the handler an error transition ([Sources.OnError])
	// handed the failure to, or is "".
	HandledBy string
}

func (e *ActionError) Error() string {
	return fmt.Sprintf("burr: action %q (sequence id %d): %v", e.Action, e.SequenceID, e.Err)
}

func (e *ActionError) Unwrap() error { return e.Err }

// PanicError is a panic recovered from user code (an action, a hook, a
// condition). Error returns one line, "panic: <value>", fit for a log line or
// an error event; the stack of the goroutine that panicked is in Stack, to
// print where it helps:
//
//	var pe *burr.PanicError
//	if errors.As(err, &pe) {
//		log.Printf("%v\n%s", err, pe.Stack)
//	}
type PanicError struct {
	Value any
	Stack []byte // as runtime/debug.Stack returns it
}

func (e *PanicError) Error() string {
	// Text, not fmt.Sprint: a panic value that contains itself gets a
	// placeholder instead of recursing without end.
	text, _ := jsonx.Text(e.Value)
	return "panic: " + strings.ReplaceAll(text, "\n", " ")
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// InputError reports missing required inputs or forbidden input names.
type InputError struct {
	Action  string
	Missing []string // required inputs not given
	Given   []string // input names that were given
	Reason  string   // for forbidden names
}

func (e *InputError) Error() string {
	if e.Reason != "" && e.Action == "" {
		return "burr: " + e.Reason
	}
	if e.Reason != "" {
		return fmt.Sprintf("burr: action %q: %s", e.Action, e.Reason)
	}
	return fmt.Sprintf("burr: action %q is missing required inputs %v; given inputs: %v", e.Action, e.Missing, e.Given)
}

// WriteError reports an action that wrote keys it did not declare, or did not
// write keys it declared.
type WriteError struct {
	Action     string
	Undeclared []string // keys written but not declared in Writes
	Missing    []string // declared writes absent from the state afterwards
}

func (e *WriteError) Error() string {
	var parts []string
	if len(e.Undeclared) > 0 {
		parts = append(parts, fmt.Sprintf("wrote keys %v that it did not declare in its writes", e.Undeclared))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("state is missing write keys after running: %v", e.Missing))
	}
	return fmt.Sprintf("burr: action %q %s", e.Action, strings.Join(parts, "; "))
}

// GraphError reports problems found while building a graph or application.
type GraphError struct {
	Problems []string
}

func (e *GraphError) Error() string {
	if len(e.Problems) == 1 {
		return "burr: " + e.Problems[0]
	}
	return "burr: invalid graph:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// ConditionError reports a condition evaluated on a state that lacks keys it
// reads.
type ConditionError struct {
	Condition string
	Missing   []string
}

func (e *ConditionError) Error() string {
	return fmt.Sprintf("burr: missing keys in state required by condition %q: %v", e.Condition, e.Missing)
}

// Helpers for error text and for turning panics into errors.

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// safeCall runs fn and turns a panic into a [*PanicError].
func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}

func joinErrs(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// HookStage names the hook kind a [HookError] came from.
type HookStage string

// The hook stages, as [HookError.Stage] reports them.
const (
	StagePostApplicationCreate HookStage = "post-application-create"
	StagePreRunExecuteCall     HookStage = "pre-run-execute-call"
	StagePostRunExecuteCall    HookStage = "post-run-execute-call"
	StagePreRunStep            HookStage = "pre-run-step"
	StagePostRunStep           HookStage = "post-run-step"
	StagePreStartStream        HookStage = "pre-start-stream"
	StagePostStreamItem        HookStage = "post-stream-item"
	StagePostEndStream         HookStage = "post-end-stream"
)

// HookError is the error of one or more hooks of a stage (a panic in a hook
// is a *PanicError inside it). Where it sits tells what it did:
//
//   - inside an [*ActionError] (stages pre-run-step, pre-start-stream,
//     post-stream-item): the hook failed the step, which was recorded as
//     failed;
//   - not inside an *ActionError (stages post-run-step, post-end-stream,
//     post-run-execute-call): the step's outcome was already decided, saved
//     and committed; only the hook failed. [Committed] tells the two apart.
type HookError struct {
	Stage HookStage
	// Action and SequenceID name the step, for the step-level stages; Action
	// is "" for the application- and call-level ones.
	Action     string
	SequenceID int
	Err        error
}

func (e *HookError) Error() string {
	if e.Action == "" {
		return fmt.Sprintf("burr: %s hook: %v", e.Stage, e.Err)
	}
	return fmt.Sprintf("burr: %s hook (action %q, sequence id %d): %v", e.Stage, e.Action, e.SequenceID, e.Err)
}

func (e *HookError) Unwrap() error { return e.Err }

// hookErr wraps errors from hooks so the caller can tell them from the
// action's own.
func hookErr(stage HookStage, err error) error {
	if err == nil {
		return nil
	}
	return &HookError{Stage: stage, Err: err}
}

// stepHookErr is hookErr for a step-level stage.
func stepHookErr(stage HookStage, sc *stepContext, err error) error {
	if err == nil {
		return nil
	}
	return &HookError{Stage: stage, Action: sc.action.name, SequenceID: sc.seq, Err: err}
}

// Committed reports whether the steps err is about kept their outcome: err is
// nil, or it holds no [*ActionError] (no step failed) and no [*Interrupt] — only hooks that run
// after a step's outcome is decided, whose errors never change it. A call
// that returns an error for which Committed is true has advanced the
// application as if it had succeeded.
func Committed(err error) bool {
	var ae *ActionError
	var ie *Interrupt
	return !errors.As(err, &ae) && !errors.As(err, &ie)
}

// quoteList formats names for error messages.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

func typeOf[T any]() string { return reflect.TypeFor[T]().String() }
