package burrotel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/burrgo/burr"
	burrotel "github.com/burrgo/burr/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

func TestStepsSpansAndAttributes(t *testing.T) {
	tp, exp := newProvider(t)
	n := burr.Key[int]("n")
	count := burr.NewAction("count", func(ctx context.Context, s burr.State) (burr.State, error) {
		burr.LogAttributes(ctx, "on_step", "yes", "gen_ai.usage.prompt_tokens", 12)
		sctx, sp := burr.StartSpan(ctx, "retrieve")
		burr.LogAttributes(sctx, "docs", []string{"a", "b"})
		_, inner := burr.StartSpan(sctx, "rank", "retrieve")
		inner.End()
		sp.End()
		return n.Set(s, n.Or(s, 0)+1), nil
	}, burr.Reads("n"), burr.Writes("n"))
	fail := burr.NewAction("fail", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s, errors.New("no luck")
	})
	app := mustNew(t, burr.WithActions(count, fail), burr.WithTransitions(
		burr.From("count").To("count", burr.Expr("n < 2")), burr.From("count").To("fail")),
		burr.WithEntrypoint("count"), burr.WithAppID("app-1"), burr.WithPartitionKey("user-1"),
		burr.WithHooks(burrotel.New(tp)))

	parent, root := tp.Tracer("test").Start(context.Background(), "request")
	_, err := app.Run(parent)
	root.End()
	if err == nil {
		t.Fatal("fail did not fail")
	}
	spans := exp.GetSpans()
	want := `request
  burr.run
    count
      retrieve
        rank
    count
      retrieve
        rank
    fail
`
	if got := tree(spans); got != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
	run := find(t, spans, "burr.run")
	wantAttr(t, run, "burr.app_id", "app-1")
	wantAttr(t, run, "burr.partition_key", "user-1")
	wantAttr(t, run, "burr.method", "run")
	if run.Status.Code != codes.Error {
		t.Fatalf("run status %v", run.Status)
	}
	step := find(t, spans, "count")
	wantAttr(t, step, "burr.sequence_id", 0)
	wantAttr(t, step, "burr.action", "count")
	wantAttr(t, step, "on_step", "yes")
	wantAttr(t, step, "gen_ai.usage.input_tokens", 12)
	if _, ok := attr(step, "gen_ai.usage.prompt_tokens"); ok {
		t.Fatal("the old token count name was exported")
	}
	retrieve := find(t, spans, "retrieve")
	wantAttr(t, retrieve, "docs", []string{"a", "b"})
	wantAttr(t, retrieve, "burr.span_id", "0:0")
	wantAttr(t, find(t, spans, "rank"), "burr.span.dependencies", []string{"retrieve"})
	f := find(t, spans, "fail")
	if f.Status.Code != codes.Error || f.Status.Description == "" || len(f.Events) == 0 {
		t.Fatalf("failed step: %+v %+v", f.Status, f.Events)
	}
	if retrieve.SpanContext.TraceID() != root.SpanContext().TraceID() {
		t.Fatal("the run is not in the caller's trace")
	}
}

func TestChildrenNestUnderParentStep(t *testing.T) {
	tp, exp := newProvider(t)
	leaf := burr.NewAction("leaf", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, sp := burr.StartSpan(ctx, "leaf-work")
		sp.End()
		return s, nil
	})
	g, err := burr.NewGraph([]*burr.Action{leaf})
	if err != nil {
		t.Fatal(err)
	}
	sub := burr.NewSubgraph(g, "leaf")
	fan := burr.MapStates("fan", sub, func(ctx context.Context, s burr.State, in burr.Inputs) ([]burr.State, error) {
		return []burr.State{s, s, s}, nil
	}, func(ctx context.Context, s burr.State, children []burr.State) (burr.State, error) {
		return s, nil
	})
	app := mustNew(t, burr.WithActions(fan), burr.WithEntrypoint("fan"), burr.WithHooks(burrotel.New(tp)))
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `burr.step
  fan
    burr.run
      leaf
        leaf-work
    burr.run
      leaf
        leaf-work
    burr.run
      leaf
        leaf-work
`
	if got := tree(exp.GetSpans()); got != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
}

func TestInstrumentedCodeNestsUnderStepAndSpan(t *testing.T) {
	tp, exp := newProvider(t)
	lib := tp.Tracer("some/library")
	a := burr.NewAction("a", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, x := lib.Start(ctx, "http GET")
		x.End()
		sctx, sp := burr.StartSpan(ctx, "work")
		_, y := lib.Start(sctx, "db query")
		y.End()
		sp.End()
		if !trace.SpanContextFromContext(ctx).IsValid() {
			return s, errors.New("the action's context holds no span")
		}
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("a"), burr.WithHooks(burrotel.New(tp)))
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `burr.step
  a
    http GET
    work
      db query
`
	if got := tree(exp.GetSpans()); got != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
}

func TestRetriedStepCountsAttempts(t *testing.T) {
	tp, exp := newProvider(t)
	tries := 0
	a := burr.NewAction("flaky", func(ctx context.Context, s burr.State) (burr.State, error) {
		if tries++; tries < 3 {
			return s, errors.New("try again")
		}
		return s, nil
	}, burr.Retry(burr.RetryPolicy{Attempts: 3}))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("flaky"), burr.WithHooks(burrotel.New(tp)))
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	want := `burr.step
  flaky
    attempt 1
    attempt 2
`
	if got := tree(spans); got != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
	wantAttr(t, find(t, spans, "flaky"), "burr.attempt", 3)
	wantAttr(t, find(t, spans, "attempt 1"), "error", "try again")
}

// A span the action leaves open ends with its step, and spans opened on
// several goroutines nest under the step.
func TestOpenSpansEndWithTheirStep(t *testing.T) {
	tp, exp := newProvider(t)
	a := burr.NewAction("a", func(ctx context.Context, s burr.State) (burr.State, error) {
		burr.StartSpan(ctx, "forgotten")
		done := make(chan struct{})
		for range 2 {
			go func() {
				_, sp := burr.StartSpan(ctx, "worker")
				sp.End()
				done <- struct{}{}
			}()
		}
		<-done
		<-done
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("a"), burr.WithHooks(burrotel.New(tp)))
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `burr.step
  a
    forgotten
    worker
    worker
`
	if got := tree(exp.GetSpans()); got != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
}

// A step that asks a question is not a failure.
func TestInterruptedStepIsNotAnError(t *testing.T) {
	tp, exp := newProvider(t)
	a := burr.NewAction("approve", func(ctx context.Context, s burr.State) (burr.State, error) {
		v, err := burr.Ask(ctx, "ok?")
		if err != nil {
			return s, err
		}
		return s.Set("answer", v), nil
	}, burr.Writes("answer"))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("approve"), burr.WithHooks(burrotel.New(tp)))
	var intr *burr.Interrupt
	if _, err := app.Step(context.Background()); !errors.As(err, &intr) {
		t.Fatalf("Step: %v, want an interrupt", err)
	}
	for _, name := range []string{"approve", "burr.step"} {
		s := find(t, exp.GetSpans(), name)
		wantAttr(t, s, "burr.interrupted", true)
		if s.Status.Code == codes.Error {
			t.Fatalf("%s: status %+v", name, s.Status)
		}
	}
	exp.Reset()
	if _, err := app.Step(context.Background(), burr.WithAnswer("yes")); err != nil {
		t.Fatal(err)
	}
	if _, ok := attr(find(t, exp.GetSpans(), "approve"), "burr.interrupted"); ok {
		t.Fatal("the answered step is marked interrupted")
	}
}
