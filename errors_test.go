package burr

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A panic value or a When value that contains itself must not take the
// process down with a stack overflow when it is formatted.
func TestSelfContainingValuesFormat(t *testing.T) {
	loop := map[string]any{}
	loop["self"] = loop

	a := NewAction("boom", func(ctx context.Context, s State) (State, error) {
		panic(loop)
	})
	app, err := New(context.Background(), WithActions(a), WithEntrypoint("boom"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Step(context.Background())
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Step: got %v, want a *PanicError", err)
	}
	if msg := pe.Error(); !strings.Contains(msg, "contains itself") || strings.Contains(msg, "\n") {
		t.Errorf("PanicError.Error() = %q, want one line with a placeholder", msg)
	}

	c := When("k", loop)
	if !strings.Contains(c.Name(), "contains itself") {
		t.Errorf("When name = %q, want a placeholder", c.Name())
	}
}
