package burrtest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrtest"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/tracking"
)

func addAction(bug bool) *burr.Action {
	num := func(v any) int {
		switch n := v.(type) {
		case int:
			return n
		case float64: // a JSON number, as a case holds it
			return int(n)
		}
		return 0
	}
	return burr.NewAction("add", func(_ context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		by := num(in["by"])
		if bug {
			by++
		}
		return burr.Result{"added": by}, s.Set("count", num(s.Value("count"))+by), nil
	}, burr.Reads("count"), burr.Writes("count"), burr.RequiredInputs("by"))
}

type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}

// A step tracked by the Go tracker becomes a case its action passes, and a
// changed action fails.
func TestCaseFromGoRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	app, err := burr.New(ctx, burr.WithActions(addAction(false)), burr.WithTransitions(burr.From("add").To("add")),
		burr.WithEntrypoint("add"), burr.WithState(burr.State{}.Set("count", 1)), burr.WithAppID("run"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []int{2, 5} {
		if _, err := app.Step(ctx, burr.WithInputs(burr.Inputs{"by": by})); err != nil {
			t.Fatal(err)
		}
	}
	tr.Close()
	c, err := burrtest.FromLog(filepath.Join(dir, "p", "run", tracking.LogFile), 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "add_1" || string(c.InputState) != `{"count":3}` || string(c.Inputs) != `{"by":5}` || string(c.ExpectedState) != `{"count":8}` || string(c.ExpectedResult) != `{"added":5}` {
		t.Errorf("case %+v", c)
	}
	var ok recorder
	burrtest.Check(ctx, &ok, addAction(false), c)
	if len(ok.errs) != 0 {
		t.Errorf("the recorded action fails its case: %v", ok.errs)
	}
	var bad recorder
	burrtest.Check(ctx, &bad, addAction(true), c)
	if strings.Join(bad.errs, "\n") != "burrtest add_1: state key \"count\" = 9, want 8\nburrtest add_1: result key \"added\" = 6, want 5" {
		t.Errorf("a changed action: %q", bad.errs)
	}
	// The fixture file keeps one case per name.
	file := filepath.Join(t.TempDir(), "cases.json")
	for range 2 {
		if err := burrtest.AddToFile(file, c); err != nil {
			t.Fatal(err)
		}
	}
	cases, err := burrtest.ReadFile(file)
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases %v, %v", cases, err)
	}
	if _, err := burrtest.Find(cases, "add_9"); err == nil || !strings.Contains(err.Error(), "add_1") {
		t.Errorf("Find: %v", err)
	}
	if _, err := burrtest.FromLog(filepath.Join(dir, "p", "run", tracking.LogFile), 7); err == nil || !strings.Contains(err.Error(), "no step with sequence id 7") {
		t.Errorf("missing step: %v", err)
	}
}

// A step of a run Python Burr tracked becomes a case a Go action is tested
// against.
func TestCaseFromPythonRun(t *testing.T) {
	log := filepath.Join(testenv.DemoData(t), "demo_counter", "count-to-42", "log.jsonl")
	c, err := burrtest.FromLog(log, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Action != "counter" || string(c.InputState) != `{"count_to":42,"counter":1}` || string(c.ExpectedState) != `{"count_to":42,"counter":2}` {
		t.Fatalf("case %+v", c)
	}
	counter := burr.NewAction("counter", func(_ context.Context, s burr.State) (burr.State, error) {
		n, _ := s.Value("counter").(float64)
		return s.Set("counter", n+1), nil
	}, burr.Reads("counter"), burr.Writes("counter"))
	var r recorder
	burrtest.Check(context.Background(), &r, counter, c)
	if len(r.errs) != 0 {
		t.Errorf("errors: %v", r.errs)
	}
}
