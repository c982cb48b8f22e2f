// Package burrotel connects Burr applications to OpenTelemetry, in both
// directions.
//
// Out: [New] returns a set of hooks that turns what an application does into
// OpenTelemetry spans, exported wherever the given TracerProvider sends them
// (an OTLP collector, Jaeger, Tempo, a vendor):
//
//	app, err := burr.New(ctx, ..., burr.WithHooks(burrotel.New(tracerProvider)))
//
// It emits one span per public call ("burr.run", "burr.step", "burr.iterate",
// "burr.stream_result", "burr.stream_iterate"), one per step under it, named
// after the action, one per streamed step ("burr.stream", under the step's
// span, with the time to the first item as an event and the item count and
// outcome as attributes), and one per span an action opens with
// [burr.StartSpan]. Attributes an action logs with [burr.LogAttributes] are
// set on the span they were logged on (the step's span when logged outside a
// [burr.StartSpan]); the names of the OpenTelemetry GenAI semantic
// conventions pass through, and Burr's older token counts
// (gen_ai.usage.prompt_tokens, gen_ai.usage.completion_tokens, which Burr's UI
// reads) are exported under the current names (gen_ai.usage.input_tokens,
// gen_ai.usage.output_tokens). The llm package's actions log these.
//
// The hooks pass on to the child applications of parallel actions and
// sub-applications ([burr.Inheritable]), and they carry the step's span in
// the context the action runs with ([burr.StepContextHook]), so children's
// spans, and those of OpenTelemetry-instrumented code the action calls, nest
// under the step that started them. A call made with a context that holds a
// span (an HTTP server's, or the remote parent burrhttp extracts from a
// traceparent header) nests under it.
//
// In: [SpanProcessor] is an OpenTelemetry SDK span processor that writes the
// spans instrumented code opens inside a step (an HTTP client, a database
// driver, a model SDK) into the application's own hooks as Burr spans of that
// step, with their attributes — so the tracking package's log, and `burr ui`,
// show them:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(burrotel.NewSpanProcessor()))
//	otel.SetTracerProvider(tp)
//
// Nothing is paid when neither is configured: the hooks are absent from the
// application, and the processor sees only spans that something starts.
package burrotel
