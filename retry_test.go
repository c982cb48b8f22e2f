package burr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/tracking"
)

var errTransient = errors.New("service unavailable")

// flaky fails its first n runs with errTransient, then appends one mark to
// "log" (so that a retried attempt that leaked its state would show twice).
func flaky(n int32, runs *atomic.Int32, opts ...burr.ActionOption) *burr.Action {
	return burr.NewAction("call", func(_ context.Context, s burr.State) (burr.State, error) {
		if runs.Add(1) <= n {
			s, _ = s.Append("log", "leaked")
			return s, errTransient
		}
		return s.Append("log", "ok")
	}, append([]burr.ActionOption{burr.Writes("log")}, opts...)...)
}

type attemptRec struct {
	failed []burr.AttemptEnd
	ends   []burr.StepEnd
}

func (a *attemptRec) FailedAttempt(_ context.Context, e *burr.AttemptEnd) error {
	a.failed = append(a.failed, *e)
	return nil
}

func (a *attemptRec) PostRunStep(_ context.Context, e *burr.StepEnd) error {
	a.ends = append(a.ends, *e)
	return nil
}

func TestRetrySucceedsFromTheSameState(t *testing.T) {
	var runs atomic.Int32
	tr, err := tracking.NewLocal("retry", tracking.WithStorageDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rec, store := &attemptRec{}, newFakeStore()
	app := mustNew(t, burr.WithActions(flaky(2, &runs, burr.Retry(burr.RetryPolicy{Attempts: 3, Backoff: time.Microsecond, Jitter: 0.5}))),
		burr.WithEntrypoint("call"), burr.WithHooks(rec, tr), burr.WithPersister(store))
	res, err := app.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := app.State().Map()["log"]; len(got.([]string)) != 1 {
		t.Fatalf("log %v: a failed attempt changed the state", got)
	}
	if res.Action.Name() != "call" || runs.Load() != 3 {
		t.Fatalf("%d runs", runs.Load())
	}
	if len(rec.failed) != 2 || rec.failed[0].Attempt != 1 || rec.failed[1].Attempt != 2 || !errors.Is(rec.failed[1].Err, errTransient) {
		t.Fatalf("failed attempts %+v", rec.failed)
	}
	if len(rec.ends) != 1 || rec.ends[0].Attempt != 3 || rec.ends[0].Err != nil {
		t.Fatalf("step ends %+v", rec.ends)
	}
	if len(store.records) != 1 || store.records[0].Status != burr.StatusCompleted {
		t.Fatalf("records %+v: want one completed record", store.records)
	}
	// The tracker shows each failed attempt as a span of the step with the
	// error as an attribute, between the step's begin and end.
	log, err := os.ReadFile(filepath.Join(tr.Dir(), app.Ref().AppID, tracking.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	text := string(log)
	for _, want := range []string{`"span_id":"0:0","span_name":"attempt 1"`, `"span_id":"0:1","span_name":"attempt 2"`,
		`{"type":"attribute","key":"error","action_sequence_id":0,"span_id":"0:1","value":"service unavailable"`} {
		if !strings.Contains(text, want) {
			t.Fatalf("log lacks %s:\n%s", want, text)
		}
	}
	if strings.Count(text, `"type":"end_entry"`) != 1 || strings.Index(text, "attempt 1") > strings.Index(text, "end_entry") {
		t.Fatalf("log:\n%s", text)
	}
}

func TestRetryGivesUp(t *testing.T) {
	var runs atomic.Int32
	rec := &attemptRec{}
	app := mustNew(t, burr.WithActions(flaky(10, &runs, burr.Retry(burr.RetryPolicy{Attempts: 3}))),
		burr.WithEntrypoint("call"), burr.WithHooks(rec))
	_, err := app.Step(t.Context())
	var ae *burr.ActionError
	if !errors.As(err, &ae) || ae.Action != "call" || !errors.Is(err, errTransient) {
		t.Fatalf("error %v", err)
	}
	if runs.Load() != 3 || len(rec.failed) != 2 || rec.ends[0].Attempt != 3 {
		t.Fatalf("%d runs, %d failed attempts reported", runs.Load(), len(rec.failed))
	}
	if app.State().Has("log") {
		t.Fatal("a failed step changed the state")
	}
}

func TestRetryOnlyMatchingErrors(t *testing.T) {
	other := errors.New("bad request")
	cases := []struct {
		name string
		err  error
		pol  burr.RetryPolicy
		runs int32
	}{
		{"is/match", errTransient, burr.RetryPolicy{Attempts: 3, If: burr.RetryOn(errTransient)}, 3},
		{"is/other", other, burr.RetryPolicy{Attempts: 3, If: burr.RetryOn(errTransient)}, 1},
		{"as/match", &burr.TimeoutError{Action: "x"}, burr.RetryPolicy{Attempts: 2, If: burr.RetryOnType[*burr.TimeoutError]()}, 2},
		{"as/other", other, burr.RetryPolicy{Attempts: 2, If: burr.RetryOnType[*burr.TimeoutError]()}, 1},
		{"canceled/never", context.Canceled, burr.RetryPolicy{Attempts: 3, If: func(error) bool { return true }}, 1},
		{"panic/default", nil, burr.RetryPolicy{Attempts: 3}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var runs atomic.Int32
			a := burr.NewAction("call", func(context.Context, burr.State) (burr.State, error) {
				runs.Add(1)
				if c.err == nil {
					panic("bug")
				}
				return burr.State{}, c.err
			}, burr.Retry(c.pol))
			app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("call"))
			if _, err := app.Step(t.Context()); err == nil {
				t.Fatal("no error")
			}
			if runs.Load() != c.runs {
				t.Fatalf("%d runs, want %d", runs.Load(), c.runs)
			}
		})
	}
}

// TestRetryStopsWhenTheCallerGivesUp: a caller that cancels during the wait
// gets the attempt's error at once; nothing more runs.
func TestRetryStopsWhenTheCallerGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var runs atomic.Int32
	a := burr.NewAction("call", func(context.Context, burr.State) (burr.State, error) {
		runs.Add(1)
		cancel()
		return burr.State{}, errTransient
	}, burr.Retry(burr.RetryPolicy{Attempts: 5, Backoff: time.Hour}))
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("call"))
	if _, err := app.Step(ctx); !errors.Is(err, errTransient) && !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	if runs.Load() != 1 {
		t.Fatalf("%d runs after the caller gave up", runs.Load())
	}
}

// TestRetryStreaming: a streaming action failing before its first item is
// retried; one failing after an item reached the consumer is not.
func TestRetryStreaming(t *testing.T) {
	for _, failAfterItem := range []bool{false, true} {
		var runs atomic.Int32
		a := burr.NewStreamingAction("gen", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
			n := runs.Add(1)
			if n == 1 {
				if failAfterItem {
					yield("partial")
				}
				return nil, s, errTransient
			}
			yield("a")
			yield("b")
			return burr.Result{"n": n}, s.Set("done", true), nil
		}, burr.Writes("done"), burr.Retry(burr.RetryPolicy{Attempts: 3}))
		app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("gen"))
		st, err := app.StreamResult(t.Context(), burr.HaltAfter("gen"))
		if err != nil {
			t.Fatal(err)
		}
		var items []any
		for it := range st.All() {
			items = append(items, it)
		}
		_, _, err = st.Get()
		if failAfterItem {
			if !errors.Is(err, errTransient) || runs.Load() != 1 || len(items) != 1 {
				t.Fatalf("after an item: error %v, %d runs, items %v; want no retry", err, runs.Load(), items)
			}
		} else if err != nil || runs.Load() != 2 || len(items) != 2 {
			t.Fatalf("before any item: error %v, %d runs, items %v; want one retry", err, runs.Load(), items)
		}
	}
}

func TestInvalidExecutionControl(t *testing.T) {
	noop := func(context.Context, burr.State) (burr.State, error) { return burr.State{}, nil }
	cases := []struct {
		opt  burr.ActionOption
		want string
	}{
		{burr.Retry(burr.RetryPolicy{}), `action "a": retry policy: Attempts must be at least 1 (got 0)`},
		{burr.Retry(burr.RetryPolicy{Attempts: 2, Backoff: -time.Second}), `action "a": retry policy: Backoff must not be negative (got -1s)`},
		{burr.Retry(burr.RetryPolicy{Attempts: 2, Multiplier: 0.5}), "Multiplier must be at least 1"},
		{burr.Retry(burr.RetryPolicy{Attempts: 2, Jitter: 2}), "Jitter must be between 0 and 1"},
		{burr.Timeout(-time.Second), `action "a": Timeout must not be negative`},
		{burr.ItemTimeout(time.Second), `action "a": ItemTimeout needs a streaming action`},
	}
	for _, c := range cases {
		_, err := burr.New(t.Context(), burr.WithActions(burr.NewAction("a", noop, c.opt)), burr.WithEntrypoint("a"))
		wantErrContains(t, err, c.want)
	}
}

// stopOnFailedAttempt stops the stream when an attempt fails, during the
// retry's wait.
type stopOnFailedAttempt struct{ st **burr.Stream }

func (h stopOnFailedAttempt) FailedAttempt(context.Context, *burr.AttemptEnd) error {
	return (*h.st).Stop()
}

// TestRetryWaitEndsOnStop: a consumer that stops a stream while its action
// waits to be retried is not kept waiting; the step fails with the attempt's
// error and nothing more runs.
func TestRetryWaitEndsOnStop(t *testing.T) {
	var runs atomic.Int32
	a := burr.NewStreamingAction("gen", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		runs.Add(1)
		return nil, s, errTransient
	}, burr.Retry(burr.RetryPolicy{Attempts: 3, Backoff: time.Hour}))
	var st *burr.Stream
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("gen"), burr.WithHooks(stopOnFailedAttempt{&st}))
	var err error
	if st, err = app.StreamResult(t.Context(), burr.HaltAfter("gen")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Get(); !errors.Is(err, errTransient) || runs.Load() != 1 {
		t.Fatalf("error %v after %d runs", err, runs.Load())
	}
}
