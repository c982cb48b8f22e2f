package burr_test

import (
	"context"
	"testing"

	"github.com/burrgo/burr"
)

// Call options built at the call site cost no allocation: a Step with inputs
// allocates no more than a Step without, and a Run with options written inline
// no more than one with options built beforehand.
func TestCallOptionsDoNotAllocate(t *testing.T) {
	ctx := context.Background()
	// The action boxes no new value per step, so every step allocates alike.
	noop := burr.NewAction("noop", func(_ context.Context, s burr.State, _ burr.Inputs) (burr.State, error) {
		return s, nil
	}, burr.OptionalInputs("unused"))
	app := mustNew(t, burr.WithActions(noop), burr.WithTransitions(burr.From("noop").To("noop")), burr.WithEntrypoint("noop"))
	in := burr.Inputs{"other": 1} // not declared: the action receives an empty map either way
	none := testing.AllocsPerRun(100, func() { app.Step(ctx) })
	with := testing.AllocsPerRun(100, func() { app.Step(ctx, burr.WithInputs(in)) })
	if with != none {
		t.Errorf("Step allocates %v times with WithInputs, %v without", with, none)
	}
	halt, inputs := burr.HaltAfter("noop"), burr.WithInputs(in)
	prebuilt := testing.AllocsPerRun(100, func() { app.Run(ctx, halt, inputs) })
	inline := testing.AllocsPerRun(100, func() { app.Run(ctx, burr.HaltAfter("noop"), burr.WithInputs(in)) })
	if inline != prebuilt {
		t.Errorf("Run allocates %v times with options built inline, %v with options built beforehand", inline, prebuilt)
	}
	if seq, _ := app.SequenceID(); seq < 400 {
		t.Fatalf("only %d steps ran", seq+1)
	}
}

func TestWithInputsAddsUp(t *testing.T) {
	var got burr.Inputs
	a := burr.NewAction("a", func(_ context.Context, s burr.State, in burr.Inputs) (burr.State, error) {
		got = in
		return s, nil
	}, burr.RequiredInputs("x", "y"))
	app := mustNew(t, burr.WithActions(a), burr.WithTransitions(burr.From("a").To("a")), burr.WithEntrypoint("a"))
	if _, err := app.Step(context.Background(), burr.WithInputs(burr.Inputs{"x": 1, "y": 1}), burr.WithInputs(burr.Inputs{"y": 2})); err != nil {
		t.Fatal(err)
	}
	if got["x"] != 1 || got["y"] != 2 {
		t.Fatalf("Step got inputs %v, want x=1 y=2", got)
	}
	if _, err := app.Run(context.Background(), burr.HaltAfter("a"), burr.WithInputs(burr.Inputs{"x": 3, "y": 3}), burr.WithInputs(burr.Inputs{"y": 4})); err != nil {
		t.Fatal(err)
	}
	if got["x"] != 3 || got["y"] != 4 {
		t.Fatalf("Run got inputs %v, want x=3 y=4", got)
	}
}

// An option that is not one of the package's own is an error, not a panic.
func TestForeignOption(t *testing.T) {
	type wrapped struct{ burr.RunOption }
	app := counterApp(t)
	_, err := app.Run(context.Background(), wrapped{burr.HaltAfter("counter")})
	wantErrContains(t, err, "RunOption", "wrapped", "not an option made by this package")
	_, err = app.Step(context.Background(), nil)
	wantErrContains(t, err, "StepOption of type nil")
	for _, err := range app.Iterate(context.Background(), nil) {
		wantErrContains(t, err, "RunOption of type nil")
	}
	_, err = app.StreamResult(context.Background(), burr.HaltAfter("counter"), nil)
	wantErrContains(t, err, "RunOption of type nil")
	if seq, ok := app.SequenceID(); ok {
		t.Fatalf("a call with a bad option ran step %d", seq)
	}
}

// A plain step's own allocations are counted here so that a change on the
// step path that adds one (an escaping variable, a closure) fails a test
// rather than waiting for a benchmark to be read: the step context and the
// new state are the framework's only allocations for a step whose action
// returns its state unchanged.
func TestStepAllocations(t *testing.T) {
	ctx := context.Background()
	noop := burr.NewAction("noop", func(_ context.Context, s burr.State) (burr.State, error) {
		return s, nil
	})
	app := mustNew(t, burr.WithActions(noop), burr.WithTransitions(burr.From("noop").To("noop")), burr.WithEntrypoint("noop"))
	const want = 1
	if n := testing.AllocsPerRun(200, func() { app.Step(ctx) }); n > want {
		t.Errorf("a step allocates %v times, want at most %v", n, want)
	}
}
