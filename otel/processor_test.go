package burrotel_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr"
	burrotel "github.com/burrgo/burr/otel"
	"github.com/burrgo/burr/tracking"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// logLines returns the span and attribute lines of an application's log, in
// a short form: "begin <id> <name> parent=<id>", "end <id>", "attr <span>
// <key>=<value>".
func logLines(t *testing.T, tracker *tracking.LocalTracker, appID string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(tracker.Dir(), appID, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			Type     string  `json:"type"`
			SpanID   *string `json:"span_id"`
			Name     string  `json:"span_name"`
			ParentID *string `json:"parent_span_id"`
			Key      string  `json:"key"`
			Value    any     `json:"value"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		switch l.Type {
		case "begin_span":
			out = append(out, fmt.Sprintf("begin %s %s parent=%s", str(l.SpanID), l.Name, str(l.ParentID)))
		case "end_span":
			out = append(out, "end "+str(l.SpanID))
		case "attribute":
			out = append(out, fmt.Sprintf("attr %s %s=%v", str(l.SpanID), l.Key, l.Value))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func newTracker(t *testing.T) *tracking.LocalTracker {
	t.Helper()
	tr, err := tracking.NewLocal("otel", tracking.WithStorageDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Error(err)
		}
	})
	return tr
}

// instrumented stands for an OpenTelemetry-instrumented library: it opens
// spans through the TracerProvider it is given, nesting a second call.
func instrumented(ctx context.Context, tp *sdktrace.TracerProvider, fail bool) {
	tr := tp.Tracer("example.com/httpclient")
	ctx, sp := tr.Start(ctx, "GET /v1/chat")
	sp.SetAttributes(attribute.String("http.request.method", "GET"), attribute.Int("http.response.status_code", 200))
	_, dns := tr.Start(ctx, "dns lookup")
	dns.End()
	if fail {
		sp.SetStatus(codes.Error, "connection reset")
	}
	sp.End()
}

func TestSpanProcessorWritesIntoTheStep(t *testing.T) {
	tp, _ := newProvider(t, sdktrace.WithSpanProcessor(burrotel.NewSpanProcessor()))
	tracker := newTracker(t)
	a := burr.NewAction("call", func(ctx context.Context, s burr.State) (burr.State, error) {
		instrumented(ctx, tp, false)
		sctx, sp := burr.StartSpan(ctx, "mine")
		instrumented(sctx, tp, true)
		sp.End()
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("call"), burr.WithAppID("in-1"), burr.WithHooks(tracker))
	// Outside a step, spans are left alone.
	instrumented(context.Background(), tp, false)
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(logLines(t, tracker, "in-1"), "\n")
	want := strings.Join([]string{
		"begin 0:0 GET /v1/chat parent=",
		"begin 0:0.0 dns lookup parent=0:0",
		"end 0:0.0",
		"attr 0:0 http.request.method=GET",
		"attr 0:0 http.response.status_code=200",
		"end 0:0",
		"begin 0:1 mine parent=",
		"begin 0:1.0 GET /v1/chat parent=0:1",
		"begin 0:1.0.0 dns lookup parent=0:1.0",
		"end 0:1.0.0",
		"attr 0:1.0 http.request.method=GET",
		"attr 0:1.0 http.response.status_code=200",
		"attr 0:1.0 otel.status_code=ERROR",
		"attr 0:1.0 otel.status_description=connection reset",
		"end 0:1.0",
		"end 0:1",
	}, "\n")
	if got != want {
		t.Fatalf("log:\n%s\nwant:\n%s", got, want)
	}
}

// With the hooks and the processor on one TracerProvider, instrumented code
// is exported once, under the step, and written into the log; the hooks'
// own spans are not written back.
func TestHooksAndProcessorTogether(t *testing.T) {
	tp, exp := newProvider(t, sdktrace.WithSpanProcessor(burrotel.NewSpanProcessor()))
	tracker := newTracker(t)
	a := burr.NewAction("call", func(ctx context.Context, s burr.State) (burr.State, error) {
		sctx, sp := burr.StartSpan(ctx, "mine")
		burr.LogAttributes(sctx, "k", 1)
		instrumented(sctx, tp, false)
		sp.End()
		return s, errors.New("done badly")
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("call"), burr.WithAppID("in-2"),
		burr.WithHooks(tracker, burrotel.New(tp)))
	if _, err := app.Step(context.Background()); err == nil {
		t.Fatal("no error")
	}
	wantTree := `burr.step
  call
    mine
      GET /v1/chat
        dns lookup
`
	if got := tree(exp.GetSpans()); got != wantTree {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, wantTree)
	}
	got := strings.Join(logLines(t, tracker, "in-2"), "\n")
	want := strings.Join([]string{
		"begin 0:0 mine parent=",
		"attr 0:0 k=1",
		"begin 0:0.0 GET /v1/chat parent=0:0",
		"begin 0:0.0.0 dns lookup parent=0:0.0",
		"end 0:0.0.0",
		"attr 0:0.0 http.request.method=GET",
		"attr 0:0.0 http.response.status_code=200",
		"end 0:0.0",
		"end 0:0",
	}, "\n")
	if got != want {
		t.Fatalf("log:\n%s\nwant:\n%s", got, want)
	}
}

// Instrumented libraries take their tracer from the global TracerProvider:
// with the processor on it, their spans inside a step reach the log.
func TestSpanProcessorOnTheGlobalProvider(t *testing.T) {
	tp, _ := newProvider(t, sdktrace.WithSpanProcessor(burrotel.NewSpanProcessor()))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	tracker := newTracker(t)
	a := burr.NewAction("call", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, sp := otel.Tracer("example.com/db").Start(ctx, "SELECT")
		sp.SetAttributes(attribute.String("db.system.name", "postgresql"))
		sp.End()
		return s, nil
	})
	app := mustNew(t, burr.WithActions(a), burr.WithEntrypoint("call"), burr.WithAppID("in-3"), burr.WithHooks(tracker))
	if _, err := app.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(logLines(t, tracker, "in-3"), "\n")
	want := "begin 0:0 SELECT parent=\nattr 0:0 db.system.name=postgresql\nend 0:0"
	if got != want {
		t.Fatalf("log:\n%s\nwant:\n%s", got, want)
	}
}
