package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// The index, and the application list for a short and for a long log, tell
// an application that waits for an answer.
func TestInterruptedInIndexAndList(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ask := burr.NewAction("approve", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, err := burr.Ask(ctx, map[string]any{"question": "send the email?"})
		return s, err
	})
	for _, id := range []string{"short", "long"} {
		app, err := burr.New(ctx, burr.WithActions(ask), burr.WithEntrypoint("approve"), burr.WithHooks(tr), burr.WithAppID(id))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Run(ctx); !errors.As(err, new(*burr.Interrupt)) {
			t.Fatalf("run: %v", err)
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "p", "long", tracking.LogFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 * tailWindow {
		f.WriteString("\n")
	}
	f.Close()
	s := New(dir)
	apps, err := s.Apps("p")
	if err != nil || len(apps) != 2 {
		t.Fatalf("apps %+v, %v", apps, err)
	}
	for _, a := range apps {
		if a.Status != StatusInterrupted || a.Steps != 1 {
			t.Errorf("%s listed as %s, %d steps", a.ID, a.Status, a.Steps)
		}
		app, err := s.App("p", a.ID)
		if err != nil || app.Index.Status() != StatusInterrupted {
			t.Errorf("%s: index status %s, %v", a.ID, app.Index.Status(), err)
		}
	}
}
