package burrhttp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/burrhttp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quotaError is an error meant for the user.
type quotaError struct{ error }

func (quotaError) UserMessage() string { return "You have used today's quota." }

var _ burrhttp.UserError = quotaError{}

// ends records the end of every step and every stream.
type ends struct {
	mu      sync.Mutex
	steps   []error
	streams []error
	ended   chan struct{} // receives once per stream end
}

func newEnds() *ends { return &ends{ended: make(chan struct{}, 16)} }

func (e *ends) PostRunStep(_ context.Context, ev *burr.StepEnd) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.steps = append(e.steps, ev.Err)
	return nil
}

func (e *ends) PostEndStream(_ context.Context, ev *burr.StreamEnd) error {
	e.mu.Lock()
	e.streams = append(e.streams, ev.Err)
	e.mu.Unlock()
	e.ended <- struct{}{}
	return nil
}

func (e *ends) snapshot() (steps, streams []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.steps...), append([]error(nil), e.streams...)
}

// counter is a streaming action that emits {"token": "<k>"} for k < n (n < 0:
// until the consumer goes), pausing before each, and returns how many it
// emitted, kept in state as "count".
func counter(n int, pause time.Duration) *burr.Action {
	return burr.NewStreamingAction("count", func(ctx context.Context, s burr.State, in burr.Inputs, yield burr.Yield) (burr.Result, burr.State, error) {
		if in["fail"] == true {
			return nil, s, errors.New("the action failed on purpose")
		}
		k := 0
		for ; n < 0 || k < n; k++ {
			if pause > 0 {
				select {
				case <-ctx.Done():
					return nil, s, context.Cause(ctx)
				case <-time.After(pause):
				}
			}
			var item any = map[string]any{"token": fmt.Sprint(k)}
			if in["bad"] == true {
				item = make(chan int)
			}
			if !yield(item) {
				break
			}
		}
		return burr.Result{"count": k}, s.Set("count", k), nil
	}, burr.Writes("count"), burr.OptionalInputs("fail", "bad"))
}

func newApp(t *testing.T, a *burr.Action, hooks ...any) *burr.Application {
	t.Helper()
	app, err := burr.New(context.Background(), burr.WithActions(a), burr.WithTransitions(burr.From(a.Name()).To(a.Name())),
		burr.WithEntrypoint(a.Name()), burr.WithState(burr.State{}.Set("count", 0)), burr.WithHooks(hooks...))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// serve streams app's "count" action for every request, with inputs from the
// query (fail=1, bad=1). It returns the server and a channel of the errors
// Stream returned.
func serve(t *testing.T, app *burr.Application, sse *burrhttp.SSE) (*httptest.Server, chan error) {
	t.Helper()
	errs := make(chan error, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := burr.Inputs{}
		if r.URL.Query().Get("fail") != "" {
			in["fail"] = true
		}
		if r.URL.Query().Get("bad") != "" {
			in["bad"] = true
		}
		errs <- sse.Stream(w, r, app, burr.HaltAfter("count"), burr.WithInputs(in))
	}))
	t.Cleanup(srv.Close)
	return srv, errs
}

type event struct {
	name, data string
}

// readEvents parses a Server-Sent Events body, sending each event (comments
// as name ":") on the returned channel, which is closed at the end.
func readEvents(body io.Reader) <-chan event {
	ch := make(chan event, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ch <- ev
				}
				ev = event{}
			case strings.HasPrefix(line, ":"):
				ch <- event{name: ":", data: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[len("data: "):]
			}
		}
	}()
	return ch
}

func get(t *testing.T, ctx context.Context, url string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close(); http.DefaultClient.CloseIdleConnections() })
	return resp
}

func collect(ch <-chan event) []event {
	var evs []event
	for ev := range ch {
		evs = append(evs, ev)
	}
	return evs
}

func TestStreamWritesItemsThenResult(t *testing.T) {
	hooks := newEnds()
	app := newApp(t, counter(3, 0), hooks)
	srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1})
	resp := get(t, context.Background(), srv.URL)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	evs := collect(readEvents(resp.Body))
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	want := []event{
		{"start", fmt.Sprintf(`{"app_id":%q,"action":"count"}`, app.Ref().AppID)},
		{"item", `{"token":"0"}`},
		{"item", `{"token":"1"}`},
		{"item", `{"token":"2"}`},
		{"result", fmt.Sprintf(`{"app_id":%q,"action":"count","sequence_id":0,"result":{"count":3},"state":{"count":3,"__SEQUENCE_ID":0,"__PRIOR_STEP":"count"}}`, app.Ref().AppID)},
	}
	if fmt.Sprint(evs) != fmt.Sprint(want) {
		t.Errorf("events:\n%v\nwant:\n%v", evs, want)
	}
	if steps, streams := hooks.snapshot(); len(steps) != 1 || len(streams) != 1 || steps[0] != nil || streams[0] != nil {
		t.Errorf("hooks: steps %v, streams %v", steps, streams)
	}
}

func TestStreamSendsHeartbeats(t *testing.T) {
	app := newApp(t, counter(2, 60*time.Millisecond))
	srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: 10 * time.Millisecond})
	evs := collect(readEvents(get(t, context.Background(), srv.URL).Body))
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	pings := 0
	var names []string
	for _, ev := range evs {
		if ev.name == ":" {
			pings++
			if ev.data != "ping" {
				t.Errorf("comment %q", ev.data)
			}
			continue
		}
		names = append(names, ev.name)
	}
	if pings < 3 || fmt.Sprint(names) != "[start item item result]" {
		t.Errorf("%d pings, events %v", pings, names)
	}
}

func TestClientDisconnectAbandonsTheStep(t *testing.T) {
	hooks := newEnds()
	app := newApp(t, counter(-1, time.Millisecond), hooks)
	srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: 5 * time.Millisecond, ErrorLog: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	evs := readEvents(get(t, ctx, srv.URL).Body)
	items := 0
	for ev := range evs {
		if ev.name == "item" {
			if items++; items == 5 {
				break
			}
		}
	}
	cancel() // the client goes away
	select {
	case <-hooks.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the end-of-stream hook did not fire after the client disconnected")
	}
	err := <-errs
	if err == nil {
		t.Error("Stream returned nil after a disconnect")
	}
	time.Sleep(20 * time.Millisecond) // a second end would show up here
	steps, streams := hooks.snapshot()
	if len(streams) != 1 || streams[0] == nil || len(steps) != 1 || steps[0] == nil {
		t.Fatalf("hooks: steps %v, streams %v; want one failed end each", steps, streams)
	}
	t.Logf("stream ended with: %v", streams[0])
	if n := app.State().Value("count"); n != 0 {
		t.Errorf("count = %v after an abandoned step, want 0", n)
	}
	// The application is free again.
	resp := get(t, context.Background(), srv.URL+"?fail=1")
	if last := collect(readEvents(resp.Body)); len(last) == 0 || last[len(last)-1].name != "error" {
		t.Errorf("events after reconnecting: %v", last)
	}
	<-errs
	<-hooks.ended
}

func TestStopCommitsThePartialResult(t *testing.T) {
	var streams burrhttp.Streams
	hooks := newEnds()
	app := newApp(t, counter(-1, time.Millisecond), hooks)
	srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1, Streams: &streams})
	if streams.Stop(app.Ref().AppID) {
		t.Error("Stop found a stream before any request")
	}
	evs := readEvents(get(t, context.Background(), srv.URL).Body)
	items := 0
	var last event
	for ev := range evs {
		if ev.name == "item" {
			if items++; items == 3 {
				if !streams.Running(app.Ref().AppID) || !streams.Stop(app.Ref().AppID) {
					t.Error("the stream is not registered while it runs")
				}
			}
		}
		last = ev
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	var res struct {
		Result burr.Result `json:"result"`
	}
	if last.name != "result" || json.Unmarshal([]byte(last.data), &res) != nil {
		t.Fatalf("last event %v", last)
	}
	n := app.State().Value("count")
	if fmt.Sprint(res.Result["count"]) != fmt.Sprint(items) || n != items {
		t.Errorf("result %v, state count %v, %d items sent", res.Result, n, items)
	}
	if streams.Running(app.Ref().AppID) {
		t.Error("the stream is still registered after it ended")
	}
	if _, ends := hooks.snapshot(); len(ends) != 1 || ends[0] != nil {
		t.Errorf("stream ends %v, want one successful", ends)
	}
}

func TestErrors(t *testing.T) {
	t.Run("action fails", func(t *testing.T) {
		app := newApp(t, counter(3, 0))
		var log strings.Builder
		srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1, ErrorLog: slog.New(slog.NewTextHandler(&log, nil))})
		evs := collect(readEvents(get(t, context.Background(), srv.URL+"?fail=1").Body))
		if err := <-errs; err == nil || !strings.Contains(err.Error(), "on purpose") {
			t.Errorf("Stream returned %v", err)
		}
		last := evs[len(evs)-1]
		if last.name != "error" || last.data != `{"app_id":"`+app.Ref().AppID+`","action":"count","error":"internal error"}` {
			t.Errorf("last event %v, want the generic message", last)
		}
		if !strings.Contains(log.String(), "the action failed on purpose") {
			t.Errorf("the server's log lacks the error: %q", log.String())
		}
	})
	t.Run("action panics", func(t *testing.T) {
		boom := burr.NewStreamingAction("count", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
			yield("first")
			panic("kaboom in " + t.Name())
		})
		app := newApp(t, boom)
		var log strings.Builder
		srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1, ErrorLog: slog.New(slog.NewTextHandler(&log, nil))})
		body, _ := io.ReadAll(get(t, context.Background(), srv.URL).Body)
		err := <-errs
		var pe *burr.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("Stream returned %v, want the panic", err)
		}
		for _, leak := range []string{"kaboom", "panic", "goroutine", ".go:", "sse_test"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("the client was sent %q:\n%s", leak, body)
			}
		}
		if !strings.Contains(string(body), "event: error\ndata: {\"app_id\":\""+app.Ref().AppID+"\",\"action\":\"count\",\"error\":\"internal error\"}") {
			t.Errorf("no generic error event in\n%s", body)
		}
		if !strings.Contains(log.String(), "panic: kaboom") {
			t.Errorf("the server's log lacks the panic: %q", log.String())
		}
	})
	t.Run("user error", func(t *testing.T) {
		a := burr.NewStreamingAction("count", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
			return nil, s, fmt.Errorf("calling the model: %w", quotaError{errors.New("HTTP 429 from 10.0.0.7")})
		})
		app := newApp(t, a)
		var log strings.Builder
		srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1, ErrorLog: slog.New(slog.NewTextHandler(&log, nil))})
		evs := collect(readEvents(get(t, context.Background(), srv.URL).Body))
		<-errs
		last := evs[len(evs)-1]
		if last.name != "error" || !strings.Contains(last.data, `"error":"You have used today's quota."`) || strings.Contains(last.data, "10.0.0.7") {
			t.Errorf("last event %v, want the user message alone", last)
		}
		if log.Len() != 0 {
			t.Errorf("a user error was logged as hidden: %q", log.String())
		}
	})
	t.Run("item cannot be encoded", func(t *testing.T) {
		app := newApp(t, counter(3, 0))
		srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1, Error: func(err error) string { return "hidden" }})
		evs := collect(readEvents(get(t, context.Background(), srv.URL+"?bad=1").Body))
		if err := <-errs; !errors.Is(err, burr.ErrStreamClosed) || !strings.Contains(err.Error(), "cannot encode the item event") {
			t.Errorf("Stream returned %v", err)
		}
		if fmt.Sprint(evs[1:]) != `[{error {"app_id":"`+app.Ref().AppID+`","action":"count","error":"hidden"}}]` {
			t.Errorf("events %v", evs)
		}
	})
	t.Run("non-finite numbers", func(t *testing.T) {
		// One rule everywhere: NaN and infinities are sent as null, not
		// refused (which abandoned the turn).
		a := burr.NewStreamingAction("count", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
			yield(math.NaN())
			yield(map[string]any{"loss": math.Inf(1), "ok": 1.5})
			return burr.Result{"loss": math.NaN()}, s.Set("count", math.Inf(-1)), nil
		}, burr.Writes("count"))
		app := newApp(t, a)
		srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1})
		evs := collect(readEvents(get(t, context.Background(), srv.URL).Body))
		if err := <-errs; err != nil {
			t.Fatalf("Stream returned %v", err)
		}
		want := `[{item null} {item {"loss":null,"ok":1.5}} {result {"app_id":"` + app.Ref().AppID +
			`","action":"count","sequence_id":0,"result":{"loss":null},"state":{"count":null,"__SEQUENCE_ID":0,"__PRIOR_STEP":"count"}}}]`
		if got := fmt.Sprint(evs[1:]); got != want {
			t.Errorf("events\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("busy", func(t *testing.T) {
		app := newApp(t, counter(-1, time.Millisecond))
		srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := readEvents(get(t, ctx, srv.URL).Body)
		<-first // start
		resp := get(t, context.Background(), srv.URL)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "busy") {
			t.Errorf("second request: %d %s", resp.StatusCode, body)
		}
		if err := <-errs; !errors.Is(err, burr.ErrBusy) {
			t.Errorf("Stream returned %v", err)
		}
		cancel()
		<-errs
	})
	t.Run("missing input", func(t *testing.T) {
		a := burr.NewStreamingAction("count", func(ctx context.Context, s burr.State, in burr.Inputs, y burr.Yield) (burr.Result, burr.State, error) {
			return nil, s, nil
		}, burr.RequiredInputs("prompt"))
		app := newApp(t, a)
		srv, errs := serve(t, app, &burrhttp.SSE{})
		resp := get(t, context.Background(), srv.URL)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "missing required inputs [prompt]") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
		<-errs
	})
}

// TestClientThatStopsReadingIsDropped: a client that sends its request and
// then never reads, keeping the connection open, must not hold the handler
// and the Application: once a write has waited WriteTimeout, the stream is
// closed as for a disconnect.
func TestClientThatStopsReadingIsDropped(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	flood := burr.NewStreamingAction("count", func(ctx context.Context, s burr.State, in burr.Inputs, yield burr.Yield) (burr.Result, burr.State, error) {
		for yield(big) {
			if err := ctx.Err(); err != nil {
				return nil, s, err
			}
		}
		return burr.Result{}, s, nil
	})
	hooks := newEnds()
	app := newApp(t, flood, hooks)
	srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: 20 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // runs before srv.Close: frees a stuck handler
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: burr\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The client reads nothing from here on.
	select {
	case err := <-errs:
		if err == nil {
			t.Error("Stream returned nil for a client that stopped reading")
		}
		t.Logf("Stream returned: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the handler is still writing to a client that stopped reading")
	}
	select {
	case <-hooks.ended:
	case <-time.After(time.Second):
		t.Fatal("the end-of-stream hook did not fire")
	}
	if _, streams := hooks.snapshot(); len(streams) != 1 || streams[0] == nil {
		t.Errorf("stream ends %v, want one failed", streams)
	}
	// The application is free.
	stream, err := app.StreamResult(context.Background(), burr.HaltAfter("count"))
	if err != nil {
		t.Fatalf("the application is not free after the client was dropped: %v", err)
	}
	stream.Close()
	<-hooks.ended
}

// TestStreamOutlastsTheServersWriteTimeout: the server's WriteTimeout, which
// a long stream outlasts, does not cut the stream: each write gets its own
// deadline instead.
func TestStreamOutlastsTheServersWriteTimeout(t *testing.T) {
	app := newApp(t, counter(6, 30*time.Millisecond))
	errs := make(chan error, 1)
	sse := &burrhttp.SSE{Heartbeat: 10 * time.Millisecond}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errs <- sse.Stream(w, r, app, burr.HaltAfter("count"))
	}))
	srv.Config.WriteTimeout = 50 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	evs := collect(readEvents(get(t, context.Background(), srv.URL).Body))
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.name != "result" {
		t.Errorf("last event %v", last)
	}
}

// TestStopStopsEveryStreamOfAnAppID: two Applications with one app id (two
// turns of a conversation loaded from a persister) stream at once; Stop stops
// both, and the end of a third does not unregister them.
func TestStopStopsEveryStreamOfAnAppID(t *testing.T) {
	var streams burrhttp.Streams
	sse := &burrhttp.SSE{Heartbeat: -1, Streams: &streams}
	const id = "conversation"
	apps := make([]*burr.Application, 3)
	for i := range apps {
		a := counter(-1, time.Millisecond)
		app, err := burr.New(context.Background(), burr.WithActions(a), burr.WithTransitions(burr.From("count").To("count")),
			burr.WithEntrypoint("count"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithAppID(id))
		if err != nil {
			t.Fatal(err)
		}
		apps[i] = app
	}
	errs := make(chan error, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscan(r.URL.Query().Get("app"), &i)
		errs <- sse.Stream(w, r, apps[i], burr.HaltAfter("count"))
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs := make([]<-chan event, 3)
	for i := range evs {
		c := context.Background()
		if i == 2 {
			c = ctx
		}
		evs[i] = readEvents(get(t, c, fmt.Sprintf("%s?app=%d", srv.URL, i)).Body)
		for ev := range evs[i] {
			if ev.name == "item" {
				break // streaming
			}
		}
	}
	cancel() // the third client leaves
	if err := <-errs; err == nil {
		t.Fatal("the abandoned stream returned nil")
	}
	if !streams.Running(id) {
		t.Fatal("the end of one stream unregistered the others")
	}
	if !streams.Stop(id) {
		t.Fatal("Stop found no stream")
	}
	for i := range 2 {
		var last event
		timeout := time.After(5 * time.Second)
	read:
		for {
			select {
			case ev, ok := <-evs[i]:
				if !ok {
					break read
				}
				last = ev
			case <-timeout:
				t.Fatalf("stream %d still runs after Stop", i)
			}
		}
		if last.name != "result" {
			t.Errorf("stream %d ended with %v", i, last)
		}
		if err := <-errs; err != nil {
			t.Errorf("a stopped stream returned %v", err)
		}
	}
	if streams.Running(id) || streams.Stop(id) {
		t.Error("streams are still registered after they ended")
	}
}

// conflicting is a persister whose every save loses a write conflict.
type conflicting struct{}

func (conflicting) Save(context.Context, burr.Record) error {
	return fmt.Errorf("test store: %w", burr.ErrConflict)
}

// TestConflictBeforeTheStreamIs409: a step run on the way to the streaming
// action (here "hello") that another writer saved first is a conflict, not an
// internal error.
func TestConflictBeforeTheStreamIs409(t *testing.T) {
	hello := burr.NewAction("hello", func(ctx context.Context, s burr.State, in burr.Inputs) (burr.Result, burr.State, error) {
		return burr.Result{}, s, nil
	})
	count := counter(3, 0)
	app, err := burr.New(context.Background(), burr.WithActions(hello, count),
		burr.WithTransitions(burr.From("hello").To("count"), burr.From("count").To("count")),
		burr.WithEntrypoint("hello"), burr.WithState(burr.State{}.Set("count", 0)), burr.WithPersister(conflicting{}))
	if err != nil {
		t.Fatal(err)
	}
	srv, errs := serve(t, app, &burrhttp.SSE{Heartbeat: -1})
	resp := get(t, context.Background(), srv.URL)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "changed by another request") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if err := <-errs; !errors.Is(err, burr.ErrConflict) {
		t.Errorf("Stream returned %v", err)
	}
}
