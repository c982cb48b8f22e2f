package burr_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/memory"
)

// The subgraphs of Burr's parallelism tests: a function action, a struct
// action and a four-action graph, each adding input_number, number_to_add,
// additional_number (1) and an identifying number.

var (
	inputNumber  = burr.Key[int]("input_number")
	numberToAdd  = burr.Key[int]("number_to_add")
	outputNumber = burr.Key[int]("output_number")
	current      = burr.Key[int]("current_number")
	outputs      = burr.Key[[]int]("output_numbers_in_state")
)

func additional(in burr.Inputs, key string, def int) int {
	if v, ok := in[key].(int); ok {
		return v
	}
	return def
}

func fnSubgraph(identifying int) *burr.Subgraph {
	a := burr.NewAction("simple_single_fn_subgraph", func(_ context.Context, s burr.State, in burr.Inputs) (burr.State, error) {
		n := inputNumber.Or(s, 0) + numberToAdd.Or(s, 0) + additional(in, "additional_number", 1) + additional(in, "identifying_number", 1000)
		return outputNumber.Set(s, n), nil
	}, burr.Reads("input_number", "number_to_add"), burr.Writes("output_number"),
		burr.OptionalInputs("additional_number", "identifying_number"))
	return burr.SubgraphOf(a.Bind(burr.Inputs{"identifying_number": identifying}))
}

type classBased struct{ identifying int }

func (classBased) Declare() []burr.ActionOption {
	return []burr.ActionOption{burr.Reads("input_number", "number_to_add"), burr.Writes("output_number")}
}
func (c classBased) Run(_ context.Context, s burr.State, in burr.Inputs) (burr.Result, error) {
	return burr.Result{"output_number": inputNumber.Or(s, 0) + numberToAdd.Or(s, 0) + additional(in, "additional_number", 1) + c.identifying}, nil
}
func (classBased) Update(r burr.Result, s burr.State) (burr.State, error) {
	return s.Set("output_number", r["output_number"]), nil
}

func classSubgraph(identifying int) *burr.Subgraph {
	return burr.SubgraphOf(burr.NewStructAction("class_based_action", classBased{identifying}))
}

func fullSubgraph(t testing.TB, identifying int) *burr.Subgraph {
	entry := burr.NewAction("entry_action_for_subgraph", func(_ context.Context, s burr.State) (burr.State, error) {
		return current.Set(s, inputNumber.Or(s, 0)), nil
	}, burr.Reads("input_number"), burr.Writes("current_number"))
	add := burr.NewAction("add_number_to_add", func(_ context.Context, s burr.State) (burr.State, error) {
		return current.Set(s, current.Or(s, 0)+numberToAdd.Or(s, 0)), nil
	}, burr.Reads("current_number", "number_to_add"), burr.Writes("current_number"))
	addMore := burr.NewAction("add_additional_number_to_add", func(_ context.Context, s burr.State, in burr.Inputs) (burr.State, error) {
		return current.Set(s, current.Or(s, 0)+additional(in, "additional_number", 1)+additional(in, "identifying_number", 3000)), nil
	}, burr.Reads("current_number"), burr.Writes("current_number"), burr.OptionalInputs("additional_number", "identifying_number"))
	final := burr.NewAction("final_result", func(_ context.Context, s burr.State) (burr.State, error) {
		return outputNumber.Set(s, current.Or(s, 0)), nil
	}, burr.Reads("current_number"), burr.Writes("output_number"))
	g, err := burr.NewGraph([]*burr.Action{entry, add, addMore.Bind(burr.Inputs{"identifying_number": identifying}), final},
		burr.From("entry_action_for_subgraph").To("add_number_to_add"),
		burr.From("add_number_to_add").To("add_additional_number_to_add"),
		burr.From("add_additional_number_to_add").To("final_result"))
	if err != nil {
		t.Fatal(err)
	}
	return burr.NewSubgraph(g, "entry_action_for_subgraph", "final_result")
}

// appendOutputs is the tests' reduce: output_number of every child, in order.
func appendOutputs(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
	out := outputs.Or(s, nil)
	for _, c := range children {
		out = append(out, outputNumber.Or(c, -1))
	}
	return outputs.Set(s, out), nil
}

// inputStates is the tests' states function: one state per number of
// input_numbers_in_state, with number_to_add 10.
func inputStates(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
	var out []burr.State
	for _, n := range burr.Key[[]int]("input_numbers_in_state").Or(s, nil) {
		out = append(out, numberToAdd.Set(inputNumber.Set(s, n), 10))
	}
	return out, nil
}

// appTracker is an inheritable hook recording, per application, its steps
// and its spawning parent.
type appTracker struct {
	mu      sync.Mutex
	steps   map[string][]string // app id -> "action seq"
	parents map[string]burr.StepRef
	order   []string // app ids in creation order
}

func newAppTracker() *appTracker {
	return &appTracker{steps: map[string][]string{}, parents: map[string]burr.StepRef{}}
}

func (a *appTracker) ForChild() any { return a }

func (a *appTracker) PostApplicationCreate(_ context.Context, e *burr.ApplicationCreated) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.order = append(a.order, e.AppID)
	if e.SpawningParent != nil {
		a.parents[e.AppID] = *e.SpawningParent
	}
	return nil
}

func (a *appTracker) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.steps[e.AppID] = append(a.steps[e.AppID], fmt.Sprintf("%s %d", e.Action.Name(), e.SequenceID))
	return nil
}

// childrenOf returns the app ids spawned by parent at step seq.
func (a *appTracker) childrenOf(parent string, seq int) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, id := range a.order {
		if p, ok := a.parents[id]; ok && p.AppID == parent && p.SequenceID == seq {
			out = append(out, id)
		}
	}
	return out
}

// runMap runs initial_action -> map_action -> final_action, as Burr's tests do.
func runMap(t *testing.T, mapAction *burr.Action, in burr.Inputs, opts ...burr.Option) (burr.State, *appTracker, *burr.Application) {
	t.Helper()
	tr := newAppTracker()
	inKey := "input_number_in_state"
	if _, ok := in["input_numbers_in_state"]; ok {
		inKey = "input_numbers_in_state"
	}
	app := mustNew(t, append([]burr.Option{
		burr.WithActions(burr.InputAction("initial_action", inKey), mapAction, burr.ResultAction("final_action", "output_numbers_in_state")),
		burr.WithTransitions(burr.From("initial_action").To("map_action"), burr.From("map_action").To("final_action")),
		burr.WithEntrypoint("initial_action"),
		burr.WithHooks(tr),
	}, opts...)...)
	res, err := app.Run(t.Context(), burr.HaltAfter("final_action"), burr.WithInputs(in))
	if err != nil {
		t.Fatal(err)
	}
	return res.State, tr, app
}

func TestMapActionsSpec58(t *testing.T) {
	// Burr's MapActions.state maps the parent state to the children's; here
	// a one-state MapActionsAndStates does that.
	m := burr.MapActionsAndStates("map_action",
		[]*burr.Subgraph{fnSubgraph(1000), classSubgraph(2000), fullSubgraph(t, 3000)},
		func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
			n := burr.Key[int]("input_number_in_state").Or(s, 0)
			return []burr.State{numberToAdd.Set(inputNumber.Set(s, n), 10)}, nil
		},
		appendOutputs, burr.Reads("input_number_in_state"), burr.Writes("output_numbers_in_state"))
	s, tr, app := runMap(t, m, burr.Inputs{"input_number_in_state": 100})
	if got, want := outputs.Or(s, nil), []int{1111, 2111, 3111}; !slices.Equal(got, want) {
		t.Fatalf("outputs %v, want %v", got, want)
	}
	if n := len(tr.steps[app.Ref().AppID]); n != 3 {
		t.Fatalf("%d parent steps, want 3: %v", n, tr.steps[app.Ref().AppID])
	}
	kids := tr.childrenOf(app.Ref().AppID, 1)
	if len(kids) != 3 {
		t.Fatalf("%d children of the map step, want 3", len(kids))
	}
	for i := range 3 {
		if want := burr.ChildAppID(app.Ref().At(1), i); !slices.Contains(kids, want) {
			t.Errorf("child %d: id %s not among %v", i, want, kids)
		}
	}
	// The full subgraph ran its four steps; the others one each.
	if got := tr.steps[burr.ChildAppID(app.Ref().At(1), 2)]; len(got) != 4 {
		t.Errorf("full subgraph steps %v, want 4", got)
	}
}

func TestMapActionsOnOwnState(t *testing.T) {
	seed := burr.NewAction("seed", func(_ context.Context, s burr.State) (burr.State, error) {
		return numberToAdd.Set(inputNumber.Set(s, 100), 10), nil
	}, burr.Writes("input_number", "number_to_add"))
	m := burr.MapActions("map_action",
		[]*burr.Subgraph{fnSubgraph(1000), classSubgraph(2000), fullSubgraph(t, 3000)},
		appendOutputs, burr.Reads("input_number", "number_to_add"), burr.Writes("output_numbers_in_state"))
	app := mustNew(t, burr.WithActions(seed, m), burr.WithTransitions(burr.From("seed").To("map_action")), burr.WithEntrypoint("seed"))
	res, err := app.Run(t.Context(), burr.HaltAfter("map_action"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outputs.Or(res.State, nil), []int{1111, 2111, 3111}; !slices.Equal(got, want) {
		t.Fatalf("outputs %v, want %v", got, want)
	}
}

func TestMapStatesSpec59(t *testing.T) {
	for name, sub := range map[string]*burr.Subgraph{
		"function": fnSubgraph(0), "struct": classSubgraph(0), "graph": fullSubgraph(t, 0),
	} {
		t.Run(name, func(t *testing.T) {
			m := burr.MapStates("map_action", sub, inputStates, appendOutputs,
				burr.Reads("input_numbers_in_state"), burr.Writes("output_numbers_in_state"))
			s, tr, app := runMap(t, m, burr.Inputs{"input_numbers_in_state": []int{100, 200, 300}})
			if got, want := outputs.Or(s, nil), []int{111, 211, 311}; !slices.Equal(got, want) {
				t.Fatalf("outputs %v, want %v", got, want)
			}
			if n := len(tr.steps[app.Ref().AppID]); n != 3 {
				t.Fatalf("%d parent steps, want 3", n)
			}
			if n := len(tr.childrenOf(app.Ref().AppID, 1)); n != 3 {
				t.Fatalf("%d children, want 3", n)
			}
		})
	}
}

var product = []int{1111, 1211, 1311, 2111, 2211, 2311, 3111, 3211, 3311}

func TestMapActionsAndStatesSpec59(t *testing.T) {
	m := burr.MapActionsAndStates("map_action",
		[]*burr.Subgraph{fnSubgraph(1000), classSubgraph(2000), fullSubgraph(t, 3000)},
		inputStates, appendOutputs, burr.Reads("input_numbers_in_state"), burr.Writes("output_numbers_in_state"))
	s, tr, app := runMap(t, m, burr.Inputs{"input_numbers_in_state": []int{100, 200, 300}})
	if got := outputs.Or(s, nil); !slices.Equal(got, product) {
		t.Fatalf("outputs %v, want %v (action-major)", got, product)
	}
	if n := len(tr.childrenOf(app.Ref().AppID, 1)); n != 9 {
		t.Fatalf("%d children, want 9", n)
	}
}

func TestTaskBasedSpec59(t *testing.T) {
	subs := []*burr.Subgraph{fnSubgraph(1000), classSubgraph(2000), fullSubgraph(t, 3000)}
	p := burr.NewParallelAction("map_action", func(ctx context.Context, s burr.State, _ burr.Inputs) ([]burr.Task, error) {
		var tasks []burr.Task
		for _, sg := range subs {
			for _, n := range burr.Key[[]int]("input_numbers_in_state").Or(s, nil) {
				tasks = append(tasks, burr.Task{Subgraph: sg, State: numberToAdd.Set(inputNumber.Set(s, n), 10)})
			}
		}
		return tasks, nil
	}, appendOutputs, burr.Reads("input_numbers_in_state"), burr.Writes("output_numbers_in_state"))
	s, tr, app := runMap(t, p, burr.Inputs{"input_numbers_in_state": []int{100, 200, 300}})
	if got := outputs.Or(s, nil); !slices.Equal(got, product) {
		t.Fatalf("outputs %v, want %v", got, product)
	}
	if n := len(tr.childrenOf(app.Ref().AppID, 1)); n != 9 {
		t.Fatalf("%d children, want 9", n)
	}
}

// TestCascadeSpec60: children inherit the parent's inheritable hooks and
// persister by default; ChildHooks and ChildPersister replace them, and given
// nothing, remove them. The persister the children save to is the one they
// load from.
func TestCascadeSpec60(t *testing.T) {
	sub := fnSubgraph(1000)
	states := func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
		return []burr.State{numberToAdd.Set(inputNumber.Set(s, 0), 0)}, nil
	}
	ct, cp := newAppTracker(), newCountingPersister()
	for _, tc := range []struct {
		name         string
		opts         []burr.ActionOption
		parentSees   bool // the parent's hook and persister see the child
		childHookSee bool // ct and cp see the child
	}{
		{"cascade", nil, true, false},
		{"none", []burr.ActionOption{burr.ChildHooks(), burr.ChildPersister(nil)}, false, false},
		{"fixed", []burr.ActionOption{burr.ChildHooks(ct), burr.ChildPersister(cp)}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, pp := newAppTracker(), newCountingPersister()
			m := burr.MapStates("map_action", sub, states, appendOutputs,
				append([]burr.ActionOption{burr.Writes("output_numbers_in_state")}, tc.opts...)...)
			app := mustNew(t, burr.WithActions(m), burr.WithEntrypoint("map_action"), burr.WithHooks(pt), burr.WithPersister(pp))
			if _, err := app.Step(t.Context()); err != nil {
				t.Fatal(err)
			}
			child := burr.ChildAppID(app.Ref().At(0), 0)
			check := func(who string, tr *appTracker, p *countingPersister, want bool) {
				t.Helper()
				n := 0
				if want {
					n = 1
				}
				tr.mu.Lock()
				steps := len(tr.steps[child])
				tr.mu.Unlock()
				if steps != n || p.saves(child) != n || p.loads(child) != n {
					t.Errorf("%s: saw %d child steps, %d saves, %d loads; want %d each", who, steps, p.saves(child), p.loads(child), n)
				}
			}
			check("parent's hook and persister", pt, pp, tc.parentSees)
			check("fixed hook and persister", ct, cp, tc.childHookSee)
		})
	}
}

// countingPersister is a memory persister counting saves and loads per app.
type countingPersister struct {
	*memory.Persister
	mu         sync.Mutex
	save, load map[string]int
}

func newCountingPersister() *countingPersister {
	return &countingPersister{Persister: memory.New(), save: map[string]int{}, load: map[string]int{}}
}

func (p *countingPersister) Save(ctx context.Context, r burr.Record) error {
	p.mu.Lock()
	p.save[r.AppID]++
	p.mu.Unlock()
	return p.Persister.Save(ctx, r)
}

func (p *countingPersister) Load(ctx context.Context, ref burr.StepRef) (burr.Record, error) {
	p.mu.Lock()
	p.load[ref.AppID]++
	p.mu.Unlock()
	return p.Persister.Load(ctx, ref)
}

func (p *countingPersister) saves(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.save[id]
}

func (p *countingPersister) loads(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.load[id]
}
