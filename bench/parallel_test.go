package bench

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/persist/sqlite"
	"github.com/burrgo/burr/tracking"
)

// w8Children is W8's fan-out: N one-step children.
const w8Children = 1_000

var numKey = burr.Key[int]("n")

// w8Action is W8's parallel action: w8Children children, each a one-step
// application incrementing its number; the reduce sums them.
func w8Action(n int) *burr.Action {
	inc := burr.NewAction("increment", func(_ context.Context, s burr.State) (burr.State, error) {
		return numKey.Set(s, numKey.Or(s, 0)+1), nil
	}, burr.Reads("n"), burr.Writes("n"))
	states := make([]burr.State, n)
	for i := range states {
		states[i] = numKey.Set(burr.State{}, i)
	}
	return burr.MapStates("fan", burr.SubgraphOf(inc),
		func(context.Context, burr.State, burr.Inputs) ([]burr.State, error) { return states, nil },
		func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
			sum := 0
			for _, c := range children {
				sum += numKey.Or(c, 0)
			}
			return s.Set("sum", sum), nil
		}, burr.Writes("sum"))
}

// w8Sum is the sum W8 must reduce to: Σ (i+1) for i < n.
func w8Sum(n int) int { return n * (n + 1) / 2 }

// BenchmarkW8 is W8: one step of a parallel action fanning out to 1,000
// one-step child applications at the default concurrency (16), reported per
// child, beside a plain errgroup doing the same arithmetic with the same
// limit ("errgroup"). The framework's own cost is burr − errgroup.
func BenchmarkW8(b *testing.B) {
	b.Run("errgroup", func(b *testing.B) {
		var m meter
		for b.Loop() {
			b.StopTimer()
			in := make([]int, w8Children)
			for i := range in {
				in[i] = i
			}
			m.start(b)
			out := make([]int, w8Children)
			var g errgroup.Group
			g.SetLimit(burr.DefaultMaxConcurrency)
			for i := range in {
				g.Go(func() error {
					out[i] = in[i] + 1
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			sum := 0
			for _, v := range out {
				sum += v
			}
			m.stop(b, w8Children)
			if sum != w8Sum(w8Children) {
				b.Fatalf("sum %d", sum)
			}
			b.StartTimer()
		}
		m.report(b, "child")
	})
	b.Run("burr", func(b *testing.B) { benchW8(b, nil) })
	b.Run("burr+tracker", func(b *testing.B) {
		benchW8(b, func(b *testing.B) ([]burr.Option, func()) {
			tr, err := tracking.NewLocal("w8", tracking.WithStorageDir(b.TempDir()))
			if err != nil {
				b.Fatal(err)
			}
			return []burr.Option{burr.WithHooks(tr)}, func() { tr.Close() }
		})
	})
	b.Run("burr+sqlite-memory", func(b *testing.B) {
		benchW8(b, func(b *testing.B) ([]burr.Option, func()) {
			p, err := sqlite.Open(context.Background(), ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			return []burr.Option{burr.WithPersister(p)}, func() { p.Close() }
		})
	})
}

func benchW8(b *testing.B, setup func(b *testing.B) ([]burr.Option, func())) {
	ctx := context.Background()
	fan := w8Action(w8Children)
	var m meter
	for b.Loop() {
		b.StopTimer()
		opts := []burr.Option{burr.WithActions(fan), burr.WithEntrypoint("fan")}
		var after func()
		if setup != nil {
			extra, a := setup(b)
			opts, after = append(opts, extra...), a
		}
		app, err := burr.New(ctx, opts...)
		if err != nil {
			b.Fatal(err)
		}
		m.start(b)
		res, err := app.Step(ctx)
		m.stop(b, w8Children)
		if err != nil {
			b.Fatal(err)
		}
		if got := res.State.Value("sum"); got != w8Sum(w8Children) {
			b.Fatalf("sum %v", got)
		}
		if after != nil {
			after()
		}
		b.StartTimer()
	}
	m.report(b, "child")
}

// mergedItems is how many items the merged-stream benchmark streams in all.
const mergedItems = 200_000

// BenchmarkMergedStream is the per-item cost of a streaming parallel action:
// 4 children each streaming mergedItems/4 free items, merged into the
// parent's stream ("parallel"), against one application streaming all of
// them ("single"). The framework's cost of merging is parallel − single.
// Besides the wall time per item, it reports the CPU time the process spent
// per item on all its threads (cpu-ns/item): on a machine shared with other
// work, a program that needs two threads at once waits longer for them than
// one that needs one, and the CPU time shows the work itself.
func BenchmarkMergedStream(b *testing.B) {
	static := func(n int) *burr.Action {
		return burr.NewStreamingAction("stream", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
			for range n {
				if !yield(staticItem) {
					break
				}
			}
			return nil, s.Set("count", n), nil
		}, burr.Writes("count"))
	}
	run := func(b *testing.B, a *burr.Action, name string) {
		var m meter
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			app, err := burr.New(context.Background(), burr.WithActions(a), burr.WithEntrypoint(name))
			if err != nil {
				b.Fatal(err)
			}
			m.start(b)
			cpu -= cpuTime()
			st, err := app.StreamResult(context.Background(), burr.HaltAfter(name))
			if err != nil {
				b.Fatal(err)
			}
			got := 0
			for range st.All() {
				got++
			}
			cpu += cpuTime()
			m.stop(b, got)
			if _, _, err := st.Get(); err != nil || got != mergedItems {
				b.Fatalf("%d items, %v", got, err)
			}
			b.StartTimer()
		}
		m.report(b, "item")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(m.units), "cpu-ns/item")
	}
	b.Run("single", func(b *testing.B) { run(b, static(mergedItems), "stream") })
	b.Run("parallel", func(b *testing.B) {
		const children = 4
		sub := burr.SubgraphOf(static(mergedItems / children))
		fan := burr.NewStreamingParallelAction("fan", func(context.Context, burr.State, burr.Inputs) ([]burr.Task, error) {
			ts := make([]burr.Task, children)
			for i := range ts {
				ts[i] = burr.Task{Subgraph: sub}
			}
			return ts, nil
		}, func(_ context.Context, s burr.State, _ []burr.State) (burr.State, error) { return s, nil })
		run(b, fan, "fan")
	})
}
