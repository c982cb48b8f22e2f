package burr_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/burrgo/burr"
)

func TestOutcomeAfterIterate(t *testing.T) {
	ctx := t.Context()
	cases := []struct {
		name   string
		opts   []burr.RunOption
		reason burr.EndReason
		action string
		count  int
	}{
		{"ended", nil, burr.GraphEnded, "result", 10},
		{"halted-after", []burr.RunOption{burr.HaltAfter("result")}, burr.HaltedAfter, "result", 10},
		{"halted-before", []burr.RunOption{burr.HaltBefore("result")}, burr.HaltedBefore, "result", 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := counterApp(t)
			for _, err := range app.Iterate(ctx, c.opts...) {
				if err != nil {
					t.Fatal(err)
				}
			}
			o := app.Outcome()
			if o.Reason != c.reason || o.Action == nil || o.Action.Name() != c.action || o.Err != nil {
				t.Fatalf("outcome %v %v %v", o.Reason, o.Action, o.Err)
			}
			if c.reason == burr.HaltedBefore {
				// The result of the last action that ran: counter.
				if o.Result["count"] != 10 {
					t.Fatalf("result %v", o.Result)
				}
			} else if o.Result["count"] != 10 {
				t.Fatalf("result %v", o.Result)
			}
			// StreamIterate tells the same.
			app2 := counterApp(t)
			for st, err := range app2.StreamIterate(ctx, c.opts...) {
				if err != nil {
					t.Fatal(err)
				}
				st.Get()
			}
			if o2 := app2.Outcome(); o2.Reason != c.reason || o2.Action.Name() != c.action || o2.Result["count"] != 10 {
				t.Fatalf("stream outcome %v %v %v", o2.Reason, o2.Action, o2.Result)
			}
		})
	}
}

func TestOutcomeStoppedFailedInterrupted(t *testing.T) {
	ctx := t.Context()
	app := counterApp(t)
	for range app.Iterate(ctx) {
		break
	}
	if o := app.Outcome(); o.Reason != burr.Stopped || o.Action.Name() != "counter" || o.Result["count"] != 1 {
		t.Fatalf("stopped: %v %v %v", o.Reason, o.Action, o.Result)
	}
	fail := burr.NewAction("fail", func(context.Context, burr.State) (burr.State, error) {
		return burr.State{}, errors.New("boom")
	})
	fapp := mustNew(t, burr.WithActions(fail), burr.WithEntrypoint("fail"))
	fapp.Run(ctx)
	if o := fapp.Outcome(); o.Reason != burr.Failed || o.Action.Name() != "fail" || o.Err == nil {
		t.Fatalf("failed: %v %v %v", o.Reason, o.Action, o.Err)
	}
	runs := 0
	iapp := mustNew(t, append(approvalOpts(&runs), burr.WithEntrypoint("propose"))...)
	for range iapp.Iterate(ctx) {
	}
	if o := iapp.Outcome(); o.Reason != burr.Interrupted || o.Action.Name() != "approve" || !errors.As(o.Err, new(*burr.Interrupt)) {
		t.Fatalf("interrupted: %v %v %v", o.Reason, o.Action, o.Err)
	}
	if o := iapp.Outcome(); o.Reason.String() != "interrupted" {
		t.Fatal(o.Reason.String())
	}
}

func TestUpdateStateAndResetToEntrypoint(t *testing.T) {
	ctx := t.Context()
	store := newFakeStore()
	app := counterApp(t, burr.WithPersister(store))
	if _, err := app.Run(ctx, burr.HaltAfter("counter")); err != nil {
		t.Fatal(err)
	}
	if err := app.UpdateState(app.State().Set("count", 9)); err != nil {
		t.Fatal(err)
	}
	res, err := app.Step(ctx)
	if err != nil || res.Result["count"] != 10 {
		t.Fatalf("%v %v", res.Result, err)
	}
	if last := store.records[len(store.records)-1]; count.Or(last.State, 0) != 10 || last.SequenceID != 1 {
		t.Fatalf("the edited state was not saved with the next step: %+v", last)
	}
	// Reset: the entrypoint runs next, on the kept state.
	if err := app.ResetToEntrypoint(); err != nil {
		t.Fatal(err)
	}
	if _, ok := app.State().PriorStep(); ok {
		t.Fatal("prior step kept")
	}
	if next, _ := app.NextAction(); next.Name() != "counter" {
		t.Fatalf("next %v", next)
	}
	// An unknown prior step is refused, naming it.
	err = app.UpdateState(burr.StateFrom(map[string]any{burr.PriorStepKey: "nope"}))
	wantErrContains(t, err, `prior step "nope" is not an action`)
}

// TestEditStateWhileBusy: editing the state during a call fails with
// ErrBusy instead of racing.
func TestEditStateWhileBusy(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	block := burr.NewAction("block", func(_ context.Context, s burr.State) (burr.State, error) {
		close(entered)
		<-release
		return s, nil
	})
	app := mustNew(t, burr.WithActions(block), burr.WithEntrypoint("block"))
	var wg sync.WaitGroup
	wg.Go(func() { app.Step(context.Background()) })
	<-entered
	if err := app.UpdateState(burr.State{}); !errors.Is(err, burr.ErrBusy) {
		t.Errorf("UpdateState during a call: %v", err)
	}
	if err := app.ResetToEntrypoint(); !errors.Is(err, burr.ErrBusy) {
		t.Errorf("ResetToEntrypoint during a call: %v", err)
	}
	close(release)
	wg.Wait()
}
