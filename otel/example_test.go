package burrotel_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/burrgo/burr"
	burrotel "github.com/burrgo/burr/otel"
	"github.com/burrgo/burr/tracking"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Export an application's steps and spans to OpenTelemetry. Here the
// TracerProvider keeps the spans in memory; in production it batches them to
// an OTLP exporter (otlptracegrpc, otlptracehttp) pointed at a collector.
func ExampleNew() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	answer := burr.NewAction("answer", func(ctx context.Context, s burr.State) (burr.State, error) {
		sctx, span := burr.StartSpan(ctx, "retrieve")
		burr.LogAttributes(sctx, "documents", 3)
		span.End()
		burr.LogAttributes(ctx, "gen_ai.usage.prompt_tokens", 812)
		return s.Set("answer", "42"), nil
	}, burr.Writes("answer"))
	app, err := burr.New(context.Background(), burr.WithActions(answer), burr.WithEntrypoint("answer"),
		burr.WithHooks(burrotel.New(tp)))
	if err != nil {
		panic(err)
	}
	if _, err := app.Step(context.Background()); err != nil {
		panic(err)
	}
	for _, s := range exp.GetSpans() { // in the order they ended
		var attrs []string
		for _, a := range s.Attributes {
			if !strings.HasPrefix(string(a.Key), "burr.app_id") {
				attrs = append(attrs, fmt.Sprintf("%s=%v", a.Key, a.Value.Emit()))
			}
		}
		fmt.Println(s.Name, attrs)
	}
	// Output:
	// retrieve [burr.span_id=0:0 burr.action=answer documents=3]
	// answer [burr.action=answer burr.sequence_id=0 gen_ai.usage.input_tokens=812]
	// burr.step [burr.method=step]
}

// Record the spans that OpenTelemetry-instrumented code opens inside an
// action in the application's tracking log, as spans of the step.
func ExampleSpanProcessor() {
	dir, _ := os.MkdirTemp("", "burrotel-example")
	defer os.RemoveAll(dir)
	tracker, err := tracking.NewLocal("example", tracking.WithStorageDir(dir))
	if err != nil {
		panic(err)
	}
	defer tracker.Close()
	// Instrumented libraries use the global TracerProvider; set it with
	// otel.SetTracerProvider(tp).
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(burrotel.NewSpanProcessor()))
	defer tp.Shutdown(context.Background())

	fetch := burr.NewAction("fetch", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, span := tp.Tracer("example.com/httpclient").Start(ctx, "GET /weather")
		span.End()
		return s, nil
	})
	app, err := burr.New(context.Background(), burr.WithActions(fetch), burr.WithEntrypoint("fetch"),
		burr.WithAppID("weather-1"), burr.WithHooks(tracker))
	if err != nil {
		panic(err)
	}
	if _, err := app.Step(context.Background()); err != nil {
		panic(err)
	}
	log, _ := os.ReadFile(tracker.Dir() + "/weather-1/log.jsonl")
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, `"begin_span"`) {
			fmt.Println(line[strings.Index(line, `"span_id"`):strings.Index(line, `,"parent_span_id"`)])
		}
	}
	// Output:
	// "span_id":"0:0","span_name":"GET /weather"
}
