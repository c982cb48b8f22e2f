package burr_test

import (
	"context"
	"errors"
	"testing"

	"github.com/burrgo/burr"
)

func addAction(name, key string, by int) *burr.Action {
	k := burr.Key[int](key)
	return burr.NewAction(name, func(_ context.Context, s burr.State) (burr.State, error) {
		return k.Set(s, k.Or(s, 0)+by), nil
	}, burr.Reads(key), burr.Writes(key))
}

func TestJoinGraphs(t *testing.T) {
	shared := addAction("shared", "n", 1000)
	g1, err := burr.NewGraph([]*burr.Action{addAction("a1", "n", 1), addAction("a2", "n", 10), shared},
		burr.From("a1").To("a2"), burr.From("a2").To("shared"))
	if err != nil {
		t.Fatal(err)
	}
	g2, err := burr.NewGraph([]*burr.Action{addAction("b1", "n", 100), shared}, burr.From("shared").To("b1"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := burr.JoinGraphs([]*burr.Graph{g1, g2})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.Actions()); n != 4 {
		t.Fatalf("%d actions, want 4 (the shared one once)", n)
	}
	app := mustNew(t, burr.WithGraph(g), burr.WithEntrypoint("a1"))
	res, err := app.Run(t.Context(), burr.HaltAfter("b1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.State.Value("n"); got != 1111 {
		t.Fatalf("n = %v, want 1111", got)
	}

	t.Run("connecting transitions", func(t *testing.T) {
		g3, _ := burr.NewGraph([]*burr.Action{addAction("c1", "n", 5)})
		g, err := burr.JoinGraphs([]*burr.Graph{g1, g3}, burr.From("shared").To("c1"))
		if err != nil {
			t.Fatal(err)
		}
		app := mustNew(t, burr.WithGraph(g), burr.WithEntrypoint("a1"))
		if res, err := app.Run(t.Context(), burr.HaltAfter("c1")); err != nil || res.State.Value("n") != 1016 {
			t.Fatalf("n = %v, %v; want 1016", res.State.Value("n"), err)
		}
	})
	t.Run("name clash", func(t *testing.T) {
		g3, _ := burr.NewGraph([]*burr.Action{addAction("a1", "m", 1)})
		_, err := burr.JoinGraphs([]*burr.Graph{g1, g3})
		wantErrContains(t, err, `action "a1" is duplicated`)
	})
	t.Run("nil graph", func(t *testing.T) {
		_, err := burr.JoinGraphs([]*burr.Graph{g1, nil})
		wantErrContains(t, err, "graph 1 is nil")
	})
}

func TestGraphAction(t *testing.T) {
	inner, err := burr.NewGraph([]*burr.Action{addAction("x1", "n", 1), addAction("x2", "n", 10),
		burr.NewAction("scratch", func(_ context.Context, s burr.State) (burr.Result, burr.State, error) {
			return burr.Result{"done": true}, s.Set("scratch", "inner only"), nil
		}, burr.Writes("scratch"))},
		burr.From("x1").To("x2"), burr.From("x2").To("scratch"))
	if err != nil {
		t.Fatal(err)
	}
	ga := burr.NewGraphAction("inner", burr.NewSubgraph(inner, "x1", "scratch"), burr.Reads("n"), burr.Writes("n"))
	tr := newAppTracker()
	app := mustNew(t, burr.WithActions(addAction("before", "n", 100), ga, addAction("after", "n", 1000)),
		burr.WithTransitions(burr.From("before").To("inner"), burr.From("inner").To("after")),
		burr.WithEntrypoint("before"), burr.WithHooks(tr))
	var results []burr.StepResult
	for r, err := range app.Iterate(t.Context(), burr.HaltAfter("after")) {
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, r)
	}
	final := results[len(results)-1].State
	if got := final.Value("n"); got != 1111 {
		t.Fatalf("n = %v, want 1111", got)
	}
	if final.Has("scratch") {
		t.Fatal("a key the graph action did not declare leaked into the parent")
	}
	if r := results[1].Result; r["done"] != true {
		t.Fatalf("the graph action's result %v, want the child's last result", r)
	}
	child := burr.ChildAppID(app.Ref().At(1), 0)
	if got := tr.steps[child]; len(got) != 3 {
		t.Fatalf("child steps %v, want 3", got)
	}

	t.Run("invalid subgraph", func(t *testing.T) {
		_, err := burr.New(t.Context(), burr.WithActions(burr.NewGraphAction("g", burr.NewSubgraph(inner, "nope"))), burr.WithEntrypoint("g"))
		var ge *burr.GraphError
		if !errors.As(err, &ge) {
			t.Fatalf("error %v, want a *GraphError", err)
		}
		wantErrContains(t, err, `graph action "g"`, `"nope"`)
	})
	t.Run("child failure", func(t *testing.T) {
		bad := burr.NewAction("bad", func(_ context.Context, s burr.State) (burr.State, error) { return s, errors.New("no good") })
		app := mustNew(t, burr.WithActions(burr.NewGraphAction("g", burr.SubgraphOf(bad))), burr.WithEntrypoint("g"))
		_, err := app.Step(t.Context())
		var ce *burr.ChildError
		if !errors.As(err, &ce) || ce.Index != 0 {
			t.Fatalf("error %v, want a *ChildError", err)
		}
		wantErrContains(t, err, `action "g"`, `action "bad"`, "no good")
	})
}
