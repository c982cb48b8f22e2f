package burr_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/burrgo/burr"
)

// dyingParent drops the saves of one application, as if its process died
// before the step was saved: children's saves go through.
type dyingParent struct {
	*countingPersister
	parent string
}

func (p *dyingParent) Save(ctx context.Context, r burr.Record) error {
	if r.AppID == p.parent {
		return errors.New("the process died")
	}
	return p.countingPersister.Save(ctx, r)
}

// TestResumeFanOut: a fan-out whose parent step never got saved is run again
// by the resumed parent under the same sequence id, so with the same child
// ids; the children that had finished return their saved state without
// running, the others run.
func TestResumeFanOut(t *testing.T) {
	const n = 6
	var mu sync.Mutex
	runs := map[int]int{}
	fail := map[int]bool{2: true, 5: true} // these fail on the first attempt
	work := burr.NewAction("work", func(_ context.Context, s burr.State) (burr.State, error) {
		i := idx.Or(s, -1)
		mu.Lock()
		defer mu.Unlock()
		runs[i]++
		if fail[i] {
			return s, errors.New("transient")
		}
		return out.Set(s, 10*i), nil
	}, burr.Reads("i"), burr.Writes("out"))
	fan := burr.MapStates("fan", burr.SubgraphOf(work), func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) {
		var ss []burr.State
		for i := range n {
			ss = append(ss, idx.Set(burr.State{}, i))
		}
		return ss, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		sum := 0
		for _, c := range children {
			sum += out.Or(c, 0)
		}
		return s.Set("total", sum), nil
	}, burr.Writes("total"), burr.CollectErrors())

	store := newCountingPersister()
	build := func(p burr.Persister) *burr.Application {
		return mustNew(t, burr.WithActions(fan), burr.WithAppID("parent"), burr.WithPersister(p),
			burr.WithInitializeFrom(p, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("fan")))
	}
	// First attempt: two children fail, and the parent's save is lost.
	app := build(&dyingParent{countingPersister: store, parent: "parent"})
	if _, err := app.Step(t.Context()); err == nil {
		t.Fatal("the first attempt succeeded")
	}
	if _, err := store.Load(t.Context(), burr.AppRef{AppID: "parent"}.At(burr.Latest)); !errors.Is(err, burr.ErrNotFound) {
		t.Fatalf("the parent saved a record: %v", err)
	}
	// The resumed parent runs the step again, at sequence id 0.
	mu.Lock()
	fail = map[int]bool{}
	mu.Unlock()
	app = build(store)
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.State.Value("total"); got != 150 {
		t.Fatalf("total %v, want 150", got)
	}
	for i := range n {
		want := 1
		if i == 2 || i == 5 {
			want = 2 // failed, then retried
		}
		if runs[i] != want {
			t.Errorf("child %d ran %d times, want %d", i, runs[i], want)
		}
		id := burr.ChildAppID(burr.AppRef{AppID: "parent"}.At(0), i)
		rec, err := store.Load(t.Context(), burr.AppRef{AppID: id}.At(burr.Latest))
		if err != nil || rec.Status != burr.StatusCompleted {
			t.Errorf("child %d: latest record %+v, %v", i, rec, err)
		}
	}
}

// TestResumeMultiStepChild: a child whose subgraph has several steps resumes
// at the step after its last saved one, and one that had reached its
// halt-after action is finished, even though its graph goes on.
func TestResumeMultiStepChild(t *testing.T) {
	var mu sync.Mutex
	runs := map[string]int{}
	step := func(name string, failOnce bool) *burr.Action {
		failed := false
		return burr.NewAction(name, func(_ context.Context, s burr.State) (burr.State, error) {
			mu.Lock()
			defer mu.Unlock()
			runs[name+":"+string(rune('0'+idx.Or(s, 0)))]++
			if failOnce && idx.Or(s, 0) == 1 && !failed {
				failed = true
				return s, errors.New("transient")
			}
			return s.Set("trail", burr.Key[string]("trail").Or(s, "")+name), nil
		}, burr.Reads("i", "trail"), burr.Writes("trail"))
	}
	g, err := burr.NewGraph([]*burr.Action{step("a", false), step("b", true), step("c", false), step("never", false)},
		burr.From("a").To("b"), burr.From("b").To("c"), burr.From("c").To("never"))
	if err != nil {
		t.Fatal(err)
	}
	fan := burr.MapStates("fan", burr.NewSubgraph(g, "a", "c"), func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) {
		return []burr.State{idx.Set(burr.State{}, 0), idx.Set(burr.State{}, 1)}, nil
	}, func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		var trails []string
		for _, c := range children {
			trails = append(trails, burr.Key[string]("trail").Or(c, ""))
		}
		return s.Set("trails", trails), nil
	}, burr.Writes("trails"), burr.CollectErrors())
	store := newCountingPersister()
	build := func(p burr.Persister) *burr.Application {
		return mustNew(t, burr.WithActions(fan), burr.WithAppID("parent"), burr.WithPersister(p),
			burr.WithInitializeFrom(p, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("fan")))
	}
	if _, err := build(&dyingParent{countingPersister: store, parent: "parent"}).Step(t.Context()); err == nil {
		t.Fatal("the first attempt succeeded")
	}
	res, err := build(store).Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	trails := res.State.Value("trails").([]string)
	if len(trails) != 2 || trails[0] != "abc" || trails[1] != "abc" {
		t.Fatalf("trails %v, want [abc abc]", trails)
	}
	want := map[string]int{"a:0": 1, "b:0": 1, "c:0": 1, "a:1": 1, "b:1": 2, "c:1": 1}
	for k, v := range want {
		if runs[k] != v {
			t.Errorf("%s ran %d times, want %d (all: %v)", k, runs[k], v, runs)
		}
	}
	if runs["never:0"]+runs["never:1"] != 0 {
		t.Fatal("a finished child ran past its halt-after action")
	}
}
