package tracking_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
	"github.com/google/go-cmp/cmp"
)

func demoTracker(t *testing.T, project string) *tracking.LocalTracker {
	t.Helper()
	tr, err := tracking.NewLocal(project, tracking.WithStorageDir(testenv.DemoData(t)), tracking.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Python Burr's own logs load: the latest step and any step by sequence id.
func TestLoadPythonDemoData(t *testing.T) {
	ctx := context.Background()
	tr := demoTracker(t, "demo_counter")
	rec, err := tr.Load(ctx, burr.AppRef{AppID: "count-to-10", PartitionKey: "user_1"}.At(burr.Latest))
	if err != nil {
		t.Fatal(err)
	}
	if rec.SequenceID != 10 || rec.Position != "result" || rec.Status != burr.StatusCompleted || rec.AppID != "count-to-10" ||
		rec.PartitionKey != "user_1" || rec.CreatedAt.IsZero() {
		t.Errorf("record = %+v", rec)
	}
	if d := cmp.Diff(map[string]any{"count_to": 10, "counter": 10, burr.SequenceIDKey: 10}, rec.State.Map()); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
	rec, err = tr.Load(ctx, burr.AppRef{AppID: "count-to-10", PartitionKey: "user_1"}.At(3))
	if err != nil {
		t.Fatal(err)
	}
	if rec.SequenceID != 3 || rec.Position != "counter" || rec.State.Value("counter") != 4 {
		t.Errorf("record 3 = %+v", rec)
	}
	// Every demo application parses.
	entries, err := os.ReadDir(testenv.DemoData(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, proj := range entries {
		ptr := demoTracker(t, proj.Name())
		apps, _ := os.ReadDir(ptr.Dir())
		for _, app := range apps {
			if _, err := ptr.Load(ctx, burr.AppRef{AppID: app.Name()}.At(burr.Latest)); err != nil {
				t.Errorf("%s/%s: %v", proj.Name(), app.Name(), err)
			}
		}
	}
	// A step that failed loads with status failed.
	chat := demoTracker(t, "demo_chatbot")
	raw := readLines(t, filepath.Join(chat.Dir(), "chat-6-demonstrate-errors", tracking.LogFile))
	for _, l := range raw {
		if l["type"] == "end_entry" && l["exception"] != nil {
			rec, err := chat.Load(ctx, burr.AppRef{AppID: "chat-6-demonstrate-errors"}.At(l.num("sequence_id")))
			if err != nil || rec.Status != burr.StatusFailed {
				t.Errorf("failed step: %+v, %v", rec, err)
			}
			break
		}
	}
}

// Initialising an application from Python Burr's demo run, resuming after
// its last step.
func TestResumePythonDemoRun(t *testing.T) {
	tr := demoTracker(t, "demo_counter")
	counter := burr.NewAction("counter", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s.Set("counter", burr.Key[int]("counter").Or(s, 0)+1), nil
	}, burr.Reads("counter"), burr.Writes("counter"))
	result := burr.ResultAction("result", "counter")
	app, err := burr.New(context.Background(), burr.WithActions(counter, result),
		burr.WithTransitions(burr.From("counter").To("counter", burr.Expr("counter < count_to")), burr.From("counter").To("result")),
		burr.WithInitializeFrom(tr, burr.ForkFrom(burr.AppRef{AppID: "count-to-10", PartitionKey: "user_1"}.At(4)),
			burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.Run(context.Background(), burr.HaltAfter("result"))
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := app.SequenceID(); seq != 10 || res.State.Value("counter") != 10 {
		t.Errorf("ended at sequence id %d with %v", seq, res.State)
	}
}

func TestLoadNotFound(t *testing.T) {
	ctx := context.Background()
	tr := newTracker(t)
	app := counterApp(t, tr, 2)
	if _, err := app.Run(ctx, burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tr.Dir(), "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tr.Dir(), "empty", tracking.LogFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		app string
		seq int
	}{
		"no app id": {"", burr.Latest}, "unknown app": {"nope", burr.Latest}, "empty log": {"empty", burr.Latest},
		"unknown sequence id": {app.Ref().AppID, 99}, "path": {"../x", burr.Latest},
	} {
		_, err := tr.Load(ctx, burr.AppRef{AppID: c.app}.At(c.seq))
		if !errors.Is(err, tracking.ErrNotFound) || !errors.Is(err, burr.ErrNotFound) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// Unknown: WithInitializeFrom starts from its defaults.
	fresh, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 2)),
		burr.WithInitializeFrom(tr, burr.DefaultState(burr.State{}.Set("count", 0)), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fresh.SequenceID(); ok {
		t.Error("a fresh application has a sequence id")
	}
}

// A failed last step loads as failed, so resuming retries it.
func TestLoadFailedStepRetries(t *testing.T) {
	ctx := context.Background()
	tr := newTracker(t)
	fail := true
	flaky := burr.NewAction("flaky", func(ctx context.Context, s burr.State) (burr.State, error) {
		if fail {
			return s, errors.New("try again")
		}
		return s.Set("done", true), nil
	}, burr.Writes("done"))
	start := burr.NewAction("start", func(ctx context.Context, s burr.State) (burr.State, error) { return s.Set("x", 1), nil }, burr.Writes("x"))
	g, err := burr.NewGraph([]*burr.Action{start, flaky}, burr.From("start").To("flaky"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := burr.New(ctx, burr.WithGraph(g), burr.WithEntrypoint("start"), burr.WithAppID("flaky"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(ctx, burr.HaltAfter("flaky")); err == nil {
		t.Fatal("want an error")
	}
	rec, err := tr.Load(ctx, burr.AppRef{AppID: "flaky"}.At(burr.Latest))
	if err != nil || rec.Status != burr.StatusFailed || rec.Position != "flaky" || rec.SequenceID != 1 {
		t.Fatalf("record %+v, %v", rec, err)
	}
	if time.Since(rec.CreatedAt) > time.Minute {
		t.Errorf("CreatedAt = %v", rec.CreatedAt)
	}
	fail = false
	again, err := burr.New(ctx, burr.WithGraph(g), burr.WithAppID("flaky"), burr.WithHooks(tr),
		burr.WithInitializeFrom(tr, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("start")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := again.Run(ctx, burr.HaltAfter("flaky"))
	if err != nil || res.Action.Name() != "flaky" || res.State.Value("done") != true {
		t.Fatalf("resume: %v, %v", res, err)
	}
	if seq, _ := again.SequenceID(); seq != 2 {
		t.Errorf("sequence id %d, want 2", seq)
	}
}

func TestListAppIDs(t *testing.T) {
	ctx := context.Background()
	tr := newTracker(t)
	for _, c := range []struct{ id, pk string }{{"a", "p1"}, {"b", "p2"}, {"c", "p1"}, {"d", ""}} {
		app := counterApp(t, tr, 1, burr.WithAppID(c.id), burr.WithPartitionKey(c.pk))
		if _, err := app.Run(ctx, burr.HaltAfter("result")); err != nil {
			t.Fatal(err)
		}
	}
	// Make the modification times distinct and ordered: c newer than a.
	base := time.Now()
	for i, id := range []string{"a", "b", "c", "d"} {
		ts := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(filepath.Join(tr.Dir(), id), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	for pk, want := range map[string][]string{"p1": {"c", "a"}, "p2": {"b"}, "": {"d"}, "none": nil} {
		got, err := tr.ListAppIDs(ctx, pk)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("ListAppIDs(%q) (-want +got):\n%s", pk, d)
		}
	}
}
