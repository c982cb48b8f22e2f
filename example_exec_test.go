package burr_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/burrgo/burr"
)

// An action asks a person before it acts: the run stops with the question,
// and a call with the answer runs the action again.
func ExampleAsk() {
	ctx := context.Background()
	deploy := burr.NewAction("deploy", func(ctx context.Context, s burr.State) (burr.State, error) {
		answer, err := burr.Ask(ctx, "Deploy version 2 to production?")
		if err != nil {
			return s, err // the *burr.Interrupt: nothing is committed
		}
		return s.Set("deployed", answer == "yes"), nil
	}, burr.Writes("deployed"))
	app, _ := burr.New(ctx, burr.WithActions(deploy), burr.WithEntrypoint("deploy"))

	_, err := app.Run(ctx)
	var intr *burr.Interrupt
	if errors.As(err, &intr) {
		fmt.Println("question:", intr.Payload)
	}
	_, err = app.Run(ctx)
	fmt.Println("without an answer:", errors.Is(err, burr.ErrInterrupted))
	_, err = app.Run(ctx, burr.WithAnswer("yes"))
	fmt.Println("deployed:", app.State().Value("deployed"), err)
	// Output:
	// question: Deploy version 2 to production?
	// without an answer: true
	// deployed: true <nil>
}

// A flaky call is retried; the step is recorded once.
func ExampleRetry() {
	ctx := context.Background()
	errUnavailable := errors.New("service unavailable")
	calls := 0
	fetch := burr.NewAction("fetch", func(context.Context, burr.State) (burr.Result, burr.State, error) {
		if calls++; calls < 3 {
			return nil, burr.State{}, errUnavailable
		}
		return burr.Result{"calls": calls}, burr.State{}, nil
	}, burr.Retry(burr.RetryPolicy{Attempts: 5, If: burr.RetryOn(errUnavailable)}))
	app, _ := burr.New(ctx, burr.WithActions(fetch), burr.WithEntrypoint("fetch"))
	res, err := app.Step(ctx)
	fmt.Println(res.Result["calls"], err)
	// Output: 3 <nil>
}

// A failure goes on to a handler instead of ending the run.
func ExampleSources_OnError() {
	ctx := context.Background()
	errDown := errors.New("the tool is down")
	call := burr.NewAction("call_tool", func(context.Context, burr.State) (burr.State, error) {
		return burr.State{}, errDown
	})
	explain := burr.NewAction("explain", func(ctx context.Context, s burr.State) (burr.State, error) {
		failed, _ := burr.HandledError(ctx)
		return s.Set("message", fmt.Sprintf("%s failed: %v", failed.Action, failed.Err)), nil
	}, burr.Writes("message"))
	app, _ := burr.New(ctx, burr.WithActions(call, explain), burr.WithEntrypoint("call_tool"),
		burr.WithTransitions(burr.From("call_tool").OnError("explain", burr.ErrorIs(errDown))))
	res, err := app.Run(ctx)
	fmt.Println(res.Action.Name(), res.State.Value("message"), err)
	// Output: explain call_tool failed: the tool is down <nil>
}

// After ranging over Iterate, Outcome says how the run ended.
func ExampleApplication_Outcome() {
	ctx := context.Background()
	app, _ := burr.New(ctx,
		burr.WithActions(counterAction("counter"), burr.ResultAction("result", "count")),
		burr.WithTransitions(burr.From("counter").To("counter", burr.Expr("count < 3")), burr.From("counter").To("result")),
		burr.WithState(burr.State{}.Set("count", 0)), burr.WithEntrypoint("counter"))
	for range app.Iterate(ctx, burr.HaltBefore("result")) {
	}
	o := app.Outcome()
	fmt.Println(o.Reason, o.Action.Name(), o.Result["count"])
	// Output: halted before result 3
}
