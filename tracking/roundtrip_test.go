package tracking_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/jsonx"
	"github.com/burrgo/burr/internal/testenv"
)

// TestDemoStatesRoundTrip reads every state Python Burr logged in its demo
// runs and writes it back: the bytes must be the same, key order (internal
// keys and the keys of nested dicts such as chat messages) and number
// formats included.
func TestDemoStatesRoundTrip(t *testing.T) {
	logs, err := filepath.Glob(filepath.Join(testenv.DemoData(t), "*", "*", "log.jsonl"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no demo logs: %v", err)
	}
	states := 0
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			if !bytes.HasPrefix(line, []byte(`{"type":"end_entry"`)) {
				continue
			}
			var entry struct {
				State json.RawMessage `json:"state"`
			}
			if err := json.Unmarshal(line, &entry); err != nil {
				t.Fatal(err)
			}
			var s burr.State
			if err := s.UnmarshalJSON(entry.State); err != nil {
				t.Fatalf("%s:%d: %v", path, n+1, err)
			}
			b, err := s.MarshalJSON()
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n+1, err)
			}
			if got := jsonx.ToPydantic(b); !bytes.Equal(got, entry.State) {
				t.Errorf("%s:%d: state written back differs:\n got %s\nwant %s", path, n+1, got, entry.State)
			}
			states++
		}
	}
	t.Logf("%d states from %d logs", states, len(logs))
}
