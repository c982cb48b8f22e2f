package burr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WithClaims makes every step claim its sequence id from the persister
// before it starts: before any pre-run-step hook, before the action (and the
// model it calls) runs. The persister given to [WithPersister] must be a
// [Claimer]; [New] fails otherwise, naming its type.
//
// When the claim fails with [ErrConflict] — another Application with the
// same app id claimed or saved that step — the step does not start: no hook
// sees it, nothing is saved, the state does not change, and the call returns
// an error wrapping ErrConflict. As after a save that lost a write conflict,
// the Application is then stale: every later call fails with ErrConflict
// until it is rebuilt with [WithInitializeFrom]. Any other failure of the
// claim (the store is unreachable) fails the call the same way but leaves the
// Application usable.
//
// A claim lasts ttl, so that a server that crashed holding one delays the
// application's next step by ttl at most. Choose a ttl longer than a step
// takes with its retries ([Retry]) and timeouts: a step still running when its claim expires
// can be claimed and run by another writer, and the second one to save gets
// ErrConflict, as without claims.
//
// The claim is this application's: the sub-applications its actions start
// ([RunChild], parallel actions) do not claim their steps, since the claim of
// the parent's step already keeps a second writer from starting them.
func WithClaims(ttl time.Duration) Option {
	return optionFunc(func(c *config) { c.claimTTL, c.claimSet = ttl, true })
}

// claimer returns the Claimer and ttl the config's steps claim with, or nil
// when WithClaims was not given.
func (c *config) claimer() (Claimer, time.Duration, error) {
	if !c.claimSet {
		return nil, 0, nil
	}
	if c.claimTTL <= 0 {
		return nil, 0, fmt.Errorf("burr: WithClaims(%v): the ttl must be positive", c.claimTTL)
	}
	if c.persister == nil {
		return nil, 0, errors.New("burr: WithClaims needs WithPersister: steps are claimed from the persister")
	}
	cl, ok := c.persister.(Claimer)
	if !ok {
		return nil, 0, fmt.Errorf("burr: WithClaims: the persister %T cannot claim steps (it does not implement burr.Claimer)", c.persister)
	}
	return cl, c.claimTTL, nil
}

// claim claims step seq, about to run action a. Losing the claim to another
// writer marks the application stale, as losing a save does.
func (app *Application) claim(ctx context.Context, seq int, a *Action) error {
	err := safeCall(func() error { return app.claimer.Claim(ctx, app.ref.At(seq), app.claimTTL) })
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrConflict) {
		app.conflict = fmt.Errorf("burr: app %q lost sequence id %d to another writer, which claimed or saved it first; "+
			"build a new Application with WithInitializeFrom to reload it: %w", app.ref.AppID, seq, ErrConflict)
		return fmt.Errorf("burr: app %q did not run %q: sequence id %d is claimed or saved by another writer: %w",
			app.ref.AppID, a.name, seq, err)
	}
	return fmt.Errorf("burr: app %q did not run %q: claiming sequence id %d: %w", app.ref.AppID, a.name, seq, err)
}
