package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/ui/internal/fixture"
)

func TestLogSteps(t *testing.T) {
	lg := NewLog()
	lg.Add([]byte(strings.Join([]string{fixture.Begin0, fixture.End0, fixture.Begin1, fixture.End1, fixture.Begin2, fixture.End2}, "\n") + "\n"))
	if errs := lg.Errors(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	steps := lg.Steps()
	if len(steps) != 3 {
		t.Fatalf("got %d steps", len(steps))
	}
	s0, s1, s2 := steps[0], steps[1], steps[2]
	if s0.Action != "counter" || s0.Status != StatusCompleted || s0.Duration() != 101*time.Microsecond {
		t.Errorf("step 0 = %+v", s0)
	}
	if string(s0.Inputs) != `{"step":2}` || string(s0.Result) != `{"count":2}` {
		t.Errorf("step 0 inputs/result = %s / %s", s0.Inputs, s0.Result)
	}
	if got := keys(s0.State); got != "count,__SEQUENCE_ID,__PRIOR_STEP" {
		t.Errorf("state keys in file order = %s", got)
	}
	if s1.Duration() != 500*time.Millisecond {
		t.Errorf("step 1 duration = %v (start without fraction)", s1.Duration())
	}
	// From step 0 to 1: count changed, note added; internal keys ignored.
	if got := changes(s1.Changes); got != "count:changed,note:added" {
		t.Errorf("step 1 changes = %s", got)
	}
	if got := changes(s2.Changes); got != "note:removed" {
		t.Errorf("step 2 changes = %s", got)
	}
	if s2.Status != StatusFailed || !strings.Contains(s2.Exception, "ValueError: bad") {
		t.Errorf("step 2 = %v %q", s2.Status, s2.Exception)
	}
	if lg.Status() != StatusFailed {
		t.Errorf("log status = %v", lg.Status())
	}

	// A begin_entry without end_entry is running.
	lg.Add([]byte(`{"type":"begin_entry","start_time":"2025-01-01T12:00:03","action":"counter","inputs":{},"sequence_id":3}` + "\n"))
	if st := lg.Steps()[3]; st.Status != StatusRunning || st.HasEnd || st.Duration() != 0 {
		t.Errorf("running step = %+v", st)
	}
	if lg.Status() != StatusRunning {
		t.Errorf("log status = %v", lg.Status())
	}
}

func keys(fs []Field) string {
	var k []string
	for _, f := range fs {
		k = append(k, f.Key)
	}
	return strings.Join(k, ",")
}

func changes(cs []Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Key+":"+c.Kind)
	}
	return strings.Join(out, ",")
}

func TestLogStream(t *testing.T) {
	lg := NewLog()
	lg.Add([]byte(strings.Join(fixture.StreamedRun, "\n")))
	if errs := lg.Errors(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	st := lg.Steps()[0]
	s := st.Stream
	if s == nil || !s.Ended || !s.HasFirstItem || s.Items != 40 {
		t.Fatalf("stream = %+v", s)
	}
	if s.TimeToFirstItem() != 5*time.Millisecond || s.Duration() != 200*time.Millisecond {
		t.Errorf("ttfi %v, duration %v", s.TimeToFirstItem(), s.Duration())
	}
	if got := s.ItemsPerSecond(); got != 200 {
		t.Errorf("items/s = %v, want 200", got)
	}
	// The span keeps its attribute; it is placed inside the step's window.
	if len(st.Spans) != 1 || st.Spans[0].Name != "llm_call" || len(st.Spans[0].Attributes) != 1 {
		t.Fatalf("spans = %+v", st.Spans)
	}
	sp := st.Spans[0]
	if sp.Left != 5 || sp.Width != 90 {
		t.Errorf("span bar left %v width %v, want 5, 90", sp.Left, sp.Width)
	}
	// A stream that has begun but not ended yet.
	lg = NewLog()
	lg.Add([]byte(strings.Join(fixture.StreamedRun[:2], "\n")))
	if s := lg.Steps()[0].Stream; s.Ended || s.HasFirstItem || s.ItemsPerSecond() != 0 || s.TimeToFirstItem() != 0 {
		t.Errorf("unfinished stream = %+v", s)
	}
}

func TestLogSpans(t *testing.T) {
	// A traced step as Python Burr logs it: nesting, dependencies, action-level attributes,
	// and an end_span without begin (dropped, as Burr's server does).
	lines := []string{
		`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000100","action":"a","inputs":{},"sequence_id":0}`,
		`{"type":"attribute","key":"top_level","action_sequence_id":0,"span_id":null,"value":1,"tags":{},"time_logged":"2025-01-01T20:00:00.000110Z"}`,
		`{"type":"begin_span","start_time":"2025-01-01T12:00:00.000120","action_sequence_id":0,"span_id":"0:0","span_name":"outer","parent_span_id":null,"span_dependencies":[]}`,
		`{"type":"begin_span","start_time":"2025-01-01T12:00:00.000150","action_sequence_id":0,"span_id":"0:0.0","span_name":"inner","parent_span_id":"0:0","span_dependencies":["outer"]}`,
		`{"type":"attribute","key":"x","action_sequence_id":0,"span_id":"0:0.0","value":{"y":[1,2]},"tags":{},"time_logged":"2025-01-01T20:00:00.000160Z"}`,
		`{"type":"end_span","end_time":"2025-01-01T12:00:00.000170","action_sequence_id":0,"span_id":"0:0.0"}`,
		`{"type":"end_span","end_time":"2025-01-01T12:00:00.000180","action_sequence_id":0,"span_id":"0:0"}`,
		`{"type":"begin_span","start_time":"2025-01-01T12:00:00.000185","action_sequence_id":0,"span_id":"0:1","span_name":"second","parent_span_id":null,"span_dependencies":[]}`,
		`{"type":"end_span","end_time":"2025-01-01T12:00:00.000190","action_sequence_id":0,"span_id":"0:1"}`,
		`{"type":"end_span","end_time":"2025-01-01T12:00:00.000195","action_sequence_id":0,"span_id":"0:9"}`,
		`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000200","action":"a","result":{},"exception":null,"state":{},"sequence_id":0}`,
	}
	lg := NewLog()
	lg.Add([]byte(strings.Join(lines, "\n") + "\n"))
	if errs := lg.Errors(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	st := lg.Steps()[0]
	var got []string
	for _, sp := range st.Spans {
		got = append(got, strings.Repeat(">", sp.Depth)+sp.Name)
	}
	if strings.Join(got, " ") != "outer >inner second" {
		t.Errorf("span tree = %v", got)
	}
	inner := st.Spans[1]
	if inner.ParentID != "0:0" || len(inner.Dependencies) != 1 || inner.Duration() != 20*time.Microsecond {
		t.Errorf("inner = %+v", inner)
	}
	if len(inner.Attributes) != 1 || string(inner.Attributes[0].Value) != `{"y":[1,2]}` {
		t.Errorf("inner attributes = %+v", inner.Attributes)
	}
	if len(st.Attributes) != 1 || st.Attributes[0].Key != "top_level" || st.Attributes[0].Time.Location() != time.UTC {
		t.Errorf("step attributes = %+v", st.Attributes)
	}
	for _, sp := range st.Spans {
		if sp.Left < 0 || sp.Left+sp.Width > 100.0001 {
			t.Errorf("span %s bar out of window: %v+%v", sp.Name, sp.Left, sp.Width)
		}
	}
}

func TestLogCorruptLines(t *testing.T) {
	data := strings.Join([]string{
		fixture.Begin0,
		`{"type":"end_entry","end_time":"2025-01-01T12:00`, // truncated
		`not json at all`,
		``,
		`{"type":"mystery"}`,
		`{"no_type":1}`,
		`{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":"x","inputs":{}}`,
		`{"type":"begin_span","start_time":"garbage","action_sequence_id":0,"span_id":"0:0","span_name":"s","parent_span_id":null,"span_dependencies":[]}`,
		`[1,2,3]`,
		fixture.End0,
	}, "\n")
	lg := NewLog()
	lg.Add([]byte(data))
	var got []string
	for _, e := range lg.Errors() {
		got = append(got, e.String())
	}
	want := []string{
		"line 2: invalid JSON",
		"line 3: invalid JSON",
		`line 5: unknown line type "mystery"`,
		"line 6: missing type",
		"line 7: begin_entry: missing sequence_id",
		`line 8: begin_span: invalid start_time "garbage"`,
		"line 9: not a JSON object",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if steps := lg.Steps(); len(steps) != 1 || steps[0].Status != StatusCompleted {
		t.Errorf("good lines still read: %+v", steps)
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		lines  []string
		steps  int
		action string
		status Status
	}{
		{nil, 0, "", StatusNew},
		{[]string{fixture.Begin0}, 1, "counter", StatusRunning},
		{[]string{fixture.Begin0, fixture.End0, fixture.Begin1, fixture.End1}, 2, "counter", StatusCompleted},
		{[]string{fixture.Begin0, fixture.End0, fixture.Begin1, fixture.End1, fixture.Begin2, fixture.End2, `{"type":"end_span"`}, 3, "boom", StatusFailed},
		{fixture.StreamedRun, 1, "chat", StatusCompleted},
	}
	for i, tt := range tests {
		data := []byte(strings.Join(tt.lines, "\n"))
		n, a, s := summarizeLog(bytes.NewReader(data), int64(len(data)))
		if n != tt.steps || a != tt.action || s != tt.status {
			t.Errorf("%d: summarize = %d %q %v; want %d %q %v", i, n, a, s, tt.steps, tt.action, tt.status)
		}
	}
}

// ValidID is the tracker's rule for application ids: every id the tracker
// accepts is valid, and only ids that are not one path element are not.
func TestValidID(t *testing.T) {
	good := []string{"demo_counter", "count-to-1", "a:b", "0b6f6c4e-8c1e-4f7e-9d5e-2a3b4c5d6e7f", "user@host", "x.y", "my app",
		"chat (1)", "run#1", "o'brien", "50%", ".hidden", "a..b", "...", "%2e%2e", "a\nb", " lead", "ü<b>&amp;", "?x=1"}
	bad := []string{"", ".", "..", "../etc", "..\\x", "a/b", "/etc", "a\\b", "a\x00b", "C:\\x", "x/"}
	for _, id := range good {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, id := range bad {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
		if _, err := rel("p", id); !errors.Is(err, ErrBadID) {
			t.Errorf("rel(p, %q) = %v", id, err)
		}
	}
}

func TestStoreReadsOnlyInsideRoot(t *testing.T) {
	outer := t.TempDir()
	root := filepath.Join(outer, "root")
	fixture.WriteRun(t, outer, "secret", "app", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0) // outside the root
	fixture.WriteRun(t, root, "p", "a", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	// A symbolic link inside the root that points outside it.
	if err := os.Symlink(filepath.Join(outer, "secret"), filepath.Join(root, "escape")); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	s := New(root)
	for _, tc := range [][2]string{{"..", "secret"}, {"../secret", "app"}, {"p", "../../secret/app"}, {"/etc", "x"}} {
		if _, err := s.App(tc[0], tc[1]); !errors.Is(err, ErrBadID) {
			t.Errorf("App(%q, %q) = %v, want ErrBadID", tc[0], tc[1], err)
		}
	}
	if _, err := s.App("escape", "app"); err == nil {
		t.Error("App followed a symbolic link out of the root")
	}
	if _, err := s.Apps("escape"); err == nil {
		t.Error("Apps followed a symbolic link out of the root")
	}
	if app, err := s.App("p", "a"); err != nil || app.Index.NumSteps() != 1 {
		t.Errorf("App(p, a) = %v, %v", app, err)
	}
}

func TestStoreApp(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "proj", "child", fixture.CounterGraph,
		`{"type": "application_metadata", "partition_key": null, "parent_pointer": {"type": "pointer_data", "app_id": "orig", "sequence_id": 3, "partition_key": null}, "spawning_parent_pointer": {"type": "pointer_data", "app_id": "parent", "sequence_id": 1, "partition_key": "ppk"}}`,
		fixture.Begin0, fixture.End0)
	fixture.MustWrite(t, filepath.Join(appDir, "children.jsonl"),
		`{"type":"child_application_data","child":{"type":"pointer_data","app_id":"kid","sequence_id":null,"partition_key":null},"event_time":"2026-11-26T10:41:12.141762","event_type":"spawn_start","sequence_id":1}`+"\n"+
			`{"type":"child_application_data","child":{"type":"pointer_data","app_id":"forked","sequence_id":null,"partition_key":null},"event_time":"2026-11-26T10:41:12.149601","event_type":"fork","sequence_id":0}`+"\n"+
			`{broken`+"\n")
	s := New(dir)
	app, err := s.App("proj", "child")
	if err != nil {
		t.Fatal(err)
	}
	if app.Graph == nil || app.Graph.Entrypoint != "counter" || len(app.Graph.Transitions) != 2 || app.Graph.Transitions[0].From != "counter" {
		t.Errorf("graph = %+v", app.Graph)
	}
	md := app.Metadata
	if md == nil || md.PartitionKey != nil || md.ParentPointer.AppID != "orig" || *md.ParentPointer.SequenceID != 3 || md.SpawningParentPointer.AppID != "parent" {
		t.Errorf("metadata = %+v", md)
	}
	if len(app.Children) != 2 || app.Children[0].EventType != "spawn_start" || app.Children[1].Child.AppID != "forked" {
		t.Errorf("children = %+v", app.Children)
	}
	if len(app.Problems) != 1 || app.Problems[0] != "children.jsonl line 3: invalid JSON" {
		t.Errorf("problems = %q", app.Problems)
	}

	// Missing graph.json and metadata.json; a log without its last newline.
	bare := fixture.WriteRun(t, dir, "proj", "bare", "", "")
	fixture.MustWrite(t, filepath.Join(bare, "log.jsonl"), fixture.Begin0+"\n"+fixture.End0)
	app, err = s.App("proj", "bare")
	if err != nil || app.Graph != nil || app.Metadata != nil || len(app.Problems) != 0 {
		t.Fatalf("bare app = %+v, %v", app, err)
	}
	if app.Offset != int64(len(fixture.Begin0)+1) || string(app.Tail) != fixture.End0 {
		t.Errorf("offset %d, tail %q", app.Offset, app.Tail)
	}
	// Corrupt graph.json is reported, not fatal.
	fixture.MustWrite(t, filepath.Join(bare, "graph.json"), `{"type": "appl`)
	if app, err = s.App("proj", "bare"); err != nil || len(app.Problems) != 1 || !strings.HasPrefix(app.Problems[0], "graph.json") {
		t.Errorf("corrupt graph: %+v, %v", app.Problems, err)
	}
	if _, err := s.App("proj", "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing app: %v", err)
	}
	if _, err := s.Apps("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing project: %v", err)
	}
}

func TestStoreListsSortedByDirectoryTime(t *testing.T) {
	dir := t.TempDir()
	old := fixture.WriteRun(t, dir, "p", "old", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0, fixture.Begin1, fixture.End1)
	fixture.WriteRun(t, dir, "p", "new", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0)
	fixture.WriteRun(t, dir, "q", "only", "", "")
	fixture.MustWrite(t, filepath.Join(dir, "p", "annotations.jsonl"), "") // a file, not an app
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, "q"), past.Add(-time.Hour), past.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	s := New(dir)
	apps, err := s.Apps("p")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 || apps[0].ID != "new" || apps[1].ID != "old" {
		t.Fatalf("apps = %+v", apps)
	}
	if a := apps[1]; a.Steps != 2 || a.PartitionKey != "user_7" || a.Status != StatusCompleted || a.LastAction != "counter" {
		t.Errorf("old = %+v", a)
	}
	if apps[0].Status != StatusRunning {
		t.Errorf("new = %+v", apps[0])
	}
	ps, err := s.Projects()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "p" || ps[0].Apps != 2 || ps[1].Apps != 1 {
		t.Errorf("projects = %+v", ps)
	}
	// A storage directory that does not exist yet has no projects.
	if ps, err := New(filepath.Join(dir, "missing")).Projects(); err != nil || len(ps) != 0 {
		t.Errorf("missing dir: %v, %v", ps, err)
	}
}

func TestDemoDataReads(t *testing.T) {
	s := New(testenv.DemoData(t))
	ps, err := s.Projects()
	if err != nil || len(ps) != 4 {
		t.Fatalf("projects = %+v, %v", ps, err)
	}
	for _, p := range ps {
		apps, err := s.Apps(p.Name)
		if err != nil || len(apps) != p.Apps {
			t.Fatalf("%s: %d apps, %v", p.Name, len(apps), err)
		}
		for _, a := range apps {
			app, err := s.App(p.Name, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			lg, errs := allSteps(t, s, app)
			if len(app.Problems) != 0 || len(errs) != 0 || len(app.Tail) != 0 {
				t.Errorf("%s/%s: problems %v, errors %v", p.Name, a.ID, app.Problems, errs)
			}
			steps := lg.Steps()
			if len(steps) != a.Steps || app.Graph == nil || app.Metadata == nil {
				t.Errorf("%s/%s: %d steps, summary says %d", p.Name, a.ID, len(steps), a.Steps)
			}
		}
	}
	// The failed demo run: decide_mode raised; its span 3:0.0 never ended.
	app, err := s.App("demo_chatbot_with_traces", "chat-6-demonstrate-errors")
	if err != nil {
		t.Fatal(err)
	}
	lg, _ := allSteps(t, s, app)
	steps := lg.Steps()
	last := steps[len(steps)-1]
	if last.Action != "decide_mode" || last.Status != StatusFailed || !strings.Contains(last.Exception, "Traceback") {
		t.Errorf("last step = %s %s", last.Action, last.Status)
	}
	// Spans "N:0" have only an end_span in this demo: dropped; their
	// children become top-level.
	ids := map[string]bool{}
	for _, sp := range last.Spans {
		ids[sp.ID] = true
	}
	if len(last.Spans) == 0 {
		t.Error("no spans")
	}
	for _, sp := range last.Spans {
		if sp.ID == fmt.Sprintf("%d:0", last.SequenceID) || (!ids[sp.ParentID] && sp.Depth != 0) {
			t.Errorf("span %s (parent %s) depth %d", sp.ID, sp.ParentID, sp.Depth)
		}
	}
	var v any
	if err := json.Unmarshal(last.State[0].Value, &v); err != nil {
		t.Error(err)
	}
}
