package burrotel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	burrotel "github.com/burrgo/burr/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// newProvider returns a TracerProvider that keeps every ended span in memory.
func newProvider(t *testing.T, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp)}, opts...)...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// tree renders the exported spans as an indented tree of names, children in
// start order, to compare with a literal.
func tree(spans tracetest.SpanStubs) string {
	byParent := map[string][]tracetest.SpanStub{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext.SpanID().String()] = true
	}
	for _, s := range spans {
		p := s.Parent.SpanID().String()
		if !ids[p] {
			p = ""
		}
		byParent[p] = append(byParent[p], s)
	}
	var b strings.Builder
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		kids := byParent[p]
		slices.SortStableFunc(kids, func(a, b tracetest.SpanStub) int {
			if c := a.StartTime.Compare(b.StartTime); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		for _, s := range kids {
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), s.Name)
			walk(s.SpanContext.SpanID().String(), depth+1)
		}
	}
	walk("", 0)
	return b.String()
}

func find(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no span %q in\n%s", name, tree(spans))
	return tracetest.SpanStub{}
}

func attr(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}

func wantAttr(t *testing.T, s tracetest.SpanStub, key string, want any) {
	t.Helper()
	v, ok := attr(s, key)
	if !ok {
		t.Fatalf("span %q has no attribute %q: %v", s.Name, key, s.Attributes)
	}
	if got := v.AsInterface(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("span %q: %s = %v (%T), want %v", s.Name, key, got, got, want)
	}
}

func mustNew(t *testing.T, opts ...burr.Option) *burr.Application {
	t.Helper()
	app, err := burr.New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

var _ = burrotel.New
