package burr_test

import (
	"context"
	"errors"
	"testing"

	"github.com/burrgo/burr"
)

func TestInitializeFromValidation(t *testing.T) {
	store := newFakeStore()
	base := []burr.Option{burr.WithActions(counterAction("counter")), burr.WithAppID("app")}
	cases := []struct {
		name string
		opts []burr.Option
		want string
	}{
		{"with state", []burr.Option{burr.WithState(burr.State{}), burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"))}, "cannot be combined"},
		{"with entrypoint", []burr.Option{burr.WithEntrypoint("counter"), burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"))}, "cannot be combined"},
		{"fork without app", []burr.Option{burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"), burr.ForkFrom(burr.StepRef{SequenceID: 3}))}, "needs the app id to fork from"},
		{"fork into itself", []burr.Option{burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"), burr.ForkFrom(burr.AppRef{AppID: "app"}.At(burr.Latest)))}, `same app id "app"`},
		{"no default entrypoint", []burr.Option{burr.WithInitializeFrom(store)}, "DefaultEntrypoint"},
		{"nil loader", []burr.Option{burr.WithInitializeFrom(nil, burr.DefaultEntrypoint("counter"))}, "needs a loader"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := burr.New(context.Background(), append(base, c.opts...)...)
			wantErrContains(t, err, c.want)
		})
	}
}

func TestPersistResumeFork(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	app := counterApp(t, burr.WithAppID("a1"), burr.WithPersister(store))
	for range 3 {
		if _, err := app.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(store.records) != 3 || store.records[2].Status != burr.StatusCompleted || store.records[2].Position != "counter" {
		t.Fatalf("records %+v", store.records)
	}
	mk := func(opts ...burr.InitOption) *burr.Application {
		return mustNew(t, burr.WithActions(counterAction("counter"), burr.ResultAction("result", "count")),
			burr.WithTransitions(burr.From("counter").To("counter", burr.Expr("count < 10")), burr.From("counter").To("result")),
			burr.WithAppID("a1"), burr.WithPersister(store),
			burr.WithInitializeFrom(store, append([]burr.InitOption{burr.DefaultEntrypoint("counter"), burr.DefaultState(burr.State{}.Set("count", 0))}, opts...)...))
	}
	// Resume: continue at the next action with the next sequence id.
	resumed := mk(burr.ResumeAtNextAction())
	if seq, _ := resumed.SequenceID(); seq != 2 || count.Or(resumed.State(), 0) != 3 {
		t.Fatalf("resumed at %d with %v", seq, resumed.State())
	}
	res, err := resumed.Run(ctx, burr.HaltAfter("result"))
	if err != nil || res.Result["count"] != 10 {
		t.Fatal(res, err)
	}
	if seq, _ := resumed.SequenceID(); seq != 10 {
		t.Fatalf("seq %d", seq)
	}
	// Fork from sequence id 1 into a new app: the parent pointer is recorded.
	fork := mustNew(t, burr.WithActions(counterAction("counter")), burr.WithAppID("fork"),
		burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"), burr.ResumeAtNextAction(), burr.ForkFrom(burr.AppRef{AppID: "a1"}.At(1))))
	if p := fork.Parent(); p == nil || p.AppID != "a1" || p.SequenceID != 1 || count.Or(fork.State(), 0) != 2 {
		t.Fatalf("fork parent %+v state %v", p, fork.State())
	}
	// Not resuming restarts at the default entrypoint, keeping the state.
	restarted := mk()
	if next, _ := restarted.NextAction(); next.Name() != "counter" || count.Or(restarted.State(), 0) != 10 {
		t.Fatalf("restart: %v %v", next, restarted.State())
	}
	// Nothing saved: the defaults.
	fresh := mustNew(t, burr.WithActions(counterAction("counter")), burr.WithAppID("new"),
		burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"), burr.DefaultState(burr.State{}.Set("count", 7))))
	if _, ok := fresh.SequenceID(); ok || count.Or(fresh.State(), 0) != 7 {
		t.Fatal(fresh.State())
	}
}

func TestPersistFailedStepIsRetried(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	fail := true
	flaky := burr.NewAction("flaky", func(_ context.Context, s burr.State) (burr.State, error) {
		if fail {
			return s, errors.New("flaky")
		}
		return s.Set("done", true), nil
	}, burr.Writes("done"))
	app := mustNew(t, burr.WithActions(counterAction("counter"), flaky), burr.WithTransitions(burr.From("counter").To("flaky")),
		burr.WithEntrypoint("counter"), burr.WithAppID("f"), burr.WithPersister(store))
	if _, err := app.Run(ctx); err == nil {
		t.Fatal("want the flaky error")
	}
	last := store.records[len(store.records)-1]
	if last.Status != burr.StatusFailed || last.Position != "flaky" || last.State.Has("done") {
		t.Fatalf("failed record %+v", last)
	}
	fail = false
	resumed := mustNew(t, burr.WithActions(counterAction("counter"), flaky), burr.WithTransitions(burr.From("counter").To("flaky")),
		burr.WithAppID("f"), burr.WithPersister(store), burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter"), burr.ResumeAtNextAction()))
	res, err := resumed.Step(ctx)
	if err != nil || res.Action.Name() != "flaky" || res.State.Value("done") != true {
		t.Fatal(res, err)
	}
}
