package tracking_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// Floats in log.jsonl follow pydantic's model_dump_json, as Python Burr
// writes them: 1e-05 is 0.00001 and 1.5e-07 is 1.5e-7.
func TestLogFloatsInPydanticStyle(t *testing.T) {
	tr := newTracker(t)
	a := burr.NewAction("f", func(ctx context.Context, s burr.State) (burr.Result, burr.State, error) {
		burr.LogAttributes(ctx, "tiny", 1.5e-7)
		return burr.Result{"lr": 1e-5}, s.Set("lr", 1e-5).Set("eps", 1e-6), nil
	}, burr.Writes("lr", "eps"))
	app, err := burr.New(context.Background(), burr.WithActions(a), burr.WithEntrypoint("f"), burr.WithHooks(tr), burr.WithAppID("floats"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw := bytes.Join(readRaw(t, filepath.Join(tr.Dir(), "floats", tracking.LogFile)), []byte("\n"))
	for _, want := range []string{`"value":1.5e-7`, `"result":{"lr":0.00001}`, `"lr":0.00001,"eps":1e-6`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("log lacks %s:\n%s", want, raw)
		}
	}
}
