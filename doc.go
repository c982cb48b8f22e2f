// Package burr builds applications as state machines: chatbots, agents, LLM
// pipelines and simulations whose every step is explicit, observable and
// resumable. It is the Go implementation of Burr.
//
// # The model
//
// An application is a graph of actions over a state.
//
//   - State is an immutable, insertion-ordered mapping: the application's
//     whole memory. Every change returns a new State, so a State can be kept,
//     compared and shared freely. Key[T] reads and writes typed values.
//   - An Action reads some keys of the state, does its work, and returns the
//     new state (and optionally a Result). Actions declare the keys they read
//     and write (Reads, Writes) and the inputs they take from the caller
//     (RequiredInputs, OptionalInputs). Build them from functions (NewAction)
//     or from structs with a Run and an Update method (NewStructAction).
//   - Transitions connect actions. Each has a Condition — When(key, value),
//     Expr("count < 10"), Predicate(…) or Default — and the first transition
//     out of the last action whose condition holds chooses the next action.
//   - An Application (New) holds the graph, the current state and the
//     position, and runs it: Step runs one action, Run runs until a halt
//     condition (HaltAfter, HaltBefore), Iterate yields each step.
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
// Application.StreamResult runs the application up to the streaming action and
// returns a Stream: range over it (no goroutine is started), pull from it
// (Next), finish it (Get), abandon it (Close), or stop it early and keep the
// partial answer (Stop). An action that may wait long between items selects
// on Stopping(ctx) to notice a Stop or Close at once. The step's hooks,
// persistence and tracking are settled exactly once, when the stream ends,
// whichever way it ends.
//
// # Observing and persisting
//
// Hooks (PreRunStepHook, PostStreamItemHook and the others) observe the
// lifecycle; the tracking package writes Burr's run logs for the web UI. A
// Persister (WithPersister) saves the state after every step, and
// WithInitializeFrom resumes or forks an application from saved state; the
// persist packages provide SQLite, PostgreSQL and Redis.
//
// # Concurrency and errors
//
// An Application runs one call at a time: a concurrent call fails with
// ErrBusy rather than racing. Actions receive a context.Context: cancelling it
// stops a run between steps and, for actions that honour it, inside them.
// Errors are values that name the action, key or sequence id (ActionError,
// KeyError, InputError, WriteError); a panic in an action, hook or condition
// becomes a *PanicError and the application stays usable.
package burr
