package burrhttp_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceSeen records the trace context each call runs under.
type traceSeen chan trace.SpanContext

func (c traceSeen) PreRunExecuteCall(ctx context.Context, e *burr.ExecuteCall) error {
	c <- trace.SpanContextFromContext(ctx)
	return nil
}

func TestStreamContinuesTheRequestsTrace(t *testing.T) {
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, c := range []struct {
		name  string
		prop  propagation.TextMapPropagator
		valid bool
	}{
		{"w3c", propagation.TraceContext{}, true},
		{"global no-op", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen := make(traceSeen, 1)
			app := newApp(t, counter(1, 0), seen)
			srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1, Propagator: c.prop})
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			req.Header.Set("traceparent", parent)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			http.DefaultClient.CloseIdleConnections()
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			sc := <-seen
			if sc.IsValid() != c.valid {
				t.Fatalf("span context %v, want valid=%v", sc, c.valid)
			}
			if c.valid && (sc.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || sc.SpanID().String() != "b7ad6b7169203331" || !sc.IsRemote()) {
				t.Fatalf("span context %v", sc)
			}
		})
	}
}
