package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

// TestInterruptAndAttemptsFromTheTracker reads a log the tracker wrote for
// an application whose first step was retried once and whose second asked
// a question: the first step counts one failed attempt, the second is
// interrupted with the question's payload, and so is the application.
func TestInterruptAndAttemptsFromTheTracker(t *testing.T) {
	ctx := context.Background()
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tries := 0
	flaky := burr.NewAction("fetch", func(context.Context, burr.State) (burr.State, error) {
		if tries++; tries == 1 {
			return burr.State{}, errors.New("timeout talking to the service")
		}
		return burr.State{}, nil
	}, burr.Retry(burr.RetryPolicy{Attempts: 2}))
	ask := burr.NewAction("approve", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, err := burr.Ask(ctx, map[string]any{"question": "send the email?"})
		return s, err
	})
	app, err := burr.New(ctx, burr.WithActions(flaky, ask), burr.WithTransitions(burr.From("fetch").To("approve")),
		burr.WithEntrypoint("fetch"), burr.WithHooks(tr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Run(ctx); !errors.As(err, new(*burr.Interrupt)) {
		t.Fatalf("run: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(tr.Dir(), app.Ref().AppID, tracking.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	lg := NewLog()
	lg.Add(data)
	if errs := lg.Errors(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	steps := lg.Steps()
	if len(steps) != 2 {
		t.Fatalf("%d steps", len(steps))
	}
	if steps[0].Status != StatusCompleted || steps[0].FailedAttempts != 1 {
		t.Errorf("retried step: status %s, %d failed attempts", steps[0].Status, steps[0].FailedAttempts)
	}
	if steps[1].Status != StatusInterrupted || string(steps[1].Interrupt) != `{"question":"send the email?"}` {
		t.Errorf("interrupted step: status %s, payload %s", steps[1].Status, steps[1].Interrupt)
	}
	if lg.Status() != StatusInterrupted {
		t.Errorf("application status %s", lg.Status())
	}
}

// TestSummarizeInterrupted: the application list says "interrupted" for an
// application waiting on a question, whether it reads the log whole or,
// for a long log, its end only.
func TestSummarizeInterrupted(t *testing.T) {
	ctx := context.Background()
	tr, err := tracking.NewLocal("p", tracking.WithStorageDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	pad := strings.Repeat("x", 1000)
	work := burr.NewAction("work", func(_ context.Context, s burr.State) (burr.State, error) {
		n, _ := s.Value("n").(int)
		return s.Set("n", n+1).Set("pad", pad), nil
	}, burr.Writes("n", "pad"))
	ask := burr.NewAction("ask", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, err := burr.Ask(ctx, "go on?")
		return s, err
	})
	for _, steps := range []int{1, 200} { // 200 steps of 1 KB: past the list's first read
		app, err := burr.New(ctx, burr.WithActions(work, ask),
			burr.WithTransitions(burr.From("work").To("work", burr.Expr(fmt.Sprintf("n < %d", steps))), burr.From("work").To("ask")),
			burr.WithEntrypoint("work"), burr.WithState(burr.State{}.Set("n", 0)), burr.WithHooks(tr))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Run(ctx); !errors.As(err, new(*burr.Interrupt)) {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(tr.Dir(), app.Ref().AppID, tracking.LogFile))
		if err != nil {
			t.Fatal(err)
		}
		if steps > 1 && len(data) <= tailWindow {
			t.Fatalf("a log of %d bytes is read whole", len(data))
		}
		n, action, status := summarizeLog(bytes.NewReader(data), int64(len(data)))
		if n != steps+1 || action != "ask" || status != StatusInterrupted {
			t.Errorf("%d steps: summarize = %d %q %s", steps, n, action, status)
		}
	}
}
