package burrtest_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrtest"
)

// printer reports differences the way a *testing.T would.
type printer struct{}

func (printer) Helper()                        {}
func (printer) Errorf(format string, a ...any) { fmt.Printf(format+"\n", a...) }

// A case taken from a tracked step ("burr test-case create", or FromLog)
// checks an action: here the recorded step doubled "n" from 21 to 42, and a
// changed action that adds one is caught.
func Example() {
	c := burrtest.Case{
		Action:         "double",
		Name:           "double_3",
		InputState:     json.RawMessage(`{"n": 21}`),
		Inputs:         json.RawMessage(`{}`),
		ExpectedState:  json.RawMessage(`{"n": 42}`),
		ExpectedResult: json.RawMessage(`null`),
	}
	double := func(add float64) *burr.Action {
		return burr.NewAction("double", func(_ context.Context, s burr.State) (burr.State, error) {
			n, _ := s.Value("n").(float64)
			return s.Set("n", 2*n+add), nil
		}, burr.Reads("n"), burr.Writes("n"))
	}
	ctx := context.Background()
	_, st := burrtest.Check(ctx, printer{}, double(0), c)
	fmt.Println("n =", st.Value("n"))
	burrtest.Check(ctx, printer{}, double(1), c)
	// Output:
	// n = 42
	// burrtest double_3: state key "n" = 43, want 42
}
