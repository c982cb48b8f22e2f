// Package burr builds applications as state machines: chatbots, agents, LLM
// pipelines and simulations whose every step is explicit, observable and
// resumable. It is the Go implementation of Burr.
//
// # The model
//
// An application is a graph of actions over a state.
//
//   - [State] is an immutable, insertion-ordered mapping: the application's
//     whole memory. Every change returns a new State, so a State can be kept,
//     compared and shared freely. [Key] reads and writes typed values.
//   - An [Action] reads some keys of the state, does its work, and returns the
//     new state (and optionally a [Result]). Actions declare the keys they
//     read and write ([Reads], [Writes]) and the inputs they take from the
//     caller ([RequiredInputs], [OptionalInputs]). Build them from functions
//     ([NewAction]) or from structs with a Run and an Update method
//     ([NewStructAction]).
//   - A [Transition] connects two actions. Each has a [Condition] — [When],
//     [Expr], [Predicate] or [Default] — and the first transition out of the
//     last action whose condition holds chooses the next action. [NewGraph]
//     checks a set of actions and transitions once, for any number of
//     applications.
//   - An [Application] ([New]) holds the graph, the current state and the
//     position, and runs it: [Application.Step] runs one action,
//     [Application.Run] runs until a halt condition ([HaltAfter],
//     [HaltBefore]), [Application.Iterate] yields each step. [WithInputs]
//     gives a call its inputs.
//
// The package example below is the counter of the README.
//
// # Identity
//
// An application is named by an [AppRef] (its app id and partition key), one
// of its steps by a [StepRef] (an AppRef and a sequence id, or [Latest] for
// the latest saved step). Records, loaders, forks and every hook event use
// them; an action finds its own step with [FromContext].
//
// # Streaming actions
//
// A streaming action hands out intermediate items as it produces them — the
// tokens of an LLM answer — so the caller shows the first token at once. Its
// final result and state are its return values, so it cannot forget them:
//
//	chat := burr.NewStreamingAction("chat", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
//		var answer strings.Builder
//		for tok := range model.Stream(ctx, s) {
//			answer.WriteString(tok)
//			if !yield(tok) {
//				break // the consumer stopped or closed the stream
//			}
//		}
//		return burr.Result{"answer": answer.String()}, s.Set("answer", answer.String()), nil
//	}, burr.Writes("answer"))
//
// [Application.StreamResult] runs the application up to the streaming action
// and returns a [Stream]: range over it (no goroutine is started), pull from
// it ([Stream.Next]), finish it ([Stream.Get]), abandon it ([Stream.Close]),
// or stop it early and keep the partial answer ([Stream.Stop]). An action that
// may wait long between items selects on [Stopping] to notice a Stop or Close
// at once. [Application.StreamIterate] yields a Stream for every action it
// runs. The step's hooks, persistence and tracking are settled exactly once,
// when the stream ends, whichever way it ends.
//
// # Hooks
//
// Hooks observe an application's lifecycle. Each hook is a one-method
// interface ([PreRunStepHook], [PostStreamItemHook] and the others); a value
// may implement any number of them and is registered with [WithHooks]. At
// [New] the application sorts its hooks into one list per kind, so an
// application without hooks pays nothing and a per-item hook is one direct
// interface call. Every step-level event starts with the step's [AppContext];
// [ApplicationCreated] and [ExecuteCall] start with the [AppRef].
//
// Order. Hooks of one kind are called in registration order. For one call:
//
//	PreRunExecuteCall
//	  PreRunStep, [spans and attributes from the action], PostRunStep   (per step)
//	  PreRunStep, PreStartStream, PostStreamItem × N, PostRunStep, PostEndStream  (a streamed step)
//	PostRunExecuteCall
//
// Context. A [StepContextHook] is called first for every step and may put a
// value of its own in the context the action runs with (an OpenTelemetry
// bridge puts the step's span there, so that instrumented code and child
// applications nest under it); a [SpanContextHook] does the same for the
// context [StartSpan] returns.
//
// Outcome of a step. A step's outcome is decided before its post-run-step
// hooks run, and every party records that same outcome:
//
//  1. the outcome: the action's result and new state, or a failure — the
//     action's error (its last attempt's, under a [RetryPolicy]), a
//     pre-run-step or pre-start-stream hook's error (the action then does
//     not run), a post-stream-item hook's error, a cancellation — or an
//     interrupt ([Ask]), kept like a failure but saved with
//     [StatusInterrupted] and returned as the [*Interrupt] itself;
//  2. the persister ([WithPersister]) saves it first: completed with the new
//     state, or failed with the state before the step. A save that fails
//     turns the outcome into a failure (with the save's error);
//  3. every post-run-step hook sees that final outcome ([StepEnd].Err, State,
//     Result) — the tracker among them, so its log agrees with the store;
//  4. the application commits it: the new state, or the state before the
//     step (the failed step's sequence id is spent).
//
// So after any failure of a hook or a save, the application's state, the
// persisted record and the tracked log agree. A failed step is returned as an
// [*ActionError] naming the action and the sequence id. A pre hook that fails
// still gets its step's post-run-step hooks called (a failed step), so that
// begin and end stay paired in every hook, as they are in the tracker's log.
//
// Errors after the outcome. A post-run-step, post-end-stream or
// post-run-execute-call hook's error never changes the outcome: the step is
// committed as decided, and the error is returned to the caller as a
// [*HookError] beside the step's result ([Committed] reports true for it).
// Run stops there; Iterate yields the committed step with that error.
//
// Every hook of a kind is still called when one fails; their errors are
// joined, and a panic in a hook is recovered into a [*PanicError]. Errors
// from span and attribute hooks ([StartSpan], [LogAttributes]) are ignored:
// they cannot fail the action that opened the span. A failing
// post-application-create hook fails [New]. Hooks must not keep the event
// pointer after they return: the framework reuses it.
//
// # Persisting
//
// A [Persister] ([WithPersister]) saves a [Record] after every step, and
// [WithInitializeFrom] resumes an application from saved state or forks one
// ([ForkFrom]); the persist packages provide SQLite, PostgreSQL, Redis and an
// in-memory store, and the tracking package writes Burr's run logs for the
// web UI (and loads them back). Servers sharing a store cannot overwrite each
// other's steps: the second to save a sequence id gets [ErrConflict]. With
// [WithClaims] each step first claims its sequence id from the store (a
// [Claimer]), so the loser learns it before its action calls a model.
//
// # Concurrency and errors
//
// An [Application] runs one call at a time: a concurrent call fails with
// [ErrBusy] rather than racing. Actions receive a context.Context: cancelling
// it stops a run between steps and, for actions that honour it, inside them.
// Errors are values that name the action, key or sequence id ([ActionError],
// [KeyError], [InputError], [WriteError]); a panic in an action, hook or
// condition becomes a [*PanicError] and the application stays usable.
package burr
