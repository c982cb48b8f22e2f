package burr_test

import (
	"context"
	"fmt"

	"github.com/burrgo/burr"
)

// spanPrinter is a hook that prints spans and attributes as they happen.
type spanPrinter struct{}

func (spanPrinter) PreStartSpan(_ context.Context, s *burr.Span) error {
	fmt.Printf("start %s %s (parent %q, step %d of %s)\n", s.ID, s.Name, s.ParentID, s.SequenceID, s.Action.Name())
	return nil
}

func (spanPrinter) PostEndSpan(_ context.Context, s *burr.Span) error {
	fmt.Printf("end   %s %s\n", s.ID, s.Name)
	return nil
}

func (spanPrinter) DoLogAttributes(_ context.Context, a *burr.Attributes) error {
	for _, at := range a.Attributes {
		fmt.Printf("attr  %s=%v on span %q\n", at.Key, at.Value, a.SpanID)
	}
	return nil
}

// Spans and attributes record what happens inside an action; hooks (the
// tracker, say) receive them. Span ids are Burr's: "<step>:<index>.<child>".
func ExampleStartSpan() {
	answer := burr.NewAction("answer", func(ctx context.Context, s burr.State) (burr.State, error) {
		sctx, span := burr.StartSpan(ctx, "retrieve")
		burr.LogAttributes(sctx, "documents", 3) // on the span
		_, inner := burr.StartSpan(sctx, "rank") // a child of the span
		inner.End()
		span.End()
		burr.LogAttributes(ctx, "model", "offline") // on the action
		return s, nil
	})
	app, _ := burr.New(context.Background(), burr.WithActions(answer), burr.WithEntrypoint("answer"),
		burr.WithHooks(spanPrinter{}))
	app.Step(context.Background())
	// Output:
	// start 0:0 retrieve (parent "", step 0 of answer)
	// attr  documents=3 on span "0:0"
	// start 0:0.0 rank (parent "0:0", step 0 of answer)
	// end   0:0.0 rank
	// end   0:0 retrieve
	// attr  model=offline on span ""
}

// An action finds the step it runs in: to log it, or to start a
// sub-application that records its spawning parent.
func ExampleFromContext() {
	var child *burr.Application
	spawn := burr.NewAction("spawn", func(ctx context.Context, s burr.State) (burr.State, error) {
		step, _ := burr.FromContext(ctx)
		fmt.Printf("running %s: app %s, sequence id %d\n", step.Action.Name(), step.AppID, step.SequenceID)
		var err error
		child, err = burr.New(ctx, burr.WithActions(burr.ResultAction("work")), burr.WithEntrypoint("work"),
			burr.WithAppID(step.AppID+"/child"), burr.WithSpawningParent(step.StepRef))
		return s, err
	})
	app, _ := burr.New(context.Background(), burr.WithActions(spawn), burr.WithEntrypoint("spawn"),
		burr.WithAppID("parent"), burr.WithSequenceID(4))
	app.Step(context.Background())
	p := child.SpawningParent()
	fmt.Printf("%s was started by %s at step %d\n", child.Ref().AppID, p.AppID, p.SequenceID)
	// Output:
	// running spawn: app parent, sequence id 5
	// parent/child was started by parent at step 5
}
