package burr_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/burrgo/burr"
)

// The counter of the README's quickstart: an action that increments a count,
// a transition that loops while the count is below 10, and a result action.
func Example() {
	ctx := context.Background()
	increment := burr.NewAction("increment", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Increment("count", 1)
	}, burr.Reads("count"), burr.Writes("count"))

	app, err := burr.New(ctx,
		burr.WithActions(increment, burr.ResultAction("done", "count")),
		burr.WithTransitions(
			burr.From("increment").To("increment", burr.Expr("count < 10")),
			burr.From("increment").To("done")),
		burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("increment"))
	if err != nil {
		panic(err)
	}
	res, err := app.Run(ctx, burr.HaltAfter("done"))
	fmt.Println(res.Result["count"], err) // 10 <nil>
	// Output: 10 <nil>
}

func ExampleState() {
	s := burr.State{}.Set("count", 1).Set("history", []string{"hi"})
	s2, _ := s.Increment("count", 2)
	s2, _ = s2.Append("history", "hello")

	n, _ := burr.Key[int]("count").Get(s2)
	fmt.Println(n, s2.Value("history"))
	fmt.Println(s) // s is unchanged
	// Output:
	// 3 [hi hello]
	// {"count":1,"history":["hi"]}
}

func ExampleNewAction() {
	increment := burr.NewAction("increment", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Increment("count", 1)
	}, burr.Reads("count"), burr.Writes("count"))

	app, _ := burr.New(context.Background(),
		burr.WithActions(increment),
		burr.WithState(burr.State{}.Set("count", 41)),
		burr.WithEntrypoint("increment"))
	res, _ := app.Step(context.Background())
	fmt.Println(res.Action.Name(), res.State.Value("count"))
	// Output: increment 42
}

// greeter is a two-phase action: Run sees only the keys it reads; Update
// folds the result into the whole state.
type greeter struct{}

func (greeter) Run(_ context.Context, s burr.State, in burr.Inputs) (burr.Result, error) {
	return burr.Result{"greeting": fmt.Sprintf("%s, %s!", in["salutation"], s.Value("name"))}, nil
}

func (greeter) Update(r burr.Result, s burr.State) (burr.State, error) {
	return s.Set("greeting", r["greeting"]), nil
}

func ExampleNewStructAction() {
	greet := burr.NewStructAction("greet", greeter{},
		burr.Reads("name"), burr.Writes("greeting"), burr.RequiredInputs("salutation"))
	app, _ := burr.New(context.Background(),
		burr.WithActions(greet),
		burr.WithState(burr.State{}.Set("name", "Ada")),
		burr.WithEntrypoint("greet"))
	res, _ := app.Step(context.Background(), burr.WithInputs(burr.Inputs{"salutation": "Hello"}))
	fmt.Println(res.Result["greeting"])
	// Output: Hello, Ada!
}

func ExampleCondition() {
	s := burr.State{}.Set("count", 3).Set("mode", "chat")
	for _, c := range []burr.Condition{
		burr.When("mode", "chat"),
		burr.Expr("count < 10 and mode == 'chat'"),
		burr.When("mode", "chat").Not(),
		burr.Predicate("odd", []string{"count"}, func(s burr.State) bool { return burr.Key[int]("count").Or(s, 0)%2 == 1 }),
		burr.Default,
	} {
		ok, _ := c.Evaluate(s)
		fmt.Printf("%-30s %v\n", c.Name(), ok)
	}
	// Output:
	// mode=chat                      true
	// count < 10 and mode == 'chat'  true
	// ~mode=chat                     false
	// odd                            true
	// default                        true
}

// counter returns an application that counts to 5, then reports the count.
func counter() *burr.Application {
	increment := burr.NewAction("increment", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Increment("count", 1)
	}, burr.Reads("count"), burr.Writes("count"))
	app, err := burr.New(context.Background(),
		burr.WithActions(increment, burr.ResultAction("report", "count")),
		burr.WithTransitions(
			burr.From("increment").To("increment", burr.Expr("count < 5")),
			burr.From("increment").To("report")),
		burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("increment"))
	if err != nil {
		panic(err)
	}
	return app
}

func ExampleApplication_Run() {
	app := counter()
	res, err := app.Run(context.Background(), burr.HaltAfter("report"))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Action.Name(), res.Result["count"])
	// Output: report 5
}

func ExampleApplication_Iterate() {
	app := counter()
	for res, err := range app.Iterate(context.Background(), burr.HaltAfter("report")) {
		if err != nil {
			panic(err)
		}
		fmt.Print(res.Action.Name(), " ")
	}
	fmt.Println()
	// Output: increment increment increment increment increment report
}

// stepLogger is a hook: it implements PostRunStepHook.
type stepLogger struct{}

func (stepLogger) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	fmt.Printf("step %d: %s -> count=%v\n", e.SequenceID, e.Action.Name(), e.State.Value("count"))
	return nil
}

func ExamplePostRunStepHook() {
	increment := burr.NewAction("increment", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Increment("count", 1)
	}, burr.Reads("count"), burr.Writes("count"))
	app, _ := burr.New(context.Background(),
		burr.WithActions(increment),
		burr.WithTransitions(burr.From("increment").To("increment", burr.Expr("count < 3"))),
		burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("increment"),
		burr.WithHooks(stepLogger{}))
	app.Run(context.Background())
	// Output:
	// step 0: increment -> count=1
	// step 1: increment -> count=2
	// step 2: increment -> count=3
}

// echo streams its prompt back word by word.
var echo = burr.NewStreamingAction("echo", func(ctx context.Context, s burr.State, in burr.Inputs, yield burr.Yield) (burr.Result, burr.State, error) {
	var said []string
	for _, w := range strings.Fields(in["prompt"].(string)) {
		if !yield(w) {
			break // the consumer stopped: finish with what was said
		}
		said = append(said, w)
	}
	answer := strings.Join(said, " ")
	s, err := s.Append("history", answer)
	return burr.Result{"answer": answer}, s, err
}, burr.Reads("history"), burr.Writes("history"), burr.RequiredInputs("prompt"))

func echoApp() *burr.Application {
	app, err := burr.New(context.Background(),
		burr.WithActions(echo),
		burr.WithTransitions(burr.From("echo").To("echo")),
		burr.WithEntrypoint("echo"))
	if err != nil {
		panic(err)
	}
	return app
}

func ExampleNewStreamingAction() {
	app := echoApp()
	stream, err := app.StreamResult(context.Background(), burr.HaltAfter("echo"),
		burr.WithInputs(burr.Inputs{"prompt": "streaming shows the first token at once"}))
	if err != nil {
		panic(err)
	}
	for word := range stream.All() {
		fmt.Print(word, "|")
	}
	result, state, err := stream.Get()
	fmt.Println()
	fmt.Println(result["answer"], err)
	fmt.Println(state.Value("history"))
	// Output:
	// streaming|shows|the|first|token|at|once|
	// streaming shows the first token at once <nil>
	// [streaming shows the first token at once]
}

// countdown is a two-phase streaming action: Stream yields items and returns
// the final result, Update folds it into state.
type countdown struct{}

func (countdown) Stream(_ context.Context, s burr.State, _ burr.Inputs, yield burr.Yield) (burr.Result, error) {
	n := burr.Key[int]("from").Or(s, 3)
	for i := n; i > 0; i-- {
		if !yield(i) {
			break
		}
	}
	return burr.Result{"launched": true}, nil
}

func (countdown) Update(r burr.Result, s burr.State) (burr.State, error) {
	return s.Set("launched", r["launched"]), nil
}

func ExampleNewStructStreamingAction() {
	launch := burr.NewStructStreamingAction("countdown", countdown{}, burr.Reads("from"), burr.Writes("launched"))
	app, _ := burr.New(context.Background(), burr.WithActions(launch),
		burr.WithState(burr.State{}.Set("from", 3)), burr.WithEntrypoint("countdown"))
	stream, _ := app.StreamResult(context.Background(), burr.HaltAfter("countdown"))
	for stream.Next() {
		fmt.Print(stream.Item(), "… ")
	}
	_, state, _ := stream.Get()
	fmt.Println("launched:", state.Value("launched"))
	// Output: 3… 2… 1… launched: true
}

func ExampleStream_Get() {
	app := echoApp()
	stream, _ := app.StreamResult(context.Background(), burr.HaltAfter("echo"),
		burr.WithInputs(burr.Inputs{"prompt": "no need to iterate"}))
	result, _, err := stream.Get() // drains the stream
	fmt.Println(result["answer"], err)
	// Output: no need to iterate <nil>
}

func ExampleStream_Stop() {
	app := echoApp()
	stream, _ := app.StreamResult(context.Background(), burr.HaltAfter("echo"),
		burr.WithInputs(burr.Inputs{"prompt": "one two three four five"}))
	for word := range stream.All() {
		fmt.Println(word)
		if word == "two" {
			stream.Stop() // "stop generating": keep what was said so far
		}
	}
	result, state, err := stream.Get()
	fmt.Println(result["answer"], "|", state.Value("history"), err)
	// Output:
	// one
	// two
	// one two | [one two] <nil>
}

func ExampleStream_Close() {
	app := echoApp()
	stream, _ := app.StreamResult(context.Background(), burr.HaltAfter("echo"),
		burr.WithInputs(burr.Inputs{"prompt": "abandon this answer"}))
	for word := range stream.All() {
		fmt.Println(word)
		break // breaking out abandons the stream, like Close
	}
	_, _, err := stream.Get()
	fmt.Println(err != nil, app.State().Has("history"))
	// Output:
	// abandon
	// true false
}

// A typed key reads and writes one state key as a Go type, converting numbers
// that fit and decoding values that came back from JSON.
func ExampleKey() {
	var (
		count = burr.Key[int]("count")
		tags  = burr.Key[[]string]("tags")
	)
	s := count.Set(burr.State{}, 41)
	s = s.Set("tags", []any{"a", "b"}) // as a state loaded from JSON holds it

	n, _ := count.Get(s)
	t, _ := tags.Get(s)
	fmt.Println(n+1, t, len(t))

	_, err := burr.Key[string]("count").Get(s)
	fmt.Println(err)
	fmt.Println(burr.Key[int]("missing").Or(s, -1))
	// Output:
	// 42 [a b] 2
	// burr: cannot get state key "count": want string, have int
	// -1
}

// Bind fixes some of an action's inputs, so that one action serves under
// several names with different settings.
func ExampleAction_Bind() {
	greet := burr.NewAction("greet", func(_ context.Context, s burr.State, in burr.Inputs) (burr.State, error) {
		return s.Set("greeting", fmt.Sprintf("%s, %s!", in["salutation"], in["name"])), nil
	}, burr.Writes("greeting"), burr.RequiredInputs("salutation", "name"))
	formal := greet.Bind(burr.Inputs{"salutation": "Good evening"}).WithName("formal")
	fmt.Println(formal.RequiredInputs()) // salutation is bound: only name is left

	app, _ := burr.New(context.Background(), burr.WithActions(formal), burr.WithEntrypoint("formal"))
	res, _ := app.Step(context.Background(), burr.WithInputs(burr.Inputs{"name": "Ada"}))
	fmt.Println(res.State.Value("greeting"))
	// Output:
	// [name]
	// Good evening, Ada!
}

// NewGraph checks actions and transitions once; the graph can then build any
// number of applications and be drawn.
func ExampleNewGraph() {
	chat := burr.NewAction("chat", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Increment("turns", 1)
	}, burr.Reads("turns"), burr.Writes("turns"))
	g, err := burr.NewGraph([]*burr.Action{chat, burr.ResultAction("bye", "turns")},
		burr.From("chat").To("chat", burr.Expr("turns < 3")),
		burr.From("chat").To("bye"))
	if err != nil {
		panic(err)
	}
	fmt.Print(g.DOT(burr.ExportOptions{Conditions: true}))

	app, _ := burr.New(context.Background(), burr.WithGraph(g), burr.WithEntrypoint("chat"))
	res, _ := app.Run(context.Background(), burr.HaltAfter("bye"))
	fmt.Println(res.Result["turns"])
	// Output:
	// digraph {
	// 	graph [compound=false concentrate=false rankdir=TB ranksep=0.4]
	// 	node [fillcolor="#b4d8e4" fontname=Helvetica margin=0.15]
	// 	"chat" [label="chat" shape=box style="rounded,filled"]
	// 	"bye" [label="bye" shape=box style="rounded,filled"]
	// 	"chat" -> "chat" [style=dashed label="turns < 3"]
	// 	"chat" -> "bye" [style=solid]
	// }
	// 3
}

// StreamIterate runs action after action, each as a stream: streaming actions
// hand out their items, the others an empty stream with their result.
func ExampleApplication_StreamIterate() {
	prompt := burr.InputAction("prompt", "prompt")
	app, _ := burr.New(context.Background(),
		burr.WithActions(prompt, echo),
		burr.WithTransitions(burr.From("prompt").To("echo")),
		burr.WithEntrypoint("prompt"))
	for stream, err := range app.StreamIterate(context.Background(), burr.HaltAfter("echo"),
		burr.WithInputs(burr.Inputs{"prompt": "one stream per action"})) {
		if err != nil {
			panic(err)
		}
		fmt.Print(stream.Action().Name(), ":")
		for item := range stream.All() {
			fmt.Print(" ", item)
		}
		result, _, _ := stream.Get()
		fmt.Println(" |", len(result), "result keys")
	}
	// Output:
	// prompt: | 1 result keys
	// echo: one stream per action | 1 result keys
}

// An action that may wait long between items (a model thinking) selects on
// Stopping, so that a Stop or Close is noticed at once rather than at the next
// item.
func ExampleStopping() {
	tokens := make(chan string) // a model that has produced nothing yet
	slow := burr.NewStreamingAction("answer", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		answer := "Let me think"
		if !yield(answer) {
			return burr.Result{"answer": answer}, s.Set("answer", answer), nil
		}
		for {
			select {
			case tok := <-tokens:
				answer += tok
				yield(tok)
			case <-burr.Stopping(ctx): // the user pressed "stop generating"
				return burr.Result{"answer": answer}, s.Set("answer", answer), nil
			}
		}
	}, burr.Writes("answer"))
	app, _ := burr.New(context.Background(), burr.WithActions(slow), burr.WithEntrypoint("answer"))
	stream, _ := app.StreamResult(context.Background(), burr.HaltAfter("answer"))
	for item := range stream.All() {
		fmt.Println(item)
		stream.Stop() // from another goroutine in a server; here, after the first item
	}
	_, state, err := stream.Get()
	fmt.Println(state.Value("answer"), err)
	// Output:
	// Let me think
	// Let me think <nil>
}
