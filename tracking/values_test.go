package tracking_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
	"github.com/burrgo/burr/tracking"
)

// A state, a result, an input or an attribute that contains itself has no
// JSON encoding and no text (fmt.Sprint would recurse until the stack
// overflows): the tracker writes a placeholder, reports the first such value
// once, and the run goes on, tracked.
func TestValueContainingItself(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	tr := newTracker(t, tracking.WithErrorHandler(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	loop := burr.NewAction("loop", func(ctx context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		self := map[string]any{"name": "self"}
		self["self"] = self
		list := []any{1, nil}
		list[1] = list
		burr.LogAttributes(ctx, "list", list)
		return burr.Result{"self": self, "ok": 1}, s.Set("self", self).Set("count", 1), nil
	}, burr.Writes("self", "count"), burr.OptionalInputs("in"))
	after := burr.NewAction("after", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Set("count", 2), nil
	}, burr.Reads("count"), burr.Writes("count"))
	g, err := burr.NewGraph([]*burr.Action{loop, after}, burr.From("loop").To("after"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := burr.New(context.Background(), burr.WithGraph(g), burr.WithEntrypoint("loop"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{}
	in["in"] = in
	if _, err := app.Step(context.Background(), burr.WithInputs(burr.Inputs{"in": in})); err != nil {
		t.Fatal(err)
	}
	res, err := app.Run(context.Background(), burr.HaltAfter("after"))
	if err != nil {
		t.Fatal(err)
	}
	if res.State.Value("count") != 2 {
		t.Errorf("final state %v", res.State)
	}

	lines := logLines(t, tr, app.Ref().AppID)
	if got := countTypes(lines); got["begin_entry"] != 2 || got["end_entry"] != 2 || got["attribute"] != 1 {
		t.Fatalf("lines %v", got)
	}
	const placeholder = "<map[string]interface {} that contains itself>"
	if v := lines[0]["inputs"].(map[string]any)["in"]; v != placeholder {
		t.Errorf("input = %v", v)
	}
	if v := lines[1]["value"]; v != "<[]interface {} that contains itself>" {
		t.Errorf("attribute = %v", v)
	}
	end := lines[2]
	if r := end["result"].(map[string]any); r["self"] != placeholder || r["ok"] != 1.0 {
		t.Errorf("result = %v", r)
	}
	if st := end["state"].(map[string]any); st["self"] != placeholder || st["count"] != 1.0 {
		t.Errorf("state = %v", st)
	}
	if st := lines[4]["state"].(map[string]any); st["self"] != placeholder || st["count"] != 2.0 {
		t.Errorf("state after the next step = %v", st)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || !errors.Is(reported[0], jsonx.ErrContainsItself) || tr.Err() != reported[0] {
		t.Fatalf("reported %v, Err() = %v", reported, tr.Err())
	}
	msg := reported[0].Error()
	for _, want := range []string{filepath.Join(app.Ref().AppID, tracking.LogFile), `step 0: input "in"`, placeholder} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

// A value reported first does not hide a write failure that comes later:
// each is reported once.
func TestValueThenWriteErrorReported(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	tr := newTracker(t, tracking.WithErrorHandler(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	act := burr.NewAction("a", func(ctx context.Context, s burr.State) (burr.State, error) {
		self := map[string]any{}
		self["self"] = self
		return s.Set("self", self), nil
	}, burr.Writes("self"))
	run := func(appID string) {
		app, err := burr.New(context.Background(), burr.WithActions(act), burr.WithTransitions(burr.From("a").To("a")),
			burr.WithEntrypoint("a"), burr.WithAppID(appID), burr.WithHooks(tr))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := app.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	run("first")
	// The second application's directory cannot be created: a file is in the way.
	if err := os.WriteFile(filepath.Join(tr.Dir(), "blocked"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run("blocked")
	run("third")
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 2 || !errors.Is(reported[0], jsonx.ErrContainsItself) || errors.Is(reported[1], jsonx.ErrContainsItself) ||
		!strings.Contains(reported[1].Error(), "blocked") {
		t.Errorf("reported %v", reported)
	}
	if len(logLines(t, tr, "third")) != 4 {
		t.Error("the third application is not tracked")
	}
}
