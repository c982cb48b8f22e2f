package tracking_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
	"github.com/google/go-cmp/cmp"
)

// streamApp builds an application whose "stream" action yields the words of
// text, opening a span after the first one, then stores the joined text.
func streamApp(t *testing.T, tr *tracking.LocalTracker, text string) *burr.Application {
	t.Helper()
	act := burr.NewStreamingAction("stream", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		var out []string
		for i, w := range strings.Fields(text) {
			if w == "FAIL" {
				return nil, s, errors.New("stream broke")
			}
			out = append(out, w)
			if !yield(w) {
				break
			}
			if i == 0 {
				sctx, sp := burr.StartSpan(ctx, "after-first")
				burr.LogAttributes(sctx, "word", w)
				sp.End()
			}
		}
		joined := strings.Join(out, " ")
		return burr.Result{"text": joined}, s.Set("text", joined), nil
	}, burr.Writes("text"))
	app, err := burr.New(context.Background(), burr.WithActions(act), burr.WithEntrypoint("stream"),
		burr.WithState(burr.State{}.Set("text", "")), burr.WithAppID("streamer"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func streamLog(t *testing.T, tr *tracking.LocalTracker) []string {
	t.Helper()
	return normalizeFile(t, filepath.Join(tr.Dir(), "streamer", tracking.LogFile))
}

// The lines of a streamed step, in order (docs/tracking-format.md).
func TestStreamedStepLines(t *testing.T) {
	tr := newTracker(t)
	app := streamApp(t, tr, "one two three")
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("stream"))
	if err != nil {
		t.Fatal(err)
	}
	var items []any
	for it := range s.All() {
		items = append(items, it)
	}
	if _, _, err := s.Get(); err != nil || len(items) != 3 {
		t.Fatalf("items %v, err %v", items, err)
	}
	want := []string{
		`{"type":"begin_entry","start_time":"<local>","action":"stream","inputs":{},"sequence_id":0}`,
		`{"type":"begin_stream","action_sequence_id":0,"span_id":null,"stream_init_time":"<utc>"}`,
		`{"type":"first_item_stream","action_sequence_id":0,"span_id":null,"first_item_time":"<utc>"}`,
		`{"type":"begin_span","start_time":"<local>","action_sequence_id":0,"span_id":"0:0","span_name":"after-first","parent_span_id":null,"span_dependencies":[]}`,
		`{"type":"attribute","key":"word","action_sequence_id":0,"span_id":"0:0","value":"one","tags":{},"time_logged":"<utc>"}`,
		`{"type":"end_span","end_time":"<local>","action_sequence_id":0,"span_id":"0:0"}`,
		`{"type":"end_entry","end_time":"<local>","action":"stream","result":{"text":"one two three"},"exception":null,"state":{"text":"one two three","__SEQUENCE_ID":0,"__PRIOR_STEP":"stream"},"sequence_id":0}`,
		`{"type":"end_stream","action_sequence_id":0,"span_id":null,"end_time":"<utc>","items_streamed":3}`,
	}
	if d := cmp.Diff(want, streamLog(t, tr)); d != "" {
		t.Errorf("log.jsonl (-want +got):\n%s", d)
	}
}

// An abandoned stream (break out of the range loop) logs a failed step with
// a null result and the state before it, then the count of items so far.
func TestAbandonedStreamLines(t *testing.T) {
	tr := newTracker(t)
	app := streamApp(t, tr, "one two three")
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("stream"))
	if err != nil {
		t.Fatal(err)
	}
	for range s.All() {
		break
	}
	if _, _, err := s.Get(); !errors.Is(err, burr.ErrStreamClosed) {
		t.Fatalf("Get after break: %v", err)
	}
	got := streamLog(t, tr)
	want := []string{
		`{"type":"begin_entry","start_time":"<local>","action":"stream","inputs":{},"sequence_id":0}`,
		`{"type":"begin_stream","action_sequence_id":0,"span_id":null,"stream_init_time":"<utc>"}`,
		`{"type":"first_item_stream","action_sequence_id":0,"span_id":null,"first_item_time":"<utc>"}`,
		`{"type":"end_entry","end_time":"<local>","action":"stream","result":null,"exception":` + jsonString(burr.ErrStreamClosed.Error()+"\n") + `,"state":{"text":"","__SEQUENCE_ID":0},"sequence_id":0}`,
		`{"type":"end_stream","action_sequence_id":0,"span_id":null,"end_time":"<utc>","items_streamed":1}`,
	}
	// The action may or may not have reached its span before it saw the
	// consumer leave; drop those lines.
	var kept []string
	for _, l := range got {
		if !strings.Contains(l, `"span_id":"0:0"`) {
			kept = append(kept, l)
		}
	}
	if d := cmp.Diff(want, kept); d != "" {
		t.Errorf("log.jsonl (-want +got):\n%s", d)
	}
}

// A stopped stream finishes early and commits what the action returned.
func TestStoppedStreamLines(t *testing.T) {
	tr := newTracker(t)
	app := streamApp(t, tr, "one two three four")
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("stream"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range s.All() {
		n++
		if n == 2 {
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
		}
	}
	r, _, err := s.Get()
	if err != nil {
		t.Fatal(err)
	}
	lines := streamLog(t, tr)
	end, endStream := lines[len(lines)-2], lines[len(lines)-1]
	wantEnd := `{"type":"end_entry","end_time":"<local>","action":"stream","result":{"text":` + jsonString(r["text"].(string)) + `},"exception":null,`
	if !strings.HasPrefix(end, wantEnd) {
		t.Errorf("end_entry = %s, want prefix %s", end, wantEnd)
	}
	if !strings.HasSuffix(endStream, `"items_streamed":2}`) {
		t.Errorf("end_stream = %s", endStream)
	}
}

// A stream whose action fails logs the error; one that yields nothing has no
// first_item_stream line.
func TestFailedAndEmptyStreams(t *testing.T) {
	for _, tc := range []struct {
		text, exception string
		items           int
	}{
		{"one FAIL", "stream broke\n", 1},
		{"", "", 0},
	} {
		tr := newTracker(t)
		app := streamApp(t, tr, tc.text)
		s, err := app.StreamResult(context.Background(), burr.HaltAfter("stream"))
		if err != nil {
			t.Fatal(err)
		}
		for range s.All() {
		}
		_, _, err = s.Get()
		if (err != nil) != (tc.exception != "") {
			t.Fatalf("%q: Get error %v", tc.text, err)
		}
		lines := logLines(t, tr, "streamer")
		c := countTypes(lines)
		if c["first_item_stream"] != min(tc.items, 1) || c["begin_stream"] != 1 || c["end_stream"] != 1 {
			t.Errorf("%q: counts %v", tc.text, c)
		}
		last, end := lines[len(lines)-1], lines[len(lines)-2]
		if last.num("items_streamed") != tc.items {
			t.Errorf("%q: items_streamed = %v", tc.text, last["items_streamed"])
		}
		if exc, _ := end["exception"].(string); tc.exception != "" && !strings.HasSuffix(exc, tc.exception) {
			t.Errorf("%q: exception = %q", tc.text, end["exception"])
		}
	}
}

func jsonString(s string) string { b, _ := jsonMarshal(s); return string(b) }
