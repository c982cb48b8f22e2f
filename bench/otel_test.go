package bench

import (
	"context"
	"testing"

	"github.com/burrgo/burr"
	burrotel "github.com/burrgo/burr/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// discard is an OpenTelemetry exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkW1OTel is W1 without hooks ("none", the same as BenchmarkW1) and
// with the OpenTelemetry hooks on a real SDK TracerProvider that samples
// every span and batches them to an exporter that drops them ("sdk"): the
// difference is what the hooks cost per step (a span per step, started and
// ended, its attributes, the batch queue). Besides the wall-clock figures it
// reports the CPU time of every thread per step (cpu-ns/step), the batch
// processor's goroutine and the garbage collector included, which a shared
// machine disturbs less.
func BenchmarkW1OTel(b *testing.B) {
	b.Run("hooks=none", func(b *testing.B) { benchW1CPU(b, nil) })
	b.Run("hooks=sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		benchW1CPU(b, burrotel.New(tp))
	})
}

// BenchmarkOTelSpan is the SDK's own floor under BenchmarkW1OTel: one span
// started and ended with two attributes, under a parent, on the same
// TracerProvider, per op.
func BenchmarkOTelSpan(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := tp.Tracer("bench")
	ctx, root := tr.Start(context.Background(), "root")
	defer root.End()
	b.ReportAllocs()
	c0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		_, sp := tr.Start(ctx, "increment", trace.WithAttributes(attribute.String("burr.action", "increment"), attribute.Int("burr.sequence_id", i)))
		sp.End()
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// benchW1CPU runs W1 with hooks (none when nil), reporting per step.
func benchW1CPU(b *testing.B, hooks any) {
	const n = 10_000
	g := w1Graph(b, n)
	ctx := context.Background()
	var m meter
	var cpu int64
	for b.Loop() {
		b.StopTimer()
		var opts []burr.Option
		if hooks != nil {
			opts = append(opts, burr.WithHooks(hooks))
		}
		app := newW1App(b, g, opts...)
		c0 := cpuTime()
		m.start(b)
		res, err := app.Run(ctx, burr.HaltAfter("done"))
		m.stop(b, n+1)
		cpu += int64(cpuTime() - c0)
		if err != nil {
			b.Fatal(err)
		}
		checkW1(b, res, n)
		b.StartTimer()
	}
	m.report(b, "step")
	b.ReportMetric(float64(cpu)/float64(m.units), "cpu-ns/step")
}
