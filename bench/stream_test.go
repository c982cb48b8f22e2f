package bench

import (
	"context"
	"testing"
	"time"

	"github.com/burrgo/burr"
)

const w2Items = 200_000

// w2Action yields n items {"i": k}, then returns {"count": n} with count = n.
func w2Action(n int) *burr.Action {
	return burr.NewStreamingAction("stream", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		for k := range n {
			if !yield(map[string]any{"i": k}) {
				break
			}
		}
		return burr.Result{"count": n}, s.Set("count", n), nil
	}, burr.Writes("count"))
}

func newW2App(tb testing.TB, g *burr.Graph, opts ...burr.Option) *burr.Application {
	tb.Helper()
	opts = append([]burr.Option{burr.WithGraph(g), burr.WithState(burr.State{}.Set("count", 0)),
		burr.WithEntrypoint("stream"), burr.WithAppID("w2")}, opts...)
	app, err := burr.New(context.Background(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return app
}

func w2Graph(tb testing.TB, n int) *burr.Graph {
	g, err := burr.NewGraph([]*burr.Action{w2Action(n)})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// runW2 consumes one W2 stream: range to the end, then Get. It returns the
// time to the first item.
func runW2(tb testing.TB, app *burr.Application, n int) time.Duration {
	start := time.Now()
	var first time.Duration
	s, err := app.StreamResult(context.Background(), burr.HaltAfter("stream"))
	if err != nil {
		tb.Fatal(err)
	}
	got := 0
	for range s.All() {
		if got == 0 {
			first = time.Since(start)
		}
		got++
	}
	r, st, err := s.Get()
	if err != nil || got != n || r["count"] != n || st.Value("count") != n {
		tb.Fatalf("W2: %d items, result %v, state %v, err %v", got, r, st, err)
	}
	return first
}

// BenchmarkW2 is the streaming overhead per item of a 200,000-item stream.
// "baseline" is the same items built and handed over by a plain push iterator:
// the difference is the framework's cost per item.
func BenchmarkW2(b *testing.B) {
	b.Run("burr", func(b *testing.B) { benchW2(b) })
	b.Run("baseline", func(b *testing.B) {
		var m meter
		for b.Loop() {
			b.StopTimer()
			m.start(b)
			got := 0
			for range opaqueSeq(w2Items) {
				got++
			}
			m.stop(b, w2Items)
			if got != w2Items {
				b.Fatal(got)
			}
			b.StartTimer()
		}
		m.report(b, "item")
	})
}

func benchW2(b *testing.B, opts ...burr.Option) {
	g := w2Graph(b, w2Items)
	var m meter
	var ttfi time.Duration
	for b.Loop() {
		b.StopTimer()
		app := newW2App(b, g, opts...)
		m.start(b)
		ttfi += runW2(b, app, w2Items)
		m.stop(b, w2Items)
		b.StartTimer()
	}
	m.report(b, "item")
	b.ReportMetric(float64(ttfi.Microseconds())/float64(b.N), "us/first-item")
}

//go:noinline
func opaqueSeq(n int) func(func(any) bool) {
	return func(yield func(any) bool) {
		for k := range n {
			if !yield(map[string]any{"i": k}) {
				return
			}
		}
	}
}

// countingHook is W3's hook: it counts streamed items.
type countingHook struct{ n int }

func (h *countingHook) PostStreamItem(context.Context, *burr.StreamItem) error {
	h.n++
	return nil
}

// BenchmarkW3 is W2 with one per-item hook that counts items.
func BenchmarkW3(b *testing.B) {
	h := &countingHook{}
	benchW2(b, burr.WithHooks(h))
	if h.n != b.N*w2Items {
		b.Fatalf("hook counted %d items, want %d", h.n, b.N*w2Items)
	}
}

// BenchmarkTTFI is the time from StreamResult to the first item, for a stream
// of one item: StreamResult, one pull, then Close.
func BenchmarkTTFI(b *testing.B) {
	g := w2Graph(b, w2Items)
	apps := make([]*burr.Application, 2000)
	var total time.Duration
	var m meter
	runs := 0
	for b.Loop() {
		b.StopTimer()
		for i := range apps {
			apps[i] = newW2App(b, g)
		}
		m.start(b)
		start := time.Now()
		for _, app := range apps {
			s, err := app.StreamResult(context.Background(), burr.HaltAfter("stream"))
			if err != nil {
				b.Fatal(err)
			}
			for range s.All() {
				break
			}
		}
		total += time.Since(start)
		m.stop(b, len(apps))
		runs += len(apps)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(runs)/1000, "us/first-item")
	b.ReportMetric(float64(m.mallocs)/float64(runs), "allocs/first-item")
	b.ReportMetric(0, "ns/op")
}

var staticItem any = map[string]any{"i": 0}

// BenchmarkW2Overhead isolates the framework's per-item cost: the W2 stream
// with an item that costs nothing to build, against a plain push iterator
// handing over the same item ("baseline"), and with W3's counting hook.
func BenchmarkW2Overhead(b *testing.B) {
	b.Run("baseline", func(b *testing.B) {
		var m meter
		for b.Loop() {
			b.StopTimer()
			m.start(b)
			got := 0
			for range opaqueStatic(w2Items) {
				got++
			}
			m.stop(b, w2Items)
			b.StartTimer()
		}
		m.report(b, "item")
	})
	b.Run("burr", func(b *testing.B) { benchStaticW2(b) })
	b.Run("burr+hook", func(b *testing.B) { benchStaticW2(b, burr.WithHooks(&countingHook{})) })
}

// benchStaticW2 runs the W2 stream with an item that costs nothing to build,
// so that what is measured per item is the framework (and opts' hooks).
func benchStaticW2(b *testing.B, opts ...burr.Option) {
	static := burr.NewStreamingAction("stream", func(_ context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		for range w2Items {
			if !yield(staticItem) {
				break
			}
		}
		return burr.Result{"count": w2Items}, s.Set("count", w2Items), nil
	}, burr.Writes("count"))
	g, err := burr.NewGraph([]*burr.Action{static})
	if err != nil {
		b.Fatal(err)
	}
	var m meter
	for b.Loop() {
		b.StopTimer()
		app := newW2App(b, g, opts...)
		m.start(b)
		runW2(b, app, w2Items)
		m.stop(b, w2Items)
		b.StartTimer()
	}
	m.report(b, "item")
}

//go:noinline
func opaqueStatic(n int) func(func(any) bool) {
	return func(yield func(any) bool) {
		for range n {
			if !yield(staticItem) {
				return
			}
		}
	}
}
