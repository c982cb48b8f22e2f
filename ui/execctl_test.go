package ui

import (
	"context"
	"errors"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// TestPendingInterruptPage: the page of an application waiting for an
// answer shows the question's payload, and its step the retries.
func TestPendingInterruptPage(t *testing.T) {
	dir := t.TempDir()
	tr, err := tracking.NewLocal("proj", tracking.WithStorageDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tries := 0
	ask := burr.NewAction("approve", func(ctx context.Context, s burr.State) (burr.State, error) {
		if tries++; tries == 1 {
			return s, errors.New("flaky")
		}
		_, err := burr.Ask(ctx, map[string]any{"question": "delete build/cache?"})
		return s, err
	}, burr.Retry(burr.RetryPolicy{Attempts: 2}))
	app, err := burr.New(context.Background(), burr.WithActions(ask), burr.WithEntrypoint("approve"),
		burr.WithAppID("waiting"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Step(context.Background()); !errors.As(err, new(*burr.Interrupt)) {
		t.Fatal(err)
	}
	s := newTestServer(t, dir)
	code, body := get(t, s, "/projects/proj/apps/waiting")
	if code != 200 {
		t.Fatalf("page = %d", code)
	}
	mustContain(t, body, `class="badge interrupted"`, "Waiting for an answer", "delete build/cache?",
		"Retried: 1 failed attempt before the last")
}
