package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
)

func beginLine(seq int, action string) string {
	return fmt.Sprintf(`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":%q,"inputs":{},"sequence_id":%d}`, action, seq)
}

func endLine(seq int, action, state string) string {
	return fmt.Sprintf(`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":%q,"result":{},"exception":null,"state":{"s":%q},"sequence_id":%d}`,
		action, state, seq)
}

// steps returns the lines of the steps with sequence ids seqs, each with a
// state of pad bytes.
func steps(pad int, seqs ...int) []string {
	var out []string
	for _, seq := range seqs {
		out = append(out, beginLine(seq, fmt.Sprint("a", seq)), endLine(seq, fmt.Sprint("a", seq), strings.Repeat("x", pad)))
	}
	return out
}

func seqRange(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// The application list counts steps as the application page does: the
// steps shown, that is the distinct sequence ids with a begin_entry.
func TestStepCountsAgree(t *testing.T) {
	dir := t.TempDir()
	big := 2 * tailWindow / 100 // steps of 100 bytes or so: the log is longer than the tail read
	runs := map[string][]string{
		"plain":          steps(0, 0, 1, 2),
		"forked":         steps(0, 5, 6, 7), // a fork numbers its steps on from the step it started at
		"reused":         steps(0, 0, 1, 2, 0, 1),
		"retry":          append(steps(0, 0, 1), beginLine(2, "flaky"), endLine(2, "flaky", ""), beginLine(3, "flaky")),
		"empty":          nil,
		"spans only":     {`{"type":"begin_span","start_time":"2025-01-01T12:00:00.000120","action_sequence_id":0,"span_id":"0:0","span_name":"outer","parent_span_id":null,"span_dependencies":[]}`},
		"long":           steps(40, seqRange(0, big)...),
		"long forked":    steps(40, seqRange(7, 7+big)...),
		"long last line": append(steps(0, 3, 4), beginLine(5, "huge"), endLine(5, "huge", strings.Repeat("y", 3*tailWindow))),
	}
	for name, lines := range runs {
		fixture.WriteRun(t, dir, "p", name, fixture.CounterGraph, fixture.MetaPK, lines...)
	}
	s := New(dir)
	apps, err := s.Apps("p")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"plain": 3, "forked": 3, "reused": 3, "retry": 4, "empty": 0, "spans only": 0,
		"long": big + 1, "long forked": big + 1, "long last line": 3}
	if len(apps) != len(runs) {
		t.Fatalf("%d apps", len(apps))
	}
	for _, a := range apps {
		app, err := s.App("p", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		lg, _ := allSteps(t, s, app)
		shown := len(lg.Steps())
		if a.Steps != shown || shown != want[a.ID] {
			t.Errorf("%s: list says %d steps, the page shows %d, want %d", a.ID, a.Steps, shown, want[a.ID])
		}
	}
}

// The application list reads the end of each log, not the whole file.
func TestAppsReadsOnlyTheTail(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "p", "long", fixture.CounterGraph, fixture.MetaPK)
	f, err := os.Create(filepath.Join(appDir, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	pad := strings.Repeat("x", 32<<10)
	for i := range n {
		fmt.Fprintf(f, "%s\n%s\n", beginLine(i, "count"), endLine(i, "count", pad))
	}
	fmt.Fprintf(f, "%s\n", beginLine(n, "last"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := New(dir)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	apps, err := s.Apps("p")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].Steps != n+1 || apps[0].LastAction != "last" || apps[0].Status != StatusRunning {
		t.Errorf("apps = %+v", apps)
	}
	if read := after.TotalAlloc - before.TotalAlloc; read > 2<<20 {
		t.Errorf("listing a 32 MB log allocated %d bytes", read)
	}
}

// Spans whose parents form a cycle are still shown.
func TestSpanParentCycle(t *testing.T) {
	span := func(id, name, parent string, start int) string {
		return fmt.Sprintf(`{"type":"begin_span","start_time":"2025-01-01T12:00:00.%06d","action_sequence_id":0,"span_id":%q,"span_name":%q,"parent_span_id":%q,"span_dependencies":[]}`,
			start, id, name, parent)
	}
	lg := NewLog()
	lg.Add([]byte(strings.Join([]string{
		beginLine(0, "a"),
		span("0:0", "top", "", 110), // parent "" is no span: a root
		span("0:1", "ping", "0:2", 120),
		span("0:2", "pong", "0:1", 130),
		span("0:3", "under pong", "0:2", 140),
		span("0:4", "self", "0:4", 150),
		endLine(0, "a", ""),
	}, "\n") + "\n"))
	st := lg.Steps()[0]
	var got []string
	for _, sp := range st.Spans {
		got = append(got, strings.Repeat(">", sp.Depth)+sp.Name)
	}
	if g := strings.Join(got, " "); g != "top self ping >pong >>under pong" {
		t.Errorf("spans: %s", g)
	}
}

// Stream lines that are missing or nonsense give no measure rather than a
// wrong one.
func TestStreamMissingLines(t *testing.T) {
	lg := NewLog()
	lg.Add([]byte(strings.Join([]string{
		beginLine(0, "chat"),
		// no begin_stream
		`{"type":"first_item_stream","action_sequence_id":0,"span_id":null,"first_item_time":"2025-01-01T20:00:00.005000Z"}`,
		`{"type":"end_stream","action_sequence_id":0,"span_id":null,"end_time":"2025-01-01T20:00:00.200000Z","items_streamed":-3}`,
		beginLine(1, "chat"),
		`{"type":"begin_stream","action_sequence_id":1,"span_id":null,"stream_init_time":"2025-01-01T20:00:01.000000Z"}`,
		`{"type":"first_item_stream","action_sequence_id":1,"span_id":null,"first_item_time":"2025-01-01T20:00:00.900000Z"}`,
		`{"type":"end_stream","action_sequence_id":1,"span_id":null,"end_time":"2025-01-01T20:00:01.500000Z","items_streamed":5}`,
	}, "\n") + "\n"))
	steps := lg.Steps()
	s := steps[0].Stream
	if s.TimeToFirstItem() != 0 || s.Duration() != 0 || s.HasItems() || s.HasRate() || s.ItemsPerSecond() != 0 {
		t.Errorf("stream without begin_stream: ttfi %v, duration %v, items %v, rate %v", s.TimeToFirstItem(), s.Duration(), s.HasItems(), s.ItemsPerSecond())
	}
	s = steps[1].Stream
	if s.TimeToFirstItem() != 0 || !s.HasItems() || !s.HasRate() || s.ItemsPerSecond() != 10 {
		t.Errorf("first item before the start: ttfi %v, rate %v", s.TimeToFirstItem(), s.ItemsPerSecond())
	}
}

// Refresh tells a log that goes on from one rewritten, truncated or
// replaced, and reads only the new lines.
func TestRefreshContinues(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "p", "a", "", "", fixture.Begin0, fixture.End0)
	path := filepath.Join(appDir, "log.jsonl")
	s := New(dir)
	app, err := s.App("p", "a")
	if err != nil || app.Index.NumSteps() != 1 || app.Offset != int64(len(fixture.Begin0)+len(fixture.End0)+2) {
		t.Fatalf("App = %+v, %v", app, err)
	}
	app.Index.Track()
	fixture.AppendLines(t, path, fixture.Begin1)
	if reset, err := s.Refresh(app); err != nil || reset || app.Index.NumSteps() != 2 || app.Index.Status() != StatusRunning {
		t.Errorf("Refresh after appending: reset %v, %v, %d steps", reset, err, app.Index.NumSteps())
	}
	if got := app.Index.Touched(); !slices.Equal(got, []int{1}) {
		t.Errorf("touched after appending: %v", got)
	}
	// Rewritten in place, longer, with the offset inside a line.
	fixture.MustWrite(t, path, fixture.Begin2+"\n"+fixture.End2+"\n"+fixture.Begin0+"\n")
	if reset, err := s.Refresh(app); err != nil || !reset || app.Index.NumSteps() != 2 || app.Index.Status() != StatusRunning {
		t.Errorf("Refresh after rewriting: reset %v, %v, %d steps", reset, err, app.Index.NumSteps())
	}
	// Truncated.
	fixture.MustWrite(t, path, "")
	if reset, err := s.Refresh(app); err != nil || !reset || app.Index.NumSteps() != 0 {
		t.Errorf("Refresh after truncating: reset %v, %v", reset, err)
	}
	// Written again from empty: it goes on.
	fixture.MustWrite(t, path, fixture.Begin0+"\n")
	if reset, err := s.Refresh(app); err != nil || reset || app.Index.NumSteps() != 1 {
		t.Errorf("Refresh after writing the empty log: reset %v, %v", reset, err)
	}
	// Replaced by another file whose lines start at the same offsets.
	other := filepath.Join(appDir, "other")
	fixture.MustWrite(t, other, fixture.Begin0+"\n"+fixture.End0+"\n")
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if reset, err := s.Refresh(app); err != nil || !reset || app.Index.Status() != StatusCompleted {
		t.Errorf("Refresh after replacing: reset %v, %v", reset, err)
	}
}
