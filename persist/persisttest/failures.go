package persisttest

import (
	"context"
	"errors"
	"testing"

	"github.com/burrgo/burr"
)

// counterOnN builds an application that adds one to "n" at every step and
// saves through p.
func counterOnN(t *testing.T, p burr.Persister) *burr.Application {
	t.Helper()
	inc := burr.NewAction("inc", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Increment("n", 1)
	}, burr.Reads("n"), burr.Writes("n"))
	app, err := burr.New(t.Context(), burr.WithActions(inc), burr.WithTransitions(burr.From("inc").To("inc")),
		burr.WithState(burr.State{}.Set("n", 0)), burr.WithEntrypoint("inc"), burr.WithPersister(p))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// RunGoneAway checks what happens when a backend goes away for good in the
// middle of a run: goAway closes p (or its connection pool, or its client).
// Later steps fail with an error, never a panic, the application does not
// advance past what was saved, and Load reports a real error rather than
// [burr.ErrNotFound].
func RunGoneAway(t *testing.T, p burr.Persister, goAway func()) {
	t.Helper()
	app := counterOnN(t, p)
	for range 3 {
		if _, err := app.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	goAway()
	if _, err := app.Step(t.Context()); err == nil {
		t.Fatal("a step after the backend went away succeeded")
	}
	if n := app.State().Value("n"); n != 3 {
		t.Errorf("state advanced to n=%v after a failed save", n)
	}
	if _, err := p.Load(t.Context(), burr.AppRef{AppID: app.Ref().AppID}.At(burr.Latest)); err == nil || errors.Is(err, burr.ErrNotFound) {
		t.Errorf("Load after the backend went away: error = %v, want a real error", err)
	}
}

// RunConnectionsDropped checks a backend whose connections are dropped now
// and then (drop kills them from the server's side) during a run of 20
// steps: every step either saves or fails, the application's state always
// matches what was saved, and the latest record holds it.
func RunConnectionsDropped(t *testing.T, p burr.Persister, drop func()) {
	t.Helper()
	app := counterOnN(t, p)
	saved := 0
	for i := range 20 {
		if i%5 == 2 {
			drop()
		}
		if _, err := app.Step(t.Context()); err == nil {
			saved++
		} else {
			t.Logf("step %d: %v", i, err)
		}
		if n := app.State().Value("n"); n != saved {
			t.Fatalf("state n=%v after %d saved steps", n, saved)
		}
	}
	r, err := p.Load(t.Context(), burr.AppRef{AppID: app.Ref().AppID}.At(burr.Latest))
	if err != nil {
		t.Fatal(err)
	}
	if r.State.Value("n") != saved {
		t.Errorf("latest saved n=%v, want %d", r.State.Value("n"), saved)
	}
}
