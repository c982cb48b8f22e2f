package burr_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/burrgo/burr"
)

// spell is a streaming action that yields the letters of the state's
// "word" one by one and keeps how many it yielded.
var spell = burr.NewStreamingAction("spell", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
	n := 0
	for _, r := range burr.Key[string]("word").Or(s, "") {
		if !yield(string(r)) {
			break
		}
		n++
	}
	return nil, s.Set("letters", n), nil
}, burr.Reads("word"), burr.Writes("letters"))

// A streaming parallel action merges the streams of its children into its
// own: each item is a *ChildItem that says which child it came from. The
// children run at once, so their items interleave; each child's stay in
// order.
func ExampleNewStreamingParallelAction() {
	words := []string{"go", "burr", "state"}
	fan := burr.NewStreamingParallelAction("spell-all",
		func(context.Context, burr.State, burr.Inputs) ([]burr.Task, error) {
			var tasks []burr.Task
			for _, w := range words {
				tasks = append(tasks, burr.Task{Subgraph: burr.SubgraphOf(spell), State: burr.State{}.Set("word", w)})
			}
			return tasks, nil
		},
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			total := 0
			for _, c := range children {
				total += burr.Key[int]("letters").Or(c, 0)
			}
			return s.Set("total", total), nil
		}, burr.Writes("total"))

	app, _ := burr.New(context.Background(), burr.WithActions(fan), burr.WithEntrypoint("spell-all"))
	stream, _ := app.StreamResult(context.Background(), burr.HaltAfter("spell-all"))
	perChild := make([]string, len(words))
	for item := range stream.All() {
		ci := item.(*burr.ChildItem) // valid until the loop body returns
		perChild[ci.Index] += ci.Item.(string)
	}
	_, state, err := stream.Get()
	fmt.Println(strings.Join(perChild, " "), state.Value("total"), err)
	// Output: go burr state 11 <nil>
}

// StreamingMapStates is MapStates whose children stream: one child per
// state, their items merged into the action's stream.
func ExampleStreamingMapStates() {
	fan := burr.StreamingMapStates("spell-all", burr.SubgraphOf(spell),
		func(_ context.Context, s burr.State, _ burr.Inputs) ([]burr.State, error) {
			var states []burr.State
			for _, w := range burr.Key[[]string]("words").Or(s, nil) {
				states = append(states, burr.State{}.Set("word", w))
			}
			return states, nil
		},
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			var counts []int
			for _, c := range children {
				counts = append(counts, burr.Key[int]("letters").Or(c, 0))
			}
			return s.Set("counts", counts), nil
		}, burr.Reads("words"), burr.Writes("counts"))

	app, _ := burr.New(context.Background(), burr.WithActions(fan), burr.WithEntrypoint("spell-all"),
		burr.WithState(burr.State{}.Set("words", []string{"map", "reduce"})))
	stream, _ := app.StreamResult(context.Background(), burr.HaltAfter("spell-all"))
	items := 0
	for range stream.All() {
		items++
	}
	_, state, err := stream.Get()
	fmt.Println(items, state.Value("counts"), err)
	// Output: 9 [3 6] <nil>
}
