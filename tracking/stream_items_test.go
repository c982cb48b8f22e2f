package tracking_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

func itemLines(t *testing.T, tr *tracking.LocalTracker) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tr.Dir(), "streamer", tracking.StreamItemsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// WithStreamItems records each item and how the stream ended, in a file
// of its own; log.jsonl is the same as without it.
func TestStreamItemsRecorded(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, text string
		consume    func(s *burr.Stream) error
		items      int
		outcome    string
	}{
		{"completed", "one two three", func(s *burr.Stream) error {
			for range s.All() {
			}
			_, _, err := s.Get()
			return err
		}, 3, "completed"},
		{"stopped", "one two three four", func(s *burr.Stream) error {
			for s.Next() && s.Item() != "two" {
			}
			return s.Stop()
		}, 2, "stopped"},
		{"closed", "one two three four", func(s *burr.Stream) error {
			for range s.All() {
				s.Close()
			}
			if _, _, err := s.Get(); !errors.Is(err, burr.ErrStreamClosed) {
				return err
			}
			return nil
		}, 1, "closed"},
		{"failed", "one FAIL", func(s *burr.Stream) error {
			for range s.All() {
			}
			if _, _, err := s.Get(); err == nil {
				return errors.New("no error")
			}
			return nil
		}, 1, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTracker(t, tracking.WithStreamItems())
			plain := newTracker(t)
			for _, x := range []*tracking.LocalTracker{tr, plain} {
				s, err := streamApp(t, x, tc.text).StreamResult(ctx, burr.HaltAfter("stream"))
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.consume(s); err != nil {
					t.Fatal(err)
				}
			}
			lines := itemLines(t, tr)
			if len(lines) != tc.items+1 {
				t.Fatalf("%d lines: %v", len(lines), lines)
			}
			words := strings.Fields(tc.text)
			for i, l := range lines[:tc.items] {
				if l["type"] != "stream_item" || l["action_sequence_id"] != 0.0 || l["index"] != float64(i) || l["item"] != words[i] || l["time"] == "" {
					t.Errorf("item %d: %v", i, l)
				}
			}
			end := lines[tc.items]
			if end["type"] != "stream_end" || end["outcome"] != tc.outcome || end["items"] != float64(tc.items) {
				t.Errorf("end: %v", end)
			}
			if (end["error"] != nil) != (tc.outcome == "failed" || tc.outcome == "closed") {
				t.Errorf("end error: %v", end["error"])
			}
			if got, want := streamLog(t, tr), streamLog(t, plain); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("log.jsonl differs with items recorded:\n%s\nwithout:\n%s", got, want)
			}
			if _, err := os.Stat(filepath.Join(plain.Dir(), "streamer", tracking.StreamItemsFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("items recorded without the option: %v", err)
			}
		})
	}
}
