package burr_test

import (
	"context"
	"math"
	"testing"

	"github.com/burrgo/burr"
)

// Sequence ids are 0 or more: a negative start is refused at New (it could
// reach Latest, -1, which names no step).
func TestNegativeSequenceIDRefused(t *testing.T) {
	ctx := context.Background()
	base := []burr.Option{burr.WithActions(counterAction("counter")), burr.WithTransitions(burr.From("counter").To("counter")),
		burr.WithEntrypoint("counter")}
	_, err := burr.New(ctx, append(base, burr.WithSequenceID(-5))...)
	wantErrContains(t, err, "WithSequenceID(-5)", "negative")
	_, err = burr.New(ctx, append(base, burr.WithState(burr.State{}.Set(burr.SequenceIDKey, -1)))...)
	wantErrContains(t, err, burr.SequenceIDKey, "-1", "negative")

	store := newFakeStore()
	store.records = append(store.records, burr.Record{StepRef: burr.AppRef{AppID: "app"}.At(-3), Position: "counter",
		State: burr.State{}.Set("count", 1), Status: burr.StatusCompleted})
	_, err = burr.New(ctx, burr.WithActions(counterAction("counter")), burr.WithTransitions(burr.From("counter").To("counter")),
		burr.WithAppID("app"), burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	wantErrContains(t, err, `"app"`, "-3", "negative")
	_, err = burr.New(ctx, burr.WithActions(counterAction("counter")), burr.WithTransitions(burr.From("counter").To("counter")),
		burr.WithAppID("app"), burr.WithSequenceID(-1), burr.WithInitializeFrom(store, burr.DefaultEntrypoint("counter")))
	wantErrContains(t, err, "WithSequenceID(-1)")
}

type preStepCounter struct{ n int }

func (h *preStepCounter) PreRunStep(context.Context, *burr.StepStart) error { h.n++; return nil }

// A step after the largest sequence id is refused before anything runs,
// instead of wrapping around to a negative id.
func TestSequenceIDOverflowRefused(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	store.records = append(store.records, burr.Record{StepRef: burr.AppRef{AppID: "app"}.At(math.MaxInt), Position: "counter",
		State: burr.State{}.Set("count", 1), Status: burr.StatusCompleted})
	ran := 0
	counter := burr.NewAction("counter", func(_ context.Context, s burr.State) (burr.State, error) {
		ran++
		return s.Set("count", 2), nil
	}, burr.Writes("count"))
	streaming := burr.NewStreamingAction("stream", func(_ context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		ran++
		return nil, s, nil
	})
	for _, entry := range []string{"counter", "stream"} {
		hook := &preStepCounter{}
		app, err := burr.New(ctx, burr.WithActions(counter, streaming),
			burr.WithTransitions(burr.From("counter").To(entry), burr.From("stream").To("stream")),
			burr.WithAppID("app"), burr.WithHooks(hook),
			burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
		if err != nil {
			t.Fatal(err)
		}
		before := app.State()
		if entry == "stream" {
			_, err = app.StreamResult(ctx, burr.HaltAfter("stream"))
		} else {
			_, err = app.Step(ctx)
		}
		wantErrContains(t, err, `"app"`, `"`+entry+`"`, "largest")
		if ran != 0 || hook.n != 0 {
			t.Fatalf("%s: the action ran %d times, pre-step hooks %d times", entry, ran, hook.n)
		}
		if seq, _ := app.State().SequenceID(); seq != math.MaxInt || app.State().Value("count") != before.Value("count") {
			t.Fatalf("%s: state changed to %v", entry, app.State())
		}
		if len(store.records) != 1 {
			t.Fatalf("%s: %d records saved", entry, len(store.records)-1)
		}
	}
}
