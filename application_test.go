package burr_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// counterApp counts to 10 then runs "result".
func counterApp(t testing.TB, opts ...burr.Option) *burr.Application {
	t.Helper()
	base := []burr.Option{
		burr.WithActions(counterAction("counter"), burr.ResultAction("result", "count")),
		burr.WithTransitions(
			burr.From("counter").To("counter", burr.Expr("count < 10")),
			burr.From("counter").To("result")),
		burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("counter"),
	}
	return mustNew(t, append(base, opts...)...)
}

func TestStep(t *testing.T) {
	ctx := context.Background()
	app := mustNew(t, burr.WithActions(counterAction("counter")), burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("counter"), burr.WithSequenceID(0))
	res, err := app.Step(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := app.SequenceID(); seq != 1 || res.Result["count"] != 1 {
		t.Fatalf("seq %d result %v", seq, res.Result)
	}
	if p, _ := res.State.PriorStep(); p != "counter" {
		t.Fatalf("prior %q", p)
	}
	// No transitions: the next step has nothing to run and spends no sequence id.
	res, err = app.Step(ctx)
	if !errors.Is(err, burr.ErrEndOfGraph) || res.Action != nil || count.Or(res.State, 0) != 1 {
		t.Fatalf("want the end of the graph, got %v %v", res.Action, err)
	}
	if o := app.Outcome(); o.Reason != burr.GraphEnded || o.Action != nil {
		t.Fatalf("outcome %+v", o)
	}
	if seq, _ := app.SequenceID(); seq != 1 {
		t.Fatalf("empty step moved the sequence id to %d", seq)
	}
}

func TestStepWithInputs(t *testing.T) {
	app := mustNew(t, burr.WithActions(counterAction("counter")), burr.WithState(burr.State{}.Set("count", 0)), burr.WithEntrypoint("counter"))
	res, err := app.Step(context.Background(), burr.WithInputs(burr.Inputs{"step": 5}))
	if err != nil || res.Result["count"] != 5 {
		t.Fatal(res.Result, err)
	}
	_, err = app.Step(context.Background(), burr.WithInputs(burr.Inputs{"__not_allowed": 1}))
	wantErrContains(t, err, "double underscore", "__not_allowed")
}

func TestStepBroken(t *testing.T) {
	boom := errors.New("broken")
	a := burr.NewAction("broken", func(context.Context, burr.State) (burr.State, error) { return burr.State{}, boom })
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("broken"))
	_, err := app.Step(context.Background())
	if !errors.Is(err, boom) {
		t.Fatalf("want the action's error, got %v", err)
	}
	var ae *burr.ActionError
	if !errors.As(err, &ae) || ae.Action != "broken" || ae.SequenceID != 0 {
		t.Fatalf("want an ActionError naming the action, got %#v", err)
	}
	// The failed action is retried: the prior step did not move.
	if _, ok := app.State().PriorStep(); ok {
		t.Fatal("prior step set after a failure")
	}
	if next, _ := app.NextAction(); next.Name() != "broken" {
		t.Fatalf("next %v", next)
	}
}

func TestIterateAndRun(t *testing.T) {
	ctx := context.Background()
	app := counterApp(t, burr.WithSequenceID(0))
	var names []string
	for res, err := range app.Iterate(ctx, burr.HaltAfter("result")) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, res.Action.Name())
	}
	if len(names) != 11 || names[10] != "result" {
		t.Fatalf("steps %v", names)
	}
	if seq, _ := app.SequenceID(); seq != 11 {
		t.Fatalf("seq %d", seq)
	}
	res, err := counterApp(t).Run(ctx, burr.HaltAfter("result"))
	if err != nil || res.Action.Name() != "result" || res.Result["count"] != 10 {
		t.Fatalf("run: %v %v %v", res.Action, res.Result, err)
	}
}

func TestRunHaltBefore(t *testing.T) {
	res, err := counterApp(t).Run(context.Background(), burr.HaltBefore("result"))
	if err != nil || res.Action.Name() != "result" || res.Result != nil || count.Or(res.State, 0) != 10 {
		t.Fatalf("%v %v %v %v", res.Action, res.Result, res.State, err)
	}
	// The first action always runs: halting before the entrypoint runs it once.
	app := counterApp(t)
	res, err = app.Run(context.Background(), burr.HaltBefore("counter"))
	if err != nil || res.Action.Name() != "counter" || count.Or(res.State, 0) != 1 {
		t.Fatalf("%v %v %v", res.Action, res.State, err)
	}
}

func TestRunInputsEveryStep(t *testing.T) {
	app := mustNew(t, burr.WithActions(counterAction("counter"), burr.ResultAction("result", "count")),
		burr.WithTransitions(burr.From("counter").To("counter", burr.Expr("count < 20")), burr.From("counter").To("result")),
		burr.WithState(burr.State{}.Set("count", 0)), burr.WithEntrypoint("counter"))
	res, err := app.Run(context.Background(), burr.HaltAfter("result"), burr.WithInputs(burr.Inputs{"step": 9}))
	if err != nil || count.Or(res.State, 0) != 27 {
		t.Fatal(res.State, err)
	}
	if seq, _ := res.State.SequenceID(); seq != 3 {
		t.Fatalf("seq %d", seq)
	}
}

func TestRunGraphEnds(t *testing.T) {
	res, err := counterApp(t).Run(context.Background())
	if err != nil || res.Action.Name() != "result" || res.Result["count"] != 10 {
		t.Fatalf("%v %v %v", res.Action, res.Result, err)
	}
}

func TestDefaultCycle(t *testing.T) {
	var seen []string
	mk := func(name string) *burr.Action {
		return burr.NewAction(name, func(_ context.Context, s burr.State) (burr.State, error) {
			seen = append(seen, name)
			return s, nil
		})
	}
	app := mustNew(t, burr.WithActions(mk("one"), mk("two"), mk("three")),
		burr.WithTransitions(burr.From("one").To("two"), burr.From("two").To("three"), burr.From("three").To("one")),
		burr.WithEntrypoint("one"))
	for range 7 {
		if _, err := app.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"one", "two", "three", "one", "two", "three", "one"}; !reflect.DeepEqual(seen, want) {
		t.Fatal(seen)
	}
}

func TestHaltValidation(t *testing.T) {
	_, err := counterApp(t).Run(context.Background(), burr.HaltAfter("nope"), burr.HaltBefore("nada"))
	wantErrContains(t, err, `"nope"`, `"nada"`, "not registered actions")
	_, err = counterApp(t).Run(context.Background(), burr.HaltAfter("@tag:missing"))
	wantErrContains(t, err, `tag "missing" not found`)
}

func TestHaltByTag(t *testing.T) {
	a := counterAction("a")
	b := burr.NewAction("b", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil }, burr.Tags("stop"))
	c := burr.NewAction("c", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil }, burr.Tags("stop"))
	app := mustNew(t, burr.WithActions(a, b, c), burr.WithTransitions(burr.From("a").To("b"), burr.From("b").To("c")), burr.WithEntrypoint("a"))
	res, err := app.Run(context.Background(), burr.HaltAfter("@tag:stop"))
	if err != nil || res.Action.Name() != "b" {
		t.Fatal(res.Action, err)
	}
}

func TestApplicationContext(t *testing.T) {
	var seen []burr.AppContext
	a := burr.NewAction("ctx", func(ctx context.Context, s burr.State) (burr.State, error) {
		c, ok := burr.FromContext(ctx)
		if !ok {
			return s, errors.New("no app context")
		}
		seen = append(seen, c)
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithTransitions(burr.From("ctx").To("ctx")), burr.WithEntrypoint("ctx"),
		burr.WithAppID("app-1"), burr.WithPartitionKey("user-1"), burr.WithSequenceID(5))
	for range 10 {
		if _, err := app.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range seen {
		if c.AppID != "app-1" || c.PartitionKey != "user-1" || c.Action.Name() != "ctx" || c.SequenceID != 6+i {
			t.Fatalf("context %d: %+v", i, c)
		}
	}
	if _, ok := burr.FromContext(context.Background()); ok {
		t.Fatal("context outside a step")
	}
}

func TestCancelBetweenAndInsideSteps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	a := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		steps++
		if steps == 3 {
			cancel()
		}
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithTransitions(burr.From("a").To("a")), burr.WithEntrypoint("a"))
	_, err := app.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if steps != 3 {
		t.Fatalf("ran %d steps after cancel", steps)
	}
	// Inside a step: an action that waits on its context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	wait := burr.NewAction("wait", func(ctx context.Context, s burr.State) (burr.State, error) {
		<-ctx.Done()
		return s, context.Cause(ctx)
	})
	app2 := mustNew(t, burr.WithActions(wait), burr.WithEntrypoint("wait"))
	if _, err := app2.Step(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
}

func TestConcurrentCallIsBusy(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	a := burr.NewAction("slow", func(_ context.Context, s burr.State) (burr.State, error) {
		close(started)
		<-release
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("slow"))
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = app.Step(context.Background()) })
	<-started
	_, err := app.Step(context.Background())
	if !errors.Is(err, burr.ErrBusy) {
		t.Fatalf("want ErrBusy, got %v", err)
	}
	_ = app.State() // accessors stay usable during a call
	close(release)
	wg.Wait()
}

func TestPanicInActionBecomesError(t *testing.T) {
	n := 0
	a := burr.NewAction("panicky", func(_ context.Context, s burr.State) (burr.State, error) {
		n++
		if n == 1 {
			panic("kaboom")
		}
		return s.Set("ok", true), nil
	}, burr.Writes("ok"))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("panicky"))
	_, err := app.Step(context.Background())
	var pe *burr.PanicError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "kaboom") || !strings.Contains(string(pe.Stack), "application_test.go") {
		t.Fatalf("want a PanicError with stack, got %v", err)
	}
	if msg := pe.Error(); msg != "panic: kaboom" || strings.Contains(err.Error(), "\n") {
		t.Fatalf("PanicError.Error() = %q, want one line without the stack", msg)
	}
	res, err := app.Step(context.Background())
	if err != nil || res.State.Value("ok") != true {
		t.Fatalf("app unusable after panic: %v", err)
	}
}

func TestConditionPanicAndMissingKey(t *testing.T) {
	a := counterAction("a")
	app := mustNew(t, burr.WithActions(a), burr.WithTransitions(burr.From("a").To("a", burr.When("mode", "x"))), burr.WithEntrypoint("a"))
	_, err := app.Run(context.Background())
	wantErrContains(t, err, "mode", "missing keys")
	app = mustNew(t, burr.WithActions(a), burr.WithTransitions(burr.From("a").To("a", burr.Predicate("p", nil, func(burr.State) bool { panic("cond") }))), burr.WithEntrypoint("a"))
	_, err = app.Run(context.Background())
	wantErrContains(t, err, "cond")
}

func TestRunStepHooks(t *testing.T) {
	rec := &recorder{}
	app := counterApp(t, burr.WithSequenceID(0), burr.WithHooks(rec), burr.WithAppID("a1"), burr.WithPartitionKey("pk"))
	if _, err := app.Run(context.Background(), burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	if rec.count("pre_step") != 11 || rec.count("post_step") != 11 {
		t.Fatalf("step hooks %d/%d", rec.count("pre_step"), rec.count("post_step"))
	}
	if rec.starts[0].SequenceID != 1 || rec.starts[0].AppID != "a1" || rec.starts[0].PartitionKey != "pk" {
		t.Fatalf("first pre step %+v", rec.starts[0])
	}
	last := rec.steps[10]
	if last.Result["count"] != 10 || last.Err != nil || count.Or(last.State, 0) != 10 {
		t.Fatalf("last post step %+v", last)
	}
	if rec.count("pre_exec") != 1 || rec.count("post_exec") != 1 || rec.count("create") != 1 {
		t.Fatalf("exec hooks: %v", rec.list())
	}
	res, err := app.Step(context.Background())
	if !errors.Is(err, burr.ErrEndOfGraph) || res.Action != nil {
		t.Fatal(res, err)
	}
	if rec.count("pre_exec") != 2 || rec.count("post_exec") != 2 {
		t.Fatal("exec hooks after the final step")
	}
	if rec.exec[0].Method != burr.MethodRun || rec.exec[1].Method != burr.MethodStep {
		t.Fatal(rec.exec)
	}
}

func TestMissingInputFailsBeforeStepHooks(t *testing.T) {
	rec := &recorder{}
	a := burr.NewAction("needs", func(_ context.Context, s burr.State, in burr.Inputs) (burr.State, error) { return s, nil },
		burr.RequiredInputs("prompt"))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("needs"), burr.WithHooks(rec))
	_, err := app.Step(context.Background(), burr.WithInputs(burr.Inputs{"other": 1}))
	wantErrContains(t, err, `"needs"`, "missing required inputs [prompt]", "[other]")
	if rec.count("pre_step") != 0 || rec.count("post_step") != 0 {
		t.Fatalf("step hooks fired: %v", rec.list())
	}
	if _, ok := app.SequenceID(); ok {
		t.Fatal("a missing input spent a sequence id")
	}
	// Hooks see the declared inputs only.
	_, err = app.Step(context.Background(), burr.WithInputs(burr.Inputs{"prompt": "hi", "other": 1}))
	if err != nil || !reflect.DeepEqual(rec.starts[0].Inputs, burr.Inputs{"prompt": "hi"}) {
		t.Fatal(rec.starts, err)
	}
}

type failingHook struct {
	panics bool
}

func (h failingHook) PostRunStep(context.Context, *burr.StepEnd) error {
	if h.panics {
		panic("hook panic")
	}
	return errors.New("hook failed")
}

func TestPostHookErrorKeepsOutcome(t *testing.T) {
	for _, panics := range []bool{false, true} {
		rec := &recorder{}
		app := counterApp(t, burr.WithHooks(failingHook{panics: panics}, rec))
		res, err := app.Step(context.Background())
		wantErrContains(t, err, "post-run-step hook", `action "counter"`)
		var he *burr.HookError
		if !errors.As(err, &he) || he.Stage != burr.StagePostRunStep || !burr.Committed(err) {
			t.Fatalf("error %v: want a post-run-step *HookError, step committed", err)
		}
		if count.Or(app.State(), -1) != 1 || res.Result["count"] != 1 {
			t.Fatalf("state %v result %v: the step's outcome did not stand", app.State(), res.Result)
		}
		if len(rec.steps) != 1 || rec.steps[0].Err != nil {
			t.Fatal("later hooks not called, or told of a failure")
		}
	}
}

func TestPostApplicationCreate(t *testing.T) {
	rec := &recorder{}
	counterApp(t, burr.WithHooks(rec), burr.WithAppID("x"))
	if got := rec.list(); !reflect.DeepEqual(got, []string{"create x"}) {
		t.Fatal(got)
	}
	_, err := burr.New(context.Background(), burr.WithActions(counterAction("a")), burr.WithEntrypoint("a"), burr.WithHooks(42))
	wantErrContains(t, err, "int implements no hook")
}

// TestNestedApplications: an action that builds and runs child applications;
// each application emits its own execute-call pair.
func TestNestedApplications(t *testing.T) {
	rec := &recorder{}
	var spawn *burr.Action
	spawn = burr.NewAction("spawn", func(ctx context.Context, s burr.State) (burr.State, error) {
		depth := burr.Key[int]("depth").Or(s, 0)
		if depth >= 3 {
			return s, nil
		}
		parent, _ := burr.FromContext(ctx)
		for i := range 2 {
			child, err := burr.New(ctx, burr.WithActions(spawn), burr.WithEntrypoint("spawn"), burr.WithHooks(rec),
				burr.WithState(burr.State{}.Set("depth", depth+1)),
				burr.WithAppID(fmt.Sprintf("%s/%d", parent.AppID, i)), burr.WithSpawningParent(parent.StepRef))
			if err != nil {
				return s, err
			}
			if _, err := child.Run(ctx); err != nil {
				return s, err
			}
		}
		return s, nil
	}, burr.Reads("depth"))
	app := mustNew(t, burr.WithActions(spawn), burr.WithEntrypoint("spawn"), burr.WithHooks(rec), burr.WithState(burr.State{}.Set("depth", 0)))
	if _, err := app.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 1 + 2 + 4 + 8 applications.
	if rec.count("pre_exec") != 15 || rec.count("post_exec") != 15 {
		t.Fatalf("exec %d/%d", rec.count("pre_exec"), rec.count("post_exec"))
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func TestIterateYieldsCommittedStepWithHookError(t *testing.T) {
	app := counterApp(t, burr.WithHooks(failingHook{}))
	var got []string
	for res, err := range app.Iterate(context.Background()) {
		got = append(got, fmt.Sprintf("%v %v %v", res.Action != nil, res.Result["count"], burr.Committed(err) && err != nil))
	}
	if !reflect.DeepEqual(got, []string{"true 1 true"}) {
		t.Fatalf("yielded %q, want the committed step once with its hook error", got)
	}
}
