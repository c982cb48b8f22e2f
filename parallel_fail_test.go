package burr_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

var (
	idx = burr.Key[int]("i")
	out = burr.Key[int]("out")
)

// fanOut returns an application whose single action "fan" runs child(i) for
// i in [0, n) as children and sums their "out" into "total".
func fanOut(t testing.TB, n int, child func(ctx context.Context, i int) (int, error), aopts []burr.ActionOption, opts ...burr.Option) *burr.Application {
	t.Helper()
	work := burr.NewAction("work", func(ctx context.Context, s burr.State) (burr.State, error) {
		v, err := child(ctx, idx.Or(s, -1))
		if err != nil {
			return s, err
		}
		return out.Set(s, v), nil
	}, burr.Reads("i"), burr.Writes("out"))
	sub := burr.SubgraphOf(work)
	fan := burr.MapStates("fan", sub, func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
		states := make([]burr.State, n)
		for i := range states {
			states[i] = idx.Set(burr.State{}, i)
		}
		return states, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		total := 0
		for _, c := range children {
			total += out.Or(c, 0)
		}
		return s.Set("total", total), nil
	}, append([]burr.ActionOption{burr.Writes("total")}, aopts...)...)
	return mustNew(t, append([]burr.Option{burr.WithActions(fan), burr.WithEntrypoint("fan")}, opts...)...)
}

func TestFanOutSums(t *testing.T) {
	app := fanOut(t, 100, func(_ context.Context, i int) (int, error) { return i, nil }, nil)
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.State.Value("total"); got != 4950 {
		t.Fatalf("total %v, want 4950", got)
	}
}

func TestFirstErrorCancelsSiblings(t *testing.T) {
	boom := errors.New("boom")
	var mu sync.Mutex
	var causes []error
	app := fanOut(t, 8, func(ctx context.Context, i int) (int, error) {
		if i == 3 {
			return 0, boom
		}
		<-ctx.Done() // only the failure of child 3 ends the others
		mu.Lock()
		causes = append(causes, context.Cause(ctx))
		mu.Unlock()
		return 0, context.Cause(ctx)
	}, []burr.ActionOption{burr.MaxConcurrency(8)})
	_, err := app.Step(t.Context())
	var ce *burr.ChildError
	if !errors.As(err, &ce) || ce.Index != 3 || !errors.Is(err, boom) {
		t.Fatalf("error %v: want child 3's", err)
	}
	if want := burr.ChildAppID(app.Ref().At(0), 3); ce.AppID != want || ce.Action != "fan" {
		t.Fatalf("child error names app %q of action %q, want %q of \"fan\"", ce.AppID, ce.Action, want)
	}
	wantErrContains(t, err, `action "fan"`, "child 3", ce.AppID, "boom")
	for _, c := range causes {
		var cc *burr.ChildError
		if !errors.As(c, &cc) || cc.Index != 3 {
			t.Fatalf("a sibling was cancelled with cause %v, want child 3's error", c)
		}
	}
	if _, ok := app.State().SequenceID(); !ok {
		t.Fatal("the failed step did not spend its sequence id")
	}
	if app.State().Has("total") {
		t.Fatal("a failed fan-out changed the state")
	}
}

func TestCollectErrors(t *testing.T) {
	var ran atomic.Int32
	app := fanOut(t, 10, func(_ context.Context, i int) (int, error) {
		ran.Add(1)
		if i == 1 || i == 4 {
			return 0, errors.New("bad input")
		}
		return i, nil
	}, []burr.ActionOption{burr.CollectErrors(), burr.MaxConcurrency(3)})
	_, err := app.Step(t.Context())
	if ran.Load() != 10 {
		t.Fatalf("%d children ran, want all 10", ran.Load())
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("error %v is not a joined error", err)
	}
	var got []int
	for _, e := range joined.Unwrap() {
		var ce *burr.ChildError
		if !errors.As(e, &ce) {
			t.Fatalf("joined error %v is not a *ChildError", e)
		}
		got = append(got, ce.Index)
	}
	if !slices.Equal(got, []int{1, 4}) {
		t.Fatalf("failed children %v, want [1 4] in task order", got)
	}
}

func TestChildPanicIsAnError(t *testing.T) {
	app := fanOut(t, 4, func(_ context.Context, i int) (int, error) {
		if i == 2 {
			panic("child exploded")
		}
		return i, nil
	}, nil)
	_, err := app.Step(t.Context())
	var ce *burr.ChildError
	var pe *burr.PanicError
	if !errors.As(err, &ce) || ce.Index != 2 || !errors.As(err, &pe) {
		t.Fatalf("error %v: want a *PanicError of child 2", err)
	}
	// The application stays usable.
	if _, err := app.Step(t.Context()); err == nil {
		t.Fatal("the second run of the panicking fan-out succeeded")
	}
}

func TestPanicsInTasksAndReduce(t *testing.T) {
	sub := burr.SubgraphOf(burr.NewAction("noop", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil }))
	reduceOK := func(_ context.Context, s burr.State, _ []burr.State) (burr.State, error) { return s, nil }
	for name, a := range map[string]*burr.Action{
		"tasks": burr.NewParallelAction("p", func(context.Context, burr.State, burr.Inputs) ([]burr.Task, error) {
			panic("in tasks")
		}, reduceOK),
		"reduce": burr.NewParallelAction("p", func(context.Context, burr.State, burr.Inputs) ([]burr.Task, error) {
			return []burr.Task{{Subgraph: sub}}, nil
		}, func(context.Context, burr.State, []burr.State) (burr.State, error) { panic("in reduce") }),
	} {
		t.Run(name, func(t *testing.T) {
			app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("p"))
			_, err := app.Step(t.Context())
			var pe *burr.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v: want a *PanicError", err)
			}
			wantErrContains(t, err, `action "p"`)
		})
	}
}

func TestCancelMidFanOut(t *testing.T) {
	cause := errors.New("caller gave up")
	ctx, cancel := context.WithCancelCause(t.Context())
	var started atomic.Int32
	app := fanOut(t, 20, func(ctx context.Context, i int) (int, error) {
		if started.Add(1) == 4 {
			cancel(cause) // the fourth child to start cancels the caller's context
		}
		<-ctx.Done()
		return 0, context.Cause(ctx)
	}, []burr.ActionOption{burr.MaxConcurrency(4)})
	_, err := app.Step(ctx)
	if !errors.Is(err, cause) {
		t.Fatalf("error %v: want the caller's cause", err)
	}
	if n := started.Load(); n > 4+3 {
		t.Fatalf("%d children started after the cancellation; want the executor to stop starting them", n)
	}
}

func TestReduceOrderUnderRandomDelays(t *testing.T) {
	const n = 40
	var order []int
	var mu sync.Mutex
	work := burr.NewAction("work", func(_ context.Context, s burr.State) (burr.State, error) {
		// Children finish in a random order.
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		mu.Lock()
		order = append(order, idx.Or(s, -1))
		mu.Unlock()
		return out.Set(s, idx.Or(s, -1)), nil
	}, burr.Reads("i"), burr.Writes("out"))
	fan := burr.MapStates("fan", burr.SubgraphOf(work), func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) {
		var ss []burr.State
		for i := range n {
			ss = append(ss, idx.Set(burr.State{}, i))
		}
		return ss, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		var seen []int
		for _, c := range children {
			seen = append(seen, out.Or(c, -1))
		}
		return s.Set("seen", seen), nil
	}, burr.Writes("seen"), burr.MaxConcurrency(8))
	app := mustNew(t, burr.WithActions(fan), burr.WithEntrypoint("fan"))
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	seen := res.State.Value("seen").([]int)
	for i, v := range seen {
		if v != i {
			t.Fatalf("reduce saw %v, want task order", seen)
		}
	}
	t.Logf("children finished in the order %v", order)
}

func TestMaxConcurrencyBounds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		aopts []burr.ActionOption
		opts  []burr.Option
		limit int
	}{
		{"action", []burr.ActionOption{burr.MaxConcurrency(3)}, nil, 3},
		{"application", nil, []burr.Option{burr.WithMaxConcurrency(2)}, 2},
		{"action over application", []burr.ActionOption{burr.MaxConcurrency(1)}, []burr.Option{burr.WithMaxConcurrency(5)}, 1},
		{"default", nil, nil, burr.DefaultMaxConcurrency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var running, peak atomic.Int32
			app := fanOut(t, 50, func(_ context.Context, i int) (int, error) {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(50 * time.Microsecond) // give others a chance to overlap
				running.Add(-1)
				return i, nil
			}, tc.aopts, tc.opts...)
			if _, err := app.Step(t.Context()); err != nil {
				t.Fatal(err)
			}
			if p := peak.Load(); int(p) > tc.limit {
				t.Fatalf("%d children ran at once, limit %d", p, tc.limit)
			}
		})
	}
}

func TestEmptyFanOutReducesNothing(t *testing.T) {
	called := false
	sub := burr.SubgraphOf(burr.NewAction("noop", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil }))
	p := burr.MapStates("fan", sub, func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) { return nil, nil },
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			called = len(children) == 0
			return s.Set("n", len(children)), nil
		}, burr.Writes("n"))
	app := mustNew(t, burr.WithActions(p), burr.WithEntrypoint("fan"))
	if _, err := app.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !called {
		t.Fatal("reduce was not called with no children")
	}
}

func TestParallelBuildErrors(t *testing.T) {
	noop := burr.NewAction("noop", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })
	sub := burr.SubgraphOf(noop)
	g, err := burr.NewGraph([]*burr.Action{noop})
	if err != nil {
		t.Fatal(err)
	}
	reduce := func(_ context.Context, s burr.State, _ []burr.State) (burr.State, error) { return s, nil }
	states := func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) { return nil, nil }
	for _, tc := range []struct {
		name   string
		action *burr.Action
		want   []string
	}{
		{"nil tasks", burr.NewParallelAction("p", nil, reduce), []string{`parallel action "p"`, "tasks function is nil"}},
		{"nil reduce", burr.MapStates("p", sub, states, nil), []string{`parallel action "p"`, "reduce function is nil"}},
		{"nil states", burr.MapStates("p", sub, nil, reduce), []string{`parallel action "p"`, "states function is nil"}},
		{"no subgraphs", burr.MapActions("p", nil, reduce), []string{`parallel action "p"`, "no subgraphs"}},
		{"limit", burr.MapStates("p", sub, states, reduce, burr.MaxConcurrency(0)), []string{`action "p"`, "MaxConcurrency(0)", "at least 1"}},
		{"bad entrypoint", burr.MapStates("p", burr.NewSubgraph(g, "nope"), states, reduce), []string{`parallel action "p"`, `entrypoint "nope"`}},
		{"bad halt", burr.MapStates("p", burr.NewSubgraph(g, "noop", "later"), states, reduce), []string{`parallel action "p"`, "later"}},
		{"nil graph", burr.MapActions("p", []*burr.Subgraph{burr.NewSubgraph(nil, "x")}, reduce), []string{`parallel action "p"`, "graph is nil"}},
		{"nil action", burr.MapActions("p", []*burr.Subgraph{burr.SubgraphOf(nil)}, reduce), []string{`parallel action "p"`, "action is nil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := burr.New(t.Context(), burr.WithActions(tc.action), burr.WithEntrypoint("p"))
			var ge *burr.GraphError
			if !errors.As(err, &ge) {
				t.Fatalf("error %v: want a *GraphError", err)
			}
			wantErrContains(t, err, tc.want...)
		})
	}
	t.Run("application limit", func(t *testing.T) {
		_, err := burr.New(t.Context(), burr.WithActions(noop), burr.WithEntrypoint("noop"), burr.WithMaxConcurrency(-1))
		wantErrContains(t, err, "WithMaxConcurrency(-1)", "at least 1")
	})
}

func TestParallelRunErrors(t *testing.T) {
	noop := burr.NewAction("noop", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil })
	reduce := func(_ context.Context, s burr.State, _ []burr.State) (burr.State, error) {
		return s.Set("undeclared", 1), nil
	}
	t.Run("reduce writes an undeclared key", func(t *testing.T) {
		p := burr.MapActions("p", []*burr.Subgraph{burr.SubgraphOf(noop)}, reduce, burr.Writes("declared"))
		app := mustNew(t, burr.WithActions(p), burr.WithEntrypoint("p"))
		_, err := app.Step(t.Context())
		var we *burr.WriteError
		if !errors.As(err, &we) || we.Action != "p" || !slices.Contains(we.Undeclared, "undeclared") {
			t.Fatalf("error %v: want a *WriteError of action p naming the key", err)
		}
	})
	t.Run("task without subgraph", func(t *testing.T) {
		p := burr.NewParallelAction("p", func(context.Context, burr.State, burr.Inputs) ([]burr.Task, error) {
			return []burr.Task{{Subgraph: burr.SubgraphOf(noop)}, {}}, nil
		}, func(_ context.Context, s burr.State, _ []burr.State) (burr.State, error) { return s, nil })
		app := mustNew(t, burr.WithActions(p), burr.WithEntrypoint("p"))
		_, err := app.Step(t.Context())
		var ce *burr.ChildError
		if !errors.As(err, &ce) || ce.Index != 1 {
			t.Fatalf("error %v: want child 1's", err)
		}
		wantErrContains(t, err, `action "p"`, "subgraph is nil")
	})
	t.Run("reserved input", func(t *testing.T) {
		p := burr.NewParallelAction("p", func(context.Context, burr.State, burr.Inputs) ([]burr.Task, error) {
			return []burr.Task{{Subgraph: burr.SubgraphOf(noop), Inputs: burr.Inputs{"__secret": 1}}}, nil
		}, func(_ context.Context, s burr.State, _ []burr.State) (burr.State, error) { return s, nil })
		app := mustNew(t, burr.WithActions(p), burr.WithEntrypoint("p"))
		_, err := app.Step(t.Context())
		wantErrContains(t, err, "child 0", "__secret", "reserved")
	})
	t.Run("outside an action", func(t *testing.T) {
		if _, err := burr.RunChild(t.Context(), burr.Task{Subgraph: burr.SubgraphOf(noop)}); err == nil {
			t.Fatal("RunChild outside an action succeeded")
		}
		if _, err := burr.RunChildren(t.Context(), nil); err == nil {
			t.Fatal("RunChildren outside an action succeeded")
		}
	})
}
