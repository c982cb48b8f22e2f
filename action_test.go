package burr_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/burrgo/burr"
)

func runOne(t *testing.T, a *burr.Action, s burr.State, in burr.Inputs) (burr.StepResult, error) {
	t.Helper()
	app := mustNew(t, burr.WithActions(a), burr.WithState(s), burr.WithEntrypoint(a.Name()))
	return app.Step(context.Background(), burr.WithInputs(in))
}

func TestFunctionActionShapes(t *testing.T) {
	ctx := context.Background()
	_ = ctx
	shapes := []*burr.Action{
		burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) { return s.Set("x", 1), nil }, burr.Writes("x")),
		burr.NewAction("a", func(_ context.Context, s burr.State, _ burr.Inputs) (burr.State, error) { return s.Set("x", 1), nil }, burr.Writes("x")),
		burr.NewAction("a", func(_ context.Context, s burr.State) (burr.Result, burr.State, error) {
			return burr.Result{"x": 1}, s.Set("x", 1), nil
		}, burr.Writes("x")),
		burr.NewAction("a", func(_ context.Context, s burr.State, _ burr.Inputs) (burr.Result, burr.State, error) {
			return burr.Result{"x": 1}, s.Set("x", 1), nil
		}, burr.Writes("x")),
	}
	for i, a := range shapes {
		res, err := runOne(t, a, burr.State{}, nil)
		if err != nil || res.State.Value("x") != 1 {
			t.Fatalf("shape %d: %v %v", i, res.State, err)
		}
	}
}

// twoPhase is a struct action that records what Run saw.
type twoPhase struct{ seen []string }

func (p *twoPhase) Run(_ context.Context, s burr.State, _ burr.Inputs) (burr.Result, error) {
	p.seen = s.Keys()
	return burr.Result{"count": count.Or(s, 0) + 1}, nil
}

func (p *twoPhase) Update(r burr.Result, s burr.State) (burr.State, error) {
	return s.Set("count", r["count"]).Set("seen", len(p.seen)), nil
}

func (p *twoPhase) Declare() []burr.ActionOption {
	return []burr.ActionOption{burr.Reads("count"), burr.Writes("count", "seen")}
}

func TestStructActionSeesOnlyReads(t *testing.T) {
	p := &twoPhase{}
	a := burr.NewStructAction("two", p)
	if !reflect.DeepEqual(a.Reads(), []string{"count"}) || !reflect.DeepEqual(a.Writes(), []string{"count", "seen"}) {
		t.Fatalf("declarations: %v", a)
	}
	res, err := runOne(t, a, burr.State{}.Set("count", 1).Set("secret", "x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.seen, []string{"count"}) {
		t.Fatalf("Run saw %v", p.seen)
	}
	if res.Result["count"] != 2 || res.State.Value("secret") != "x" {
		t.Fatalf("result %v state %v", res.Result, res.State)
	}
	if a.String() != "two: count -> count, seen" {
		t.Fatal(a.String())
	}
}

// sneaky writes a key it did not declare.
type sneaky struct{}

func (sneaky) Run(context.Context, burr.State, burr.Inputs) (burr.Result, error) { return nil, nil }
func (sneaky) Update(_ burr.Result, s burr.State) (burr.State, error) {
	return s.Set("declared", 1).Set("undeclared", 2), nil
}

func TestUndeclaredAndMissingWrites(t *testing.T) {
	fn := burr.NewAction("fn", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("declared", 1).Set("other", 2), nil
	}, burr.Writes("declared"))
	_, err := runOne(t, fn, burr.State{}.Set("other", 0), nil)
	var we *burr.WriteError
	if !errors.As(err, &we) || !reflect.DeepEqual(we.Undeclared, []string{"other"}) {
		t.Fatalf("fn: %v", err)
	}
	wantErrContains(t, err, `"fn"`, "other", "did not declare")

	_, err = runOne(t, burr.NewStructAction("st", sneaky{}, burr.Writes("declared")), burr.State{}, nil)
	wantErrContains(t, err, `"st"`, "undeclared")

	missing := burr.NewAction("miss", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil },
		burr.Writes("missing_value"))
	_, err = runOne(t, missing, burr.State{}, nil)
	wantErrContains(t, err, `"miss"`, "missing write keys", "missing_value")
}

func TestActionDeletesState(t *testing.T) {
	del := burr.NewAction("del", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Delete("bar"), nil
	}, burr.Reads("bar"))
	res, err := runOne(t, del, burr.State{}.Set("foo", 1).Set("bar", 2), nil)
	if err != nil || res.State.Has("bar") || res.State.Value("foo") != 1 {
		t.Fatalf("%v %v", res.State, err)
	}
}

func TestInputsAndBind(t *testing.T) {
	add := burr.NewAction("add", func(_ context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		n := in["a"].(int)*100 + in["b"].(int)*10
		if c, ok := in["c"].(int); ok {
			n += c
		}
		return burr.Result{"n": n}, s.Set("n", n), nil
	}, burr.Writes("n"), burr.RequiredInputs("a", "b"), burr.OptionalInputs("c"))
	one := add.Bind(burr.Inputs{"a": 1})
	two := one.Bind(burr.Inputs{"b": 1, "c": 1})
	three := one.Bind(burr.Inputs{"b": 2, "c": 1})
	if !reflect.DeepEqual(add.RequiredInputs(), []string{"a", "b"}) || !reflect.DeepEqual(one.RequiredInputs(), []string{"b"}) {
		t.Fatalf("bind changed the original: %v %v", add.RequiredInputs(), one.RequiredInputs())
	}
	r2, err := runOne(t, two, burr.State{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r3, err := runOne(t, three, burr.State{}, nil)
	if err != nil || r2.Result["n"] != 111 || r3.Result["n"] != 121 {
		t.Fatalf("binds: %v %v %v", r2.Result, r3.Result, err)
	}
	_, err = runOne(t, add, burr.State{}, burr.Inputs{"a": 1, "zz": 2})
	var ie *burr.InputError
	if !errors.As(err, &ie) || !reflect.DeepEqual(ie.Missing, []string{"b"}) || !reflect.DeepEqual(ie.Given, []string{"a", "zz"}) {
		t.Fatalf("missing input: %v", err)
	}
	wantErrContains(t, err, `"add"`, "missing required inputs [b]", "given inputs: [a zz]")
}

func TestResultAndInputActions(t *testing.T) {
	in := burr.InputAction("ask", "prompt")
	out := burr.ResultAction("result", "prompt", "absent")
	app := mustNew(t, burr.WithActions(in, out), burr.WithTransitions(burr.From("ask").To("result")), burr.WithEntrypoint("ask"))
	res, err := app.Run(context.Background(), burr.HaltAfter("result"), burr.WithInputs(burr.Inputs{"prompt": "hi"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Result, burr.Result{"prompt": "hi"}) || res.State.Value("prompt") != "hi" {
		t.Fatalf("%v %v", res.Result, res.State)
	}
}

func TestWriteCheckByValue(t *testing.T) {
	initial := burr.State{}.Set("x", 1).Set("secret", "s").Set("count", 0)
	overwrite := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		return burr.StateFrom(map[string]any{"count": 1, "x": 1, "secret": "overwritten"}), nil
	}, burr.Writes("count"))
	_, err := runOne(t, overwrite, initial, nil)
	wantErrContains(t, err, "secret", "did not declare")

	rebuild := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		return burr.StateFrom(s.WithoutInternal().Map()).Set("count", 1), nil
	}, burr.Writes("count"))
	var loaded burr.State
	b, _ := json.Marshal(initial.Set("zeta", []any{1}))
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatal(err)
	}
	for _, s := range []burr.State{initial, loaded} {
		if _, err := runOne(t, rebuild, s, nil); err != nil {
			t.Fatalf("rebuilding the same values was rejected: %v", err)
		}
	}
	merge := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Subset("count").Set("count", 1).Merge(s.Subset("x", "secret")), nil
	}, burr.Writes("count"))
	if _, err := runOne(t, merge, initial, nil); err != nil {
		t.Fatal(err)
	}
}
