package burr_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/burrgo/burr"
)

// panicHook panics on every streamed item.
type panicHook struct{}

func (panicHook) PostStreamItem(context.Context, *burr.StreamItem) error { panic("hook bug") }

// TestRetryPanics: a panicking action is retried when the policy's If
// accepts a *PanicError, and only then, in an ordinary step and in a
// streamed one alike; a streamed attempt that panics after an item reached
// the consumer is not retried, nor is a panic in an item hook.
func TestRetryPanics(t *testing.T) {
	panics := burr.RetryOnType[*burr.PanicError]()
	cases := []struct {
		name     string
		stream   bool
		pol      burr.RetryPolicy
		hook     bool // a PostStreamItem hook that panics
		yield    bool // the first attempt yields an item before it panics
		runs     int32
		retried  bool
		panicVal any // the value of the *PanicError when the step fails
	}{
		{name: "step/If accepts", pol: burr.RetryPolicy{Attempts: 3, If: panics}, runs: 2, retried: true},
		{name: "step/default", pol: burr.RetryPolicy{Attempts: 3}, runs: 1, panicVal: "bug"},
		{name: "stream/If accepts", stream: true, pol: burr.RetryPolicy{Attempts: 3, If: panics}, runs: 2, retried: true},
		{name: "stream/default", stream: true, pol: burr.RetryPolicy{Attempts: 3}, runs: 1, panicVal: "bug"},
		{name: "stream/If refuses", stream: true, pol: burr.RetryPolicy{Attempts: 3, If: burr.RetryOn(errTransient)}, runs: 1, panicVal: "bug"},
		{name: "stream/after an item", stream: true, yield: true, pol: burr.RetryPolicy{Attempts: 3, If: panics}, runs: 1, panicVal: "bug"},
		{name: "stream/item hook", stream: true, yield: true, hook: true, pol: burr.RetryPolicy{Attempts: 3, If: panics}, runs: 1, panicVal: "hook bug"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var runs atomic.Int32
			var a *burr.Action
			if c.stream {
				a = burr.NewStreamingAction("call", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
					n := runs.Add(1)
					if n == 1 {
						if c.yield {
							yield("partial")
						}
						panic("bug")
					}
					yield("ok")
					return burr.Result{"n": n}, s.Set("done", n), nil
				}, burr.Writes("done"), burr.Retry(c.pol))
			} else {
				a = burr.NewAction("call", func(_ context.Context, s burr.State) (burr.State, error) {
					n := runs.Add(1)
					if n == 1 {
						panic("bug")
					}
					return s.Set("done", n), nil
				}, burr.Writes("done"), burr.Retry(c.pol))
			}
			rec := &attemptRec{}
			opts := []burr.Option{burr.WithActions(a), burr.WithEntrypoint("call"), burr.WithHooks(rec)}
			if c.hook {
				opts = append(opts, burr.WithHooks(panicHook{}))
			}
			app := mustNew(t, opts...)
			var err error
			var items []any
			if c.stream {
				st, serr := app.StreamResult(t.Context(), burr.HaltAfter("call"))
				if serr != nil {
					t.Fatal(serr)
				}
				for it := range st.All() {
					items = append(items, it)
				}
				_, _, err = st.Get()
			} else {
				_, err = app.Step(t.Context())
			}
			if runs.Load() != c.runs {
				t.Fatalf("%d runs, want %d (error %v)", runs.Load(), c.runs, err)
			}
			if c.retried {
				if err != nil || app.State().Value("done") != int32(2) {
					t.Fatalf("retried step: error %v, state %v", err, app.State())
				}
				if c.stream && (len(items) != 1 || items[0] != "ok") {
					t.Fatalf("items %v, want [ok]", items)
				}
				var pe *burr.PanicError
				if len(rec.failed) != 1 || !errors.As(rec.failed[0].Err, &pe) || pe.Value != "bug" || len(pe.Stack) == 0 {
					t.Fatalf("failed attempts %+v, want one *PanicError", rec.failed)
				}
				if len(rec.ends) != 1 || rec.ends[0].Attempt != 2 {
					t.Fatalf("step ends %+v, want one after 2 attempts", rec.ends)
				}
				return
			}
			var pe *burr.PanicError
			if !errors.As(err, &pe) || pe.Value != c.panicVal {
				t.Fatalf("error %v, want a *PanicError of %q", err, c.panicVal)
			}
			if len(rec.failed) != 0 || app.State().Has("done") {
				t.Fatalf("failed attempts %+v, state %v; want no retry and nothing committed", rec.failed, app.State())
			}
		})
	}
}
