package burr

import "fmt"

// UpdateState replaces the application's state wholesale, internal keys
// included, between steps (Burr's update_state): s's [PriorStepKey] decides
// the next action as after any step, and its [SequenceIDKey] the next
// sequence id, so build s from the current state (app.State().Set(…)) to
// keep both. A pending interrupt stays (the interrupted action runs next, on
// the new state); a pending error transition is dropped. The new state is
// persisted with the next step's record. It
// fails with [ErrBusy] while a call runs, and when s's prior step is not an
// action of the graph.
func (app *Application) UpdateState(s State) error {
	if err := app.acquire(); err != nil {
		return err
	}
	defer app.release()
	cur := -1
	if prior, ok := s.PriorStep(); ok {
		i, known := app.graph.index[prior]
		if !known {
			return fmt.Errorf("burr: UpdateState: the state's prior step %q is not an action of the graph", prior)
		}
		cur = i
	}
	if n, ok := s.SequenceID(); ok && n < 0 {
		return fmt.Errorf("burr: UpdateState: the state's %s is %d: a sequence id cannot be negative", SequenceIDKey, n)
	}
	app.routed.Store(nil)
	app.commit(&s, cur)
	return nil
}

// ResetToEntrypoint makes the entrypoint the next action, keeping the state
// but its prior step (Burr's reset_to_entrypoint). A pending interrupt
// ([Application.Interrupted]) or error transition is dropped. It fails with
// [ErrBusy] while a call runs.
func (app *Application) ResetToEntrypoint() error {
	if err := app.acquire(); err != nil {
		return err
	}
	defer app.release()
	s := app.State().withoutPrior()
	app.routed.Store(nil)
	app.pending.Store(nil)
	app.commit(&s, -1)
	return nil
}
