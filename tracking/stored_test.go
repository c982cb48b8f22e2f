package tracking_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// A logged state of null is a damaged entry, not an empty state: loading it
// must not silently lose a conversation.
func TestLoadNullState(t *testing.T) {
	tr := newTracker(t)
	dir := filepath.Join(tr.Dir(), "chat")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := `{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":"respond","inputs":{},"sequence_id":4}
{"type":"end_entry","end_time":"2025-01-01T12:00:01","action":"respond","result":{},"exception":null,"state":null,"sequence_id":4}
`
	if err := os.WriteFile(filepath.Join(dir, tracking.LogFile), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := tr.Load(context.Background(), burr.AppRef{AppID: "chat"}.At(burr.Latest))
	if err == nil || !strings.Contains(err.Error(), "null") || !strings.Contains(err.Error(), "end_entry 4") {
		t.Fatalf("loading a null state: %v", err)
	}
}

// DEL (0x7f) is written as json.dumps writes it in graph.json and
// metadata.json (\u007f) and as pydantic writes it in log.jsonl (raw).
func TestDELEscaping(t *testing.T) {
	tr := newTracker(t)
	a := burr.NewAction("a", func(_ context.Context, s burr.State) (burr.State, error) {
		return s.Set("text", "x\x7fy"), nil
	}, burr.Writes("text"))
	app, err := burr.New(context.Background(), burr.WithActions(a), burr.WithTransitions(burr.From("a").To("a")),
		burr.WithEntrypoint("a"), burr.WithAppID("del"), burr.WithPartitionKey("p\x7fk"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	meta, err := os.ReadFile(filepath.Join(tr.Dir(), "del", tracking.MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(meta), `"partition_key": "p\u007fk"`) {
		t.Errorf("metadata.json = %s, want the partition key as json.dumps writes it", meta)
	}
	log, err := os.ReadFile(filepath.Join(tr.Dir(), "del", tracking.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "\"text\":\"x\x7fy\"") {
		t.Errorf("log.jsonl = %s, want DEL raw, as pydantic writes it", log)
	}
}
