package burr_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/burrgo/burr"
)

func TestSpansDoNotCrossApplications(t *testing.T) {
	rec := &recorder{}
	child := burr.NewAction("child", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, sp := burr.StartSpan(ctx, "child-span")
		sp.End()
		return s, nil
	})
	parent := burr.NewAction("parent", func(ctx context.Context, s burr.State) (burr.State, error) {
		ctx, sp := burr.StartSpan(ctx, "parent-span")
		defer sp.End()
		app, err := burr.New(ctx, burr.WithActions(child), burr.WithEntrypoint("child"), burr.WithSequenceID(10), burr.WithHooks(rec))
		if err != nil {
			return s, err
		}
		_, err = app.Run(ctx)
		return s, err
	})
	app := mustNew(t, burr.WithActions(parent), burr.WithEntrypoint("parent"), burr.WithHooks(rec))
	if _, err := app.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if indexOf(rec.list(), "span_start 11:0 child-span parent=") < 0 {
		t.Fatal(rec.list())
	}
}

func TestSpansAndAttributes(t *testing.T) {
	rec := &recorder{}
	a := burr.NewAction("traced", func(ctx context.Context, s burr.State) (burr.State, error) {
		burr.LogAttributes(ctx, "top_level", 1)
		octx, outer := burr.StartSpan(ctx, "outer")
		burr.LogAttributes(octx, "inner", true)
		_, inner := burr.StartSpan(octx, "inner", "outer")
		inner.End()
		_, second := burr.StartSpan(octx, "second_child")
		second.End()
		outer.End()
		_, next := burr.StartSpan(ctx, "second")
		next.End()
		next.End() // idempotent
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithTransitions(burr.From("traced").To("traced")), burr.WithEntrypoint("traced"), burr.WithHooks(rec))
	for range 2 {
		if _, err := app.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"pre_step traced 1", "attrs top_level span=", "span_start 1:0 outer parent=", "attrs inner span=1:0",
		"span_start 1:0.0 inner parent=1:0", "span_end 1:0.0", "span_start 1:0.1 second_child parent=1:0", "span_end 1:0.1",
		"span_end 1:0", "span_start 1:1 second parent=", "span_end 1:1", "post_step traced 1",
	}
	got := rec.list()
	// Skip the first step's events: check the second step's numbering.
	if i := indexOf(got, "pre_step traced 1"); i < 0 || !reflect.DeepEqual(got[i:i+len(want)], want) {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	// Without hooks, spans cost nothing and are nil.
	ctx, sp := burr.StartSpan(context.Background(), "x")
	if sp != nil || ctx == nil {
		t.Fatal("span outside a step")
	}
	sp.End()
}
