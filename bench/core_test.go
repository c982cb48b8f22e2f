// Package bench holds the workloads of docs/benchmarks.md as Go benchmarks. Each
// timed repetition starts from an application that is already built.
package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

var counterKey = burr.Key[int]("counter")

// w1Graph is the W1 loop graph: increment until counter >= n, then done.
func w1Graph(tb testing.TB, n int, opts ...burr.ActionOption) *burr.Graph {
	tb.Helper()
	inc := burr.NewAction("increment", func(_ context.Context, s burr.State) (burr.State, error) {
		c, err := counterKey.Get(s)
		if err != nil {
			return s, err
		}
		return counterKey.Set(s, c+1), nil
	}, append([]burr.ActionOption{burr.Reads("counter"), burr.Writes("counter")}, opts...)...)
	done := burr.NewAction("done", func(_ context.Context, s burr.State) (burr.State, error) { return s, nil },
		append([]burr.ActionOption{burr.Reads("counter")}, opts...)...)
	g, err := burr.NewGraph([]*burr.Action{inc, done},
		burr.From("increment").To("done", burr.Predicate("counter >= N", []string{"counter"},
			func(s burr.State) bool { return counterKey.Or(s, 0) >= n })),
		burr.From("increment").To("increment"))
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func newW1App(tb testing.TB, g *burr.Graph, opts ...burr.Option) *burr.Application {
	tb.Helper()
	opts = append([]burr.Option{burr.WithGraph(g), burr.WithState(counterKey.Set(burr.State{}, 0)),
		burr.WithEntrypoint("increment"), burr.WithAppID("w1")}, opts...)
	app, err := burr.New(context.Background(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return app
}

func checkW1(tb testing.TB, res burr.StepResult, n int) {
	tb.Helper()
	if res.Action == nil || res.Action.Name() != "done" || counterKey.Or(res.State, -1) != n {
		tb.Fatalf("W1 ended at %v with state %v", res.Action, res.State)
	}
}

// BenchmarkW1 is the step overhead of a 10,001-step loop graph.
func BenchmarkW1(b *testing.B) { benchW1(b, 10_000, nil) }

// BenchmarkW1Retry is W1 with a retry policy on every action that never
// triggers: what a configured policy costs per step.
func BenchmarkW1Retry(b *testing.B) {
	benchW1g(b, w1Graph(b, 10_000, burr.Retry(burr.RetryPolicy{Attempts: 3, Backoff: time.Millisecond})), 10_000, nil)
}

// benchW1 runs the W1 loop graph to n, reporting per step. setup, when not
// nil, gives each repetition's extra options and a function to run after it;
// both are untimed.
func benchW1(b *testing.B, n int, setup func(b *testing.B, run int) ([]burr.Option, func())) {
	benchW1g(b, w1Graph(b, n), n, setup)
}

func benchW1g(b *testing.B, g *burr.Graph, n int, setup func(b *testing.B, run int) ([]burr.Option, func())) {
	ctx := context.Background()
	var m meter
	for run := 0; b.Loop(); run++ {
		b.StopTimer()
		var opts []burr.Option
		var after func()
		if setup != nil {
			opts, after = setup(b, run)
		}
		app := newW1App(b, g, opts...)
		m.start(b)
		res, err := app.Run(ctx, burr.HaltAfter("done"))
		m.stop(b, n+1)
		if err != nil {
			b.Fatal(err)
		}
		checkW1(b, res, n)
		if after != nil {
			after()
		}
		b.StartTimer()
	}
	m.report(b, "step")
}

// meter counts units (steps or items) and the allocations made while the
// timer runs, to report per-unit figures.
type meter struct {
	units   int
	mallocs uint64
	bytes   uint64
	ms      runtime.MemStats
}

// start is called with the timer stopped; it starts it.
func (m *meter) start(b *testing.B) {
	runtime.ReadMemStats(&m.ms)
	m.mallocs -= m.ms.Mallocs
	m.bytes -= m.ms.TotalAlloc
	b.StartTimer()
}

// stop stops the timer and adds units.
func (m *meter) stop(b *testing.B, units int) {
	b.StopTimer()
	runtime.ReadMemStats(&m.ms)
	m.mallocs += m.ms.Mallocs
	m.bytes += m.ms.TotalAlloc
	m.units += units
}

func (m *meter) report(b *testing.B, unit string) {
	u := float64(m.units)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/u, "ns/"+unit)
	b.ReportMetric(float64(m.mallocs)/u, "allocs/"+unit)
	b.ReportMetric(float64(m.bytes)/u, "B/"+unit)
	b.ReportMetric(0, "ns/op")
}
