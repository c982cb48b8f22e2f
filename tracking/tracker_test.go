package tracking_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
	"github.com/google/go-cmp/cmp"
)

// As Python Burr's test_application_tracks_end_to_end: a counter to 2, then
// result: the graph, and begin/end entries, spans and attributes per step.
func TestTracksEndToEnd(t *testing.T) {
	tr := newTracker(t)
	app := counterApp(t, tr, 2)
	if _, err := app.Run(context.Background(), burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, tr, app.Ref().AppID)
	want := map[string]int{"begin_entry": 3, "end_entry": 3, "begin_span": 2, "end_span": 2, "attribute": 2}
	if d := cmp.Diff(want, countTypes(lines)); d != "" {
		t.Errorf("line counts (-want +got):\n%s", d)
	}
	for _, l := range lines {
		if l["type"] == "end_entry" && l["exception"] != nil {
			t.Errorf("unexpected exception: %v", l["exception"])
		}
	}
	var g struct {
		Type       string `json:"type"`
		Entrypoint string `json:"entrypoint"`
		Actions    []struct {
			Name string `json:"name"`
		} `json:"actions"`
	}
	b, err := os.ReadFile(filepath.Join(tr.Dir(), app.Ref().AppID, tracking.GraphFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.Type != "application" || g.Entrypoint != "counter" || len(g.Actions) != 2 || g.Actions[0].Name != "counter" || g.Actions[1].Name != "result" {
		t.Errorf("graph.json = %s", b)
	}
}

// As Python Burr's test_application_tracks_end_to_end_broken: a failing step logs the error's text, a null result and
// the state before the step.
func TestTracksBrokenAction(t *testing.T) {
	tr := newTracker(t)
	ok := burr.NewAction("ok", func(ctx context.Context, s burr.State) (burr.State, error) { return s.Set("x", 1), nil }, burr.Writes("x"))
	broken := burr.NewAction("broken", func(ctx context.Context, s burr.State) (burr.State, error) {
		return s, errors.New("Broken")
	})
	app, err := burr.New(context.Background(), burr.WithActions(ok, broken), burr.WithTransitions(burr.From("ok").To("broken")),
		burr.WithEntrypoint("ok"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(context.Background(), burr.HaltAfter("broken")); err == nil {
		t.Fatal("want the action's error")
	}
	lines := logLines(t, tr, app.Ref().AppID)
	if c := countTypes(lines); c["begin_entry"] != 2 || c["end_entry"] != 2 {
		t.Fatalf("counts %v", c)
	}
	raw := readRaw(t, filepath.Join(tr.Dir(), app.Ref().AppID, tracking.LogFile))
	last := normalize(t, raw[len(raw)-1])
	// As in Burr (the demo chatbot logs start the same way), an application
	// started empty has __SEQUENCE_ID first: it is set before the first action.
	want := `{"type":"end_entry","end_time":"<local>","action":"broken","result":null,"exception":"Broken\n","state":{"__SEQUENCE_ID":1,"x":1,"__PRIOR_STEP":"ok"},"sequence_id":1}`
	if last != want {
		t.Errorf("last line\n%s\nwant\n%s", last, want)
	}
}

// A panic is tracked with its stack, as Burr tracks a traceback.
func TestTracksPanickingAction(t *testing.T) {
	tr := newTracker(t)
	boom := burr.NewAction("boom", func(ctx context.Context, s burr.State) (burr.State, error) { panic("kaboom") })
	app, err := burr.New(context.Background(), burr.WithActions(boom), burr.WithEntrypoint("boom"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background()); err == nil {
		t.Fatal("want the panic as an error")
	}
	lines := logLines(t, tr, app.Ref().AppID)
	exc := lines[len(lines)-1].str("exception")
	if !strings.HasPrefix(exc, "panic: kaboom\n\n") || !strings.Contains(exc, "tracker_test.go") {
		t.Fatalf("exception %q, want the panic and its stack", exc)
	}
}

// As Python Burr's test_multi_fork_tracking_client: forking from a tracked
// step, by sequence id and latest.
func TestForkFromTrackedRun(t *testing.T) {
	ctx := context.Background()
	tr := newTracker(t)
	orig := counterApp(t, tr, 10, burr.WithPartitionKey("user123"))
	if _, err := orig.Run(ctx, burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	fork, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 10)), burr.WithHooks(tr), burr.WithPartitionKey("user123"),
		burr.WithInitializeFrom(tr, burr.ForkFrom(burr.AppRef{AppID: orig.Ref().AppID, PartitionKey: "user123"}.At(5)),
			burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := fork.SequenceID(); seq != 5 {
		t.Fatalf("fork sequence id = %d, want 5", seq)
	}
	if n := fork.State().Value("count"); n != 6 {
		t.Fatalf("fork count = %v, want 6", n)
	}
	res, err := fork.Run(ctx, burr.HaltAfter("result"))
	if err != nil {
		t.Fatal(err)
	}
	if res.State.Value("count") != 10 {
		t.Errorf("count = %v", res.State.Value("count"))
	}
	c := countTypes(logLines(t, tr, fork.Ref().AppID))
	if c["begin_entry"] != 5 || c["end_entry"] != 5 { // counter 7..10, then result
		t.Errorf("fork counts %v", c)
	}
	meta, err := os.ReadFile(filepath.Join(tr.Dir(), fork.Ref().AppID, tracking.MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	wantMeta := fmt.Sprintf(`{"type": "application_metadata", "partition_key": "user123", "parent_pointer": {"type": "pointer_data", "app_id": %q, "sequence_id": 5, "partition_key": "user123"}, "spawning_parent_pointer": null}`, orig.Ref().AppID)
	if string(meta) != wantMeta {
		t.Errorf("metadata.json\n%s\nwant\n%s", meta, wantMeta)
	}
	children := readLines(t, filepath.Join(tr.Dir(), orig.Ref().AppID, tracking.ChildrenFile))
	if len(children) != 1 || children[0].str("event_type") != "fork" || children[0].num("sequence_id") != 5 ||
		children[0]["child"].(map[string]any)["app_id"] != fork.Ref().AppID {
		t.Errorf("children.jsonl = %v", children)
	}
	// Without a sequence id the fork takes the latest step.
	latest, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 10)), burr.WithHooks(tr),
		burr.WithInitializeFrom(tr, burr.ForkFrom(burr.AppRef{AppID: orig.Ref().AppID, PartitionKey: "user123"}.At(burr.Latest)), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := latest.SequenceID(); seq != 10 || latest.Parent().SequenceID != 10 {
		t.Errorf("latest fork at %d, parent %+v", seq, latest.Parent())
	}
}

// Resuming an application with the same id keeps its graph.json and
// appends to its log.
func TestResumeTrackedApp(t *testing.T) {
	ctx := context.Background()
	tr := newTracker(t)
	app := counterApp(t, tr, 5, burr.WithAppID("resumed"))
	if _, err := app.Run(ctx, burr.HaltAfter("counter")); err != nil { // one step
		t.Fatal(err)
	}
	graphBefore, _ := os.ReadFile(filepath.Join(tr.Dir(), "resumed", tracking.GraphFile))
	again, err := burr.New(ctx, burr.WithGraph(counterGraph(t, 5)), burr.WithAppID("resumed"), burr.WithHooks(tr),
		burr.WithInitializeFrom(tr, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("counter")))
	if err != nil {
		t.Fatal(err)
	}
	if again.Parent() != nil {
		t.Errorf("a resumed app has no fork parent")
	}
	if _, err := again.Run(ctx, burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	graphAfter, _ := os.ReadFile(filepath.Join(tr.Dir(), "resumed", tracking.GraphFile))
	if !bytes.Equal(graphBefore, graphAfter) {
		t.Error("graph.json was rewritten")
	}
	var seqs []int
	for _, l := range logLines(t, tr, "resumed") {
		if l["type"] == "end_entry" {
			seqs = append(seqs, l.num("sequence_id"))
		}
	}
	if d := cmp.Diff([]int{0, 1, 2, 3, 4, 5}, seqs); d != "" {
		t.Errorf("end_entry sequence ids (-want +got):\n%s", d)
	}
}

// As Python Burr's test_application_tracks_link_to_spawning_parent: the
// children's metadata and the parent's children.jsonl.
func TestSpawningParent(t *testing.T) {
	ctx := context.Background()
	tr := newTracker(t)
	for _, id := range []string{"child-1", "child-2"} {
		child := counterApp(t, tr.Copy(), 1, burr.WithAppID(id), burr.WithSpawningParent(burr.AppRef{AppID: "parent", PartitionKey: "pk"}.At(5)))
		if _, err := child.Run(ctx, burr.HaltAfter("result")); err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Spawning *struct {
				AppID      string `json:"app_id"`
				SequenceID int    `json:"sequence_id"`
			} `json:"spawning_parent_pointer"`
		}
		b, _ := os.ReadFile(filepath.Join(tr.Dir(), id, tracking.MetadataFile))
		if err := jsonUnmarshal(b, &meta); err != nil || meta.Spawning == nil || meta.Spawning.AppID != "parent" || meta.Spawning.SequenceID != 5 {
			t.Errorf("%s metadata.json = %s", id, b)
		}
	}
	children := readLines(t, filepath.Join(tr.Dir(), "parent", tracking.ChildrenFile))
	if len(children) != 2 {
		t.Fatalf("children.jsonl has %d lines", len(children))
	}
	for i, c := range children {
		if c.str("event_type") != "spawn_start" || c["child"].(map[string]any)["app_id"] != fmt.Sprintf("child-%d", i+1) {
			t.Errorf("line %d = %v", i, c)
		}
	}
}

// As Python Burr's test__allowed_project_name.
func TestProjectName(t *testing.T) {
	dir := t.TempDir()
	for name, ok := range map[string]bool{
		"Hello:World_123": runtime.GOOS != "windows", "my-project": true, "a": true,
		"": false, "a*b": false, "a$b": false, "a/b": false, "..": false, "a b": false,
	} {
		_, err := tracking.NewLocal(name, tracking.WithStorageDir(dir))
		if (err == nil) != ok {
			t.Errorf("NewLocal(%q) error = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestStorageDirExpandsHome(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	tr, err := tracking.NewLocal("p")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".burr", "p"); tr.Dir() != want {
		t.Errorf("Dir() = %q, want %q", tr.Dir(), want)
	}
	tr, _ = tracking.NewLocal("p", tracking.WithStorageDir("~/x"))
	if want := filepath.Join(home, "x", "p"); tr.Dir() != want {
		t.Errorf("Dir() = %q, want %q", tr.Dir(), want)
	}
}

type spanEvent struct{ Type, Span, Parent, Name, Key string }

func spanEvents(lines []line) []spanEvent {
	var out []spanEvent
	for _, l := range lines {
		ev := spanEvent{Type: l.str("type"), Span: l.str("span_id"), Parent: l.str("parent_span_id"), Name: l.str("span_name"), Key: l.str("key")}
		if ev.Type == "begin_entry" || ev.Type == "end_entry" {
			ev.Name = l.str("action")
		}
		out = append(out, ev)
	}
	return out
}

// The line order Python Burr writes for a traced step, and its span
// numbering (test_action_span_tracer_correct_span_count), with the @trace'd helper written as a span logging Burr's
// attributes.
func TestSpanLineOrder(t *testing.T) {
	tr := newTracker(t)
	traced := burr.NewAction("traced", func(ctx context.Context, s burr.State) (burr.State, error) {
		burr.LogAttributes(ctx, "top_level", 1)
		octx, outer := burr.StartSpan(ctx, "outer")
		burr.LogAttributes(octx, "inner", true)
		ictx, inner := burr.StartSpan(octx, "inner", "outer")
		hctx, helper := burr.StartSpan(ictx, "helper")
		burr.LogAttributes(hctx, "x", 3, "__burr_function", "helper", "__burr_function_hash", "abc", "return", 6)
		helper.End()
		inner.End()
		_, sibling := burr.StartSpan(octx, "sibling")
		sibling.End()
		outer.End()
		_, second := burr.StartSpan(ctx, "second")
		second.End()
		return s, nil
	})
	app, err := burr.New(context.Background(), burr.WithActions(traced), burr.WithEntrypoint("traced"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []spanEvent{
		{Type: "begin_entry", Name: "traced"},
		{Type: "attribute", Key: "top_level"},
		{Type: "begin_span", Span: "0:0", Name: "outer"},
		{Type: "attribute", Span: "0:0", Key: "inner"},
		{Type: "begin_span", Span: "0:0.0", Parent: "0:0", Name: "inner"},
		{Type: "begin_span", Span: "0:0.0.0", Parent: "0:0.0", Name: "helper"},
		{Type: "attribute", Span: "0:0.0.0", Key: "x"},
		{Type: "attribute", Span: "0:0.0.0", Key: "__burr_function"},
		{Type: "attribute", Span: "0:0.0.0", Key: "__burr_function_hash"},
		{Type: "attribute", Span: "0:0.0.0", Key: "return"},
		{Type: "end_span", Span: "0:0.0.0"},
		{Type: "end_span", Span: "0:0.0"},
		{Type: "begin_span", Span: "0:0.1", Parent: "0:0", Name: "sibling"},
		{Type: "end_span", Span: "0:0.1"},
		{Type: "end_span", Span: "0:0"},
		{Type: "begin_span", Span: "0:1", Name: "second"},
		{Type: "end_span", Span: "0:1"},
		{Type: "end_entry", Name: "traced"},
	}
	lines := logLines(t, tr, app.Ref().AppID)
	if d := cmp.Diff(want, spanEvents(lines)); d != "" {
		t.Errorf("line order (-want +got):\n%s", d)
	}
	if deps := lines[4]["span_dependencies"]; !cmp.Equal(deps, []any{"outer"}) {
		t.Errorf("inner span_dependencies = %v", deps)
	}
}

// Many applications, each opening spans on several goroutines, share one
// tracker; every line must arrive whole and in its application's file.
func TestConcurrentApps(t *testing.T) {
	tr := newTracker(t, tracking.WithMaxOpenFiles(4)) // force closing and reopening files
	const apps, steps, spans = 12, 20, 4
	act := burr.NewAction("work", func(ctx context.Context, s burr.State) (burr.State, error) {
		var wg sync.WaitGroup
		for i := range spans {
			wg.Go(func() {
				sctx, sp := burr.StartSpan(ctx, fmt.Sprint("s", i))
				burr.LogAttributes(sctx, "i", i, "text", strings.Repeat("é", 100))
				sp.End()
			})
		}
		wg.Wait()
		return s.Set("n", burr.Key[int]("n").Or(s, 0)+1), nil
	}, burr.Reads("n"), burr.Writes("n"))
	var wg sync.WaitGroup
	ids := make([]string, apps)
	for a := range apps {
		app, err := burr.New(context.Background(), burr.WithActions(act), burr.WithTransitions(burr.From("work").To("work")),
			burr.WithEntrypoint("work"), burr.WithHooks(tr), burr.WithSpawningParent(burr.AppRef{AppID: "parent"}.At(a)))
		if err != nil {
			t.Fatal(err)
		}
		ids[a] = app.Ref().AppID
		wg.Go(func() {
			for range steps {
				if _, err := app.Step(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		c := countTypes(logLines(t, tr, id))
		want := map[string]int{"begin_entry": steps, "end_entry": steps, "begin_span": steps * spans, "end_span": steps * spans, "attribute": 2 * steps * spans}
		if d := cmp.Diff(want, c); d != "" {
			t.Errorf("app %s (-want +got):\n%s", id, d)
		}
	}
	if n := len(readLines(t, filepath.Join(tr.Dir(), "parent", tracking.ChildrenFile))); n != apps {
		t.Errorf("children.jsonl has %d lines, want %d", n, apps)
	}
	if err := tr.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
}

// failingTracker returns a tracker whose errors are counted and whose single
// log line is captured.
func failingTracker(t *testing.T, dir string) (*tracking.LocalTracker, *atomic.Int32, *bytes.Buffer) {
	t.Helper()
	var calls atomic.Int32
	var logBuf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logBuf.Write(p)
	}), nil))
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(dir), tracking.WithLogger(logger),
		tracking.WithErrorHandler(func(error) { calls.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, &calls, &logBuf
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func checkReportedOnce(t *testing.T, tr *tracking.LocalTracker, calls *atomic.Int32, logBuf *bytes.Buffer) {
	t.Helper()
	if tr.Err() == nil {
		t.Error("Err() = nil, want the write error")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("error handler called %d times, want 1", n)
	}
	if n := strings.Count(logBuf.String(), "\n"); n != 1 {
		t.Errorf("%d log lines, want 1:\n%s", n, logBuf)
	}
}

// A tracker that cannot create its directory (here the storage dir is a
// file: this fails for root too) never fails the run.
func TestUnwritableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tr, calls, logBuf := failingTracker(t, file)
	app := counterApp(t, tr, 5)
	res, err := app.Run(context.Background(), burr.HaltAfter("result"))
	if err != nil || res.State.Value("count") != 5 {
		t.Fatalf("run: %v, %v", res.State, err)
	}
	checkReportedOnce(t, tr, calls, logBuf)
}

// A read-only directory, for a non-root user.
func TestReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("permissions do not bind root")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	tr, calls, logBuf := failingTracker(t, dir)
	app := counterApp(t, tr, 3)
	if _, err := app.Run(context.Background(), burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	checkReportedOnce(t, tr, calls, logBuf)
}

// A full disk: the log file is /dev/full, where every write fails.
func TestDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	tr, calls, logBuf := failingTracker(t, dir)
	if err := os.MkdirAll(filepath.Join(tr.Dir(), "full"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", filepath.Join(tr.Dir(), "full", tracking.LogFile)); err != nil {
		t.Fatal(err)
	}
	app := counterApp(t, tr, 3, burr.WithAppID("full"))
	if _, err := app.Run(context.Background(), burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	checkReportedOnce(t, tr, calls, logBuf)
	if !strings.Contains(tr.Err().Error(), "no space") {
		t.Errorf("Err() = %v", tr.Err())
	}
}

// The application's directory is removed while it runs: the run goes on, the
// tracker reports it once and stops writing that application.
func TestDirectoryRemovedMidRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("open files cannot be removed on Windows")
	}
	tr, calls, logBuf := failingTracker(t, t.TempDir())
	var steps int
	act := burr.NewAction("work", func(ctx context.Context, s burr.State) (burr.State, error) {
		steps++
		if steps == 3 {
			if err := os.RemoveAll(filepath.Join(tr.Dir(), "gone")); err != nil {
				return s, err
			}
			time.Sleep(150 * time.Millisecond) // the tracker looks at most every 100ms
		}
		_, sp := burr.StartSpan(ctx, "span")
		sp.End()
		return s.Set("n", steps), nil
	}, burr.Writes("n"))
	app, err := burr.New(context.Background(), burr.WithActions(act), burr.WithTransitions(burr.From("work").To("work")),
		burr.WithEntrypoint("work"), burr.WithAppID("gone"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if _, err := app.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if steps != 6 {
		t.Fatalf("%d steps ran", steps)
	}
	checkReportedOnce(t, tr, calls, logBuf)
	if !strings.Contains(tr.Err().Error(), "removed") {
		t.Errorf("Err() = %v", tr.Err())
	}
	if _, err := os.Stat(filepath.Join(tr.Dir(), "gone")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the tracker recreated the removed directory: %v", err)
	}
}

// Copy gives an independent tracker with the same settings.
func TestCopy(t *testing.T) {
	tr := newTracker(t)
	cp := tr.Copy()
	defer cp.Close()
	if cp == tr || cp.Dir() != tr.Dir() || cp.Project() != tr.Project() {
		t.Errorf("Copy() = %v", cp)
	}
	app := counterApp(t, cp, 1)
	if _, err := app.Run(context.Background(), burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Load(context.Background(), burr.AppRef{AppID: app.Ref().AppID}.At(burr.Latest)); err != nil {
		t.Errorf("the original tracker cannot load the copy's run: %v", err)
	}
}

// Close closes files; a later event reopens them.
func TestCloseAndReuse(t *testing.T) {
	tr := newTracker(t)
	app := counterApp(t, tr, 3)
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(context.Background(), burr.HaltAfter("result")); err != nil {
		t.Fatal(err)
	}
	if c := countTypes(logLines(t, tr, app.Ref().AppID)); c["end_entry"] != 4 {
		t.Errorf("counts %v", c)
	}
}

// Values JSON cannot hold are written as text, as Burr's serde writes str().
func TestUnencodableValues(t *testing.T) {
	tr := newTracker(t)
	ch := make(chan int)
	act := burr.NewAction("odd", func(ctx context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		burr.LogAttributes(ctx, "fn", func() {})
		return burr.Result{"ch": ch, "ok": 1.0}, s.Set("ch", ch), nil
	}, burr.Writes("ch"), burr.OptionalInputs("in"))
	app, err := burr.New(context.Background(), burr.WithActions(act), burr.WithEntrypoint("odd"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background(), burr.WithInputs(burr.Inputs{"in": ch})); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, tr, app.Ref().AppID)
	end := lines[len(lines)-1]
	if s, ok := end["result"].(map[string]any)["ch"].(string); !ok || !strings.HasPrefix(s, "0x") {
		t.Errorf("result = %v", end["result"])
	}
	if end["result"].(map[string]any)["ok"] != 1.0 {
		t.Errorf("result = %v", end["result"])
	}
	if _, ok := end["state"].(map[string]any)["ch"].(string); !ok {
		t.Errorf("state = %v", end["state"])
	}
	if tr.Err() != nil {
		t.Errorf("Err() = %v", tr.Err())
	}
}
