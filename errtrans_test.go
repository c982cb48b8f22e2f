package burr_test

import (
	"context"
	"errors"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

var errToolDown = errors.New("tool is down")

// toolGraph: "call" fails with err; an error transition routes errToolDown
// to "explain", which records what failed; "done" follows "call" on success.
func toolApp(t *testing.T, err error, opts ...burr.Option) *burr.Application {
	call := burr.NewAction("call", func(context.Context, burr.State) (burr.State, error) {
		return burr.State{}, err
	})
	explain := burr.NewAction("explain", func(ctx context.Context, s burr.State) (burr.Result, burr.State, error) {
		ae, ok := burr.HandledError(ctx)
		if !ok {
			return nil, s, errors.New("no handled error in the handler's context")
		}
		if !errors.Is(ae, errToolDown) {
			return nil, s, errors.New("the handled error lost its value")
		}
		return burr.Result{"failed": ae.Action}, s.Set("explained", ae.Err.Error()), nil
	}, burr.Writes("explained"))
	done := burr.NewAction("done", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })
	base := []burr.Option{burr.WithActions(call, explain, done), burr.WithEntrypoint("call"),
		burr.WithTransitions(burr.From("call").OnError("explain", burr.ErrorIs(errToolDown)), burr.From("call").To("done"))}
	return mustNew(t, append(base, opts...)...)
}

func TestErrorTransitionRun(t *testing.T) {
	tr, err := tracking.NewLocal("errs", tracking.WithStorageDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	store := newFakeStore()
	app := toolApp(t, errToolDown, burr.WithPersister(store), burr.WithHooks(tr))
	var steps []burr.StepResult
	for res, err := range app.Iterate(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, res)
	}
	if len(steps) != 2 || steps[0].Handled == nil || steps[0].Handled.HandledBy != "explain" || steps[1].Action.Name() != "explain" {
		t.Fatalf("steps %+v", steps)
	}
	if steps[1].Result["failed"] != "call" || app.State().Map()["explained"] != "tool is down" {
		t.Fatalf("handler result %v, state %v", steps[1].Result, app.State())
	}
	if len(store.records) != 2 || store.records[0].Status != burr.StatusFailed || store.records[1].Status != burr.StatusCompleted ||
		store.records[1].Position != "explain" {
		t.Fatalf("records %+v", store.records)
	}
	_, ends := logEntries(t, tr, app.Ref().AppID)
	if ends[0]["exception"] == nil || ends[1]["exception"] != nil || ends[1]["action"] != "explain" {
		t.Fatalf("log: %v", ends)
	}
}

func TestErrorTransitionStep(t *testing.T) {
	app := toolApp(t, errToolDown)
	res, err := app.Step(t.Context())
	if err != nil || res.Handled == nil || !errors.Is(res.Handled, errToolDown) {
		t.Fatalf("step: %+v %v", res, err)
	}
	if next, _ := app.NextAction(); next.Name() != "explain" {
		t.Fatalf("next action %v", next)
	}
	res, err = app.Step(t.Context())
	if err != nil || res.Action.Name() != "explain" || res.Handled != nil {
		t.Fatalf("handler step: %+v %v", res, err)
	}
}

// TestErrorTransitionNoMatch: an error no transition accepts ends the call.
func TestErrorTransitionNoMatch(t *testing.T) {
	other := errors.New("bad input")
	app := toolApp(t, other)
	_, err := app.Run(t.Context())
	var ae *burr.ActionError
	if !errors.As(err, &ae) || ae.HandledBy != "" || !errors.Is(err, other) {
		t.Fatalf("error %v", err)
	}
}

func TestErrorTransitionStreamIterate(t *testing.T) {
	app := toolApp(t, errToolDown)
	var names []string
	for st, err := range app.StreamIterate(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, st.Action().Name())
		st.Get()
	}
	if len(names) != 2 || names[1] != "explain" {
		t.Fatalf("streamed %v", names)
	}
}

func TestErrorTransitionUnknownHandler(t *testing.T) {
	call := burr.NewAction("call", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })
	_, err := burr.New(t.Context(), burr.WithActions(call), burr.WithEntrypoint("call"),
		burr.WithTransitions(burr.From("call").OnError("nowhere")))
	wantErrContains(t, err, `transition target "nowhere" not found in actions`)
}

// TestErrorTransitionSurvivesGraphReuse: error transitions are kept by
// Graph.Transitions, so a graph composed again keeps them.
func TestErrorTransitionSurvivesGraphReuse(t *testing.T) {
	app := toolApp(t, errToolDown)
	again := mustNew(t, burr.WithGraph(app.Graph()), burr.WithEntrypoint("call"))
	if res, err := again.Step(t.Context()); err != nil || res.Handled == nil {
		t.Fatalf("%+v %v", res, err)
	}
}
