package burrotel_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/burrgo/burr"
	burrotel "github.com/burrgo/burr/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// A collector that cannot be reached costs the run nothing: every step runs
// and commits, and the failure shows only where exporting is asked for (the
// provider's flush), never in the application's calls.
func TestCollectorUnreachable(t *testing.T) {
	ctx := context.Background()
	// A loopback port that was just listened on and closed: connections to
	// it are refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(addr), otlptracehttp.WithInsecure(),
		otlptracehttp.WithHTTPClient(client), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(8)))
	defer tp.Shutdown(ctx)

	inc := burr.NewAction("inc", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, sp := burr.StartSpan(ctx, "work")
		defer sp.End()
		return s.Increment("n", 1)
	}, burr.Reads("n"), burr.Writes("n"))
	app, err := burr.New(ctx, burr.WithActions(inc), burr.WithTransitions(burr.From("inc").To("inc", burr.Expr("n < 50"))),
		burr.WithState(burr.State{}.Set("n", 0)), burr.WithEntrypoint("inc"), burr.WithHooks(burrotel.New(tp)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.Run(ctx)
	if err != nil {
		t.Fatalf("Run with an unreachable collector: %v", err)
	}
	if n := res.State.Value("n"); n != 50 {
		t.Fatalf("n = %v after the run, want 50", n)
	}
	if err := tp.ForceFlush(ctx); err == nil {
		t.Error("ForceFlush to an unreachable collector reported no error")
	}
}
