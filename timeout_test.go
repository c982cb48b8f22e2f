package burr_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

// blockUntilDone waits for its context, which only a timeout ends.
func blockUntilDone(ctx context.Context, s burr.State) (burr.State, error) {
	<-ctx.Done()
	return s, ctx.Err()
}

func TestTimeoutNamesTheAction(t *testing.T) {
	app := mustNew(t, burr.WithActions(burr.NewAction("slow", blockUntilDone, burr.Timeout(time.Millisecond))),
		burr.WithEntrypoint("slow"), burr.WithPersister(newFakeStore()))
	_, err := app.Step(t.Context())
	var te *burr.TimeoutError
	if !errors.As(err, &te) || te.Action != "slow" || te.After != time.Millisecond || te.BetweenItems {
		t.Fatalf("error %v: want a *TimeoutError for \"slow\"", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || burr.Committed(err) {
		t.Fatalf("error %v", err)
	}
	wantErrContains(t, err, `action "slow" timed out after 1ms`)
}

func TestTimeoutThenRetry(t *testing.T) {
	var runs atomic.Int32
	a := burr.NewAction("slow", func(ctx context.Context, s burr.State) (burr.State, error) {
		if runs.Add(1) == 1 {
			return blockUntilDone(ctx, s)
		}
		return s.Set("ok", true), nil
	}, burr.Writes("ok"), burr.Timeout(time.Millisecond),
		burr.Retry(burr.RetryPolicy{Attempts: 2, If: burr.RetryOnType[*burr.TimeoutError]()}))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("slow"))
	if _, err := app.Step(t.Context()); err != nil || runs.Load() != 2 {
		t.Fatalf("error %v after %d runs", err, runs.Load())
	}
}

// TestStreamTimeouts: a whole-step timeout and a gap between items, each on a
// stream whose action then waits for its context.
func TestStreamTimeouts(t *testing.T) {
	cases := []struct {
		name  string
		opt   burr.ActionOption
		first bool // the action yields an item before it blocks
		gap   bool
	}{
		{"step", burr.Timeout(time.Millisecond), true, false},
		{"before-first-item", burr.ItemTimeout(time.Millisecond), false, true},
		{"between-items", burr.ItemTimeout(time.Millisecond), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := burr.NewStreamingAction("gen", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
				if c.first {
					yield("first")
				}
				<-ctx.Done()
				return nil, s, ctx.Err()
			}, c.opt)
			app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("gen"))
			st, err := app.StreamResult(t.Context(), burr.HaltAfter("gen"))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for range st.All() {
				n++
			}
			_, _, err = st.Get()
			var te *burr.TimeoutError
			if !errors.As(err, &te) || te.Action != "gen" || te.BetweenItems != c.gap {
				t.Fatalf("error %v: want a *TimeoutError, between items %v", err, c.gap)
			}
			if c.first != (n == 1) {
				t.Fatalf("%d items", n)
			}
		})
	}
}

// TestItemTimeoutIgnoresTheConsumer: the time the consumer spends on an item
// does not count against the gap.
func TestItemTimeoutIgnoresTheConsumer(t *testing.T) {
	a := burr.NewStreamingAction("gen", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		for i := range 3 {
			if !yield(i) {
				return nil, s, errors.New("yield refused an item")
			}
		}
		return burr.Result{}, s, nil
	}, burr.ItemTimeout(time.Hour))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("gen"))
	st, err := app.StreamResult(t.Context(), burr.HaltAfter("gen"))
	if err != nil {
		t.Fatal(err)
	}
	for range st.All() {
	}
	if _, _, err := st.Get(); err != nil {
		t.Fatal(err)
	}
}

// TestItemTimeoutInAStep: a streaming action run as an ordinary step keeps
// its gap bound.
func TestItemTimeoutInAStep(t *testing.T) {
	a := burr.NewStreamingAction("gen", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		yield("first")
		<-ctx.Done()
		return nil, s, ctx.Err()
	}, burr.ItemTimeout(time.Millisecond))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("gen"))
	_, err := app.Step(t.Context())
	var te *burr.TimeoutError
	if !errors.As(err, &te) || !te.BetweenItems {
		t.Fatalf("error %v", err)
	}
	wantErrContains(t, err, `action "gen" produced no item within 1ms`)
}
