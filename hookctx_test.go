package burr_test

import (
	"context"
	"errors"
	"testing"

	"github.com/burrgo/burr"
)

type ctxMark struct{}

// ctxHook marks the step's and spans' contexts, and records what the steps
// and child applications saw. It passes on to children.
type ctxHook struct {
	seen chan string
}

func (h *ctxHook) ForChild() any { return h }

func (h *ctxHook) StepContext(ctx context.Context, e *burr.StepStart) context.Context {
	return context.WithValue(ctx, ctxMark{}, "step "+e.Action.Name())
}

func (h *ctxHook) SpanContext(ctx context.Context, s *burr.Span) context.Context {
	return context.WithValue(ctx, ctxMark{}, "span "+s.Name)
}

func (h *ctxHook) PreRunExecuteCall(ctx context.Context, e *burr.ExecuteCall) error {
	if v, ok := ctx.Value(ctxMark{}).(string); ok {
		h.seen <- "call under " + v
	}
	return nil
}

func (h *ctxHook) PostRunStep(ctx context.Context, e *burr.StepEnd) error {
	v, _ := ctx.Value(ctxMark{}).(string)
	h.seen <- "post " + e.Action.Name() + " sees " + v
	return nil
}

func TestStepContextHook(t *testing.T) {
	h := &ctxHook{seen: make(chan string, 100)}
	child := burr.NewAction("child", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s, nil
	})
	g, err := burr.NewGraph([]*burr.Action{child})
	if err != nil {
		t.Fatal(err)
	}
	sub := burr.NewSubgraph(g, "child")
	parent := burr.NewAction("parent", func(ctx context.Context, s burr.State) (burr.State, error) {
		if v := ctx.Value(ctxMark{}); v != "step parent" {
			return s, errors.New("action sees " + v.(string))
		}
		sctx, sp := burr.StartSpan(ctx, "inner")
		defer sp.End()
		if v := sctx.Value(ctxMark{}); v != "span inner" {
			return s, errors.New("span context holds " + v.(string))
		}
		if _, ok := burr.FromContext(sctx); !ok {
			return s, errors.New("the span's context lost the step")
		}
		_, err := burr.RunChild(ctx, burr.Task{Subgraph: sub, State: s})
		return s, err
	})
	app := mustNew(t, burr.WithActions(parent), burr.WithEntrypoint("parent"), burr.WithHooks(h))
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(h.seen)
	var got []string
	for s := range h.seen {
		got = append(got, s)
	}
	want := []string{"call under step parent", "post child sees step child", "post parent sees step parent"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

type panicCtxHook struct{}

func (panicCtxHook) StepContext(ctx context.Context, e *burr.StepStart) context.Context {
	panic("boom")
}

func TestStepContextHookPanicKeepsContext(t *testing.T) {
	a := burr.NewAction("a", func(ctx context.Context, s burr.State) (burr.State, error) {
		if ctx.Value(ctxMark{}) != "caller" {
			return s, errors.New("caller's context lost")
		}
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("a"), burr.WithHooks(panicCtxHook{}))
	if _, err := app.Step(context.WithValue(context.Background(), ctxMark{}, "caller")); err != nil {
		t.Fatal(err)
	}
}

type endRecorder struct{ ends []burr.StreamEnd }

func (r *endRecorder) PostEndStream(ctx context.Context, e *burr.StreamEnd) error {
	r.ends = append(r.ends, *e)
	return nil
}

func TestStreamEndStopped(t *testing.T) {
	gen := burr.NewStreamingAction("gen", func(ctx context.Context, s burr.State, y burr.Yield) (burr.Result, burr.State, error) {
		n := 0
		for y(n) {
			n++
		}
		return burr.Result{"n": n}, s.Set("n", n), nil
	}, burr.Writes("n"))
	rec := &endRecorder{}
	app := mustNew(t, burr.WithActions(gen), burr.WithTransitions(burr.From("gen").To("gen")), burr.WithEntrypoint("gen"), burr.WithHooks(rec))
	for _, stop := range []bool{true, false} {
		s, err := app.StreamResult(context.Background(), burr.HaltAfter("gen"))
		if err != nil {
			t.Fatal(err)
		}
		if !s.Next() {
			t.Fatal(s.Err())
		}
		if stop {
			err = s.Stop()
		} else {
			err = s.Close()
		}
		if err != nil && !errors.Is(err, burr.ErrStreamClosed) {
			t.Fatal(err)
		}
		s.Get()
	}
	if len(rec.ends) != 2 || !rec.ends[0].Stopped || rec.ends[0].Err != nil || rec.ends[1].Stopped || !errors.Is(rec.ends[1].Err, burr.ErrStreamClosed) {
		t.Fatalf("%+v", rec.ends)
	}
}
