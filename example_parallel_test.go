package burr_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/burrgo/burr"
)

// MapStates runs one subgraph over many states, each as a child application,
// and reduces their final states in task order.
func ExampleMapStates() {
	square := burr.NewAction("square", func(_ context.Context, s burr.State) (burr.State, error) {
		n := burr.Key[int]("n").Or(s, 0)
		return s.Set("square", n*n), nil
	}, burr.Reads("n"), burr.Writes("square"))

	squares := burr.MapStates("squares", burr.SubgraphOf(square),
		func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
			var states []burr.State
			for _, n := range burr.Key[[]int]("numbers").Or(s, nil) {
				states = append(states, burr.State{}.Set("n", n))
			}
			return states, nil
		},
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			var out []int
			for _, c := range children {
				out = append(out, burr.Key[int]("square").Or(c, 0))
			}
			return s.Set("squares", out), nil
		},
		burr.Reads("numbers"), burr.Writes("squares"), burr.MaxConcurrency(4))

	app, _ := burr.New(context.Background(),
		burr.WithActions(squares),
		burr.WithState(burr.State{}.Set("numbers", []int{1, 2, 3, 4})),
		burr.WithEntrypoint("squares"))
	res, err := app.Step(context.Background())
	fmt.Println(res.State.Value("squares"), err)
	// Output: [1 4 9 16] <nil>
}

// MapActions runs several subgraphs over the action's own state: here three
// ways of formatting one name.
func ExampleMapActions() {
	format := func(name string, f func(string) string) *burr.Subgraph {
		return burr.SubgraphOf(burr.NewAction(name, func(_ context.Context, s burr.State) (burr.State, error) {
			return s.Set("out", f(burr.Key[string]("name").Or(s, ""))), nil
		}, burr.Reads("name"), burr.Writes("out")))
	}
	all := burr.MapActions("formats",
		[]*burr.Subgraph{format("upper", strings.ToUpper), format("lower", strings.ToLower), format("title", strings.ToTitle)},
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			var out []string
			for _, c := range children {
				out = append(out, c.Value("out").(string))
			}
			return s.Set("formats", out), nil
		}, burr.Reads("name"), burr.Writes("formats"))

	app, _ := burr.New(context.Background(), burr.WithActions(all),
		burr.WithState(burr.State{}.Set("name", "Ada Lovelace")), burr.WithEntrypoint("formats"))
	res, _ := app.Step(context.Background())
	fmt.Println(res.State.Value("formats"))
	// Output: [ADA LOVELACE ada lovelace ADA LOVELACE]
}

// RunChild runs a child application from inside an action: the child has its
// own app id, derived from the parent's step, and a link to its parent.
func ExampleRunChild() {
	countdown := burr.NewAction("tick", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Increment("n", -1)
	}, burr.Reads("n"), burr.Writes("n"))
	g, _ := burr.NewGraph([]*burr.Action{countdown}, burr.From("tick").To("tick", burr.Expr("n > 0")))
	sub := burr.NewSubgraph(g, "tick") // until no transition matches

	parent := burr.NewAction("parent", func(ctx context.Context, s burr.State) (burr.State, error) {
		res, err := burr.RunChild(ctx, burr.Task{Subgraph: sub, State: burr.State{}.Set("n", 3)})
		if err != nil {
			return s, err
		}
		steps, _ := res.State.SequenceID()
		return s.Set("child_steps", steps+1), nil
	}, burr.Writes("child_steps"))

	app, _ := burr.New(context.Background(), burr.WithActions(parent), burr.WithEntrypoint("parent"), burr.WithAppID("parent-app"))
	res, err := app.Step(context.Background())
	fmt.Println(res.State.Value("child_steps"), err)
	fmt.Println(burr.ChildAppID(burr.AppRef{AppID: "parent-app"}.At(0), 0))
	// Output:
	// 3 <nil>
	// b4a788b5-4638-8b20-80a5-6967ccc6a98b
}

// NewGraphAction makes a graph one action of another: it runs as a child
// application and hands back the keys the action writes.
func ExampleNewGraphAction() {
	draft := burr.NewAction("draft", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("text", "hello").Set("notes", "draft notes"), nil
	}, burr.Writes("text", "notes"))
	polish := burr.NewAction("polish", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("text", strings.ToUpper(burr.Key[string]("text").Or(s, ""))+"!"), nil
	}, burr.Reads("text"), burr.Writes("text"))
	writing, _ := burr.NewGraph([]*burr.Action{draft, polish}, burr.From("draft").To("polish"))

	write := burr.NewGraphAction("write", burr.NewSubgraph(writing, "draft", "polish"), burr.Writes("text"))
	app, _ := burr.New(context.Background(), burr.WithActions(write), burr.WithEntrypoint("write"))
	res, _ := app.Step(context.Background())
	fmt.Println(res.State.Value("text"), res.State.Has("notes"))
	// Output: HELLO! false
}
