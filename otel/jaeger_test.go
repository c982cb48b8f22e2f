package burrotel_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrhttp"
	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/llm"
	burrotel "github.com/burrgo/burr/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// jaegerTrace is the part of Jaeger's /api/traces answer the test reads.
type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		References    []struct {
			RefType string `json:"refType"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
		Tags []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"tags"`
		StartTime int64 `json:"startTime"`
	} `json:"spans"`
}

// tree renders a Jaeger trace as tree() renders exported spans.
func (tr jaegerTrace) tree() string {
	kids := map[string][]int{}
	for i, s := range tr.Spans {
		p := ""
		for _, r := range s.References {
			if r.RefType == "CHILD_OF" {
				p = r.SpanID
			}
		}
		kids[p] = append(kids[p], i)
	}
	var b strings.Builder
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		list := kids[p]
		slices.SortStableFunc(list, func(x, y int) int {
			a, c := tr.Spans[x], tr.Spans[y]
			if a.StartTime != c.StartTime {
				return int(a.StartTime - c.StartTime)
			}
			return strings.Compare(a.OperationName, c.OperationName)
		})
		for _, i := range list {
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), tr.Spans[i].OperationName)
			walk(tr.Spans[i].SpanID, depth+1)
		}
	}
	walk("", 0)
	return b.String()
}

func (tr jaegerTrace) tags(op string) map[string]string {
	for _, s := range tr.Spans {
		if s.OperationName == op {
			m := map[string]string{}
			for _, t := range s.Tags {
				m[t.Key] = fmt.Sprint(t.Value)
			}
			return m
		}
	}
	return nil
}

// An HTTP request carrying a traceparent streams a chat turn through
// burrhttp; the run (a fan-out to child applications, then the streamed chat
// step) is exported over OTLP to a real Jaeger and read back through its
// query API.
func TestJaegerEndToEnd(t *testing.T) {
	otlp, query := testenv.Jaeger(t)
	ctx := context.Background()
	var rnd [6]byte
	rand.Read(rnd[:])
	service := "burr-e2e-" + hex.EncodeToString(rnd[:])
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(otlp), otlptracehttp.WithInsecure(), otlptracehttp.WithHTTPClient(client))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
	defer tp.Shutdown(ctx)

	leaf := burr.NewAction("lookup", func(ctx context.Context, s burr.State) (burr.State, error) {
		_, sp := burr.StartSpan(ctx, "fetch")
		burr.LogAttributes(ctx, "topic", s.Value("topic"))
		sp.End()
		return s, nil
	}, burr.Reads("topic"))
	g, err := burr.NewGraph([]*burr.Action{leaf})
	if err != nil {
		t.Fatal(err)
	}
	fan := burr.MapStates("research", burr.NewSubgraph(g, "lookup"), func(ctx context.Context, s burr.State, in burr.Inputs) ([]burr.State, error) {
		return []burr.State{burr.State{}.Set("topic", "a"), burr.State{}.Set("topic", "b")}, nil
	}, func(ctx context.Context, s burr.State, children []burr.State) (burr.State, error) {
		return s, nil
	})
	app := mustNew(t, burr.WithActions(fan, llm.ChatAction("chat", &llm.Offline{})),
		burr.WithTransitions(burr.From("research").To("chat")), burr.WithEntrypoint("research"),
		burr.WithAppID("e2e-"+service), burr.WithHooks(burrotel.New(tp)))
	sse := &burrhttp.SSE{Heartbeat: -1, Propagator: propagation.TraceContext{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := sse.Stream(w, r, app, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: "What is a span?"})); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()

	rctx, root := tp.Tracer("e2e-client").Start(ctx, "POST /chat")
	req, _ := http.NewRequestWithContext(rctx, http.MethodPost, srv.URL, nil)
	propagation.TraceContext{}.Inject(rctx, propagation.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	root.End()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	http.DefaultClient.CloseIdleConnections()

	want := `POST /chat
  burr.stream_result
    research
      burr.run
        lookup
          fetch
      burr.run
        lookup
          fetch
    chat
      burr.stream
`
	tr := waitForTrace(t, client, query, service, root.SpanContext().TraceID().String(), strings.Count(want, "\n"))
	if got := tr.tree(); got != want {
		t.Fatalf("Jaeger has\n%s\nwant\n%s", got, want)
	}
	chat := tr.tags("chat")
	for k, v := range map[string]string{
		"burr.action": "chat", "gen_ai.operation.name": "chat", "gen_ai.request.model": "offline",
		"gen_ai.response.model": "offline", "gen_ai.usage.input_tokens": "4",
	} {
		if chat[k] != v {
			t.Errorf("chat span: %s = %q, want %q (tags %v)", k, chat[k], v, chat)
		}
	}
	if chat["gen_ai.usage.output_tokens"] == "" || chat["gen_ai.response.finish_reasons"] == "" {
		t.Errorf("chat span lacks output tokens or finish reasons: %v", chat)
	}
	stream := tr.tags("burr.stream")
	if stream["burr.stream.outcome"] != "completed" || stream["burr.stream.items"] != chat["gen_ai.usage.output_tokens"] {
		t.Errorf("stream span: %v", stream)
	}
	if run := tr.tags("burr.stream_result"); run["burr.app_id"] != "e2e-"+service {
		t.Errorf("call span: %v", run)
	}
}

// waitForTrace polls Jaeger's query API until the trace has at least n
// spans: Jaeger stores what it receives asynchronously.
func waitForTrace(t *testing.T, client *http.Client, query, service, traceID string, n int) jaegerTrace {
	t.Helper()
	u := query + "/api/traces?" + url.Values{"service": {service}, "limit": {"20"}}.Encode()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data []jaegerTrace `json:"data"`
		}
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("%s: %v", u, err)
			}
		}
		for _, tr := range out.Data {
			if tr.TraceID == traceID && len(tr.Spans) >= n {
				return tr
			}
		}
		last = fmt.Sprintf("HTTP %d: %.2000s", resp.StatusCode, body)
		if time.Now().After(deadline) {
			t.Fatalf("trace %s of service %s did not reach %d spans in Jaeger; last answer: %s", traceID, service, n, last)
		}
		time.Sleep(100 * time.Millisecond) // polling an external store, not synchronising goroutines
	}
}
