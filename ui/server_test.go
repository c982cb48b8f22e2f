package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/ui/internal/fixture"
	"github.com/burrgo/burr/ui/internal/store"
)

func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.URL = &url.URL{Path: target}
	if u, err := url.Parse(target); err == nil && !strings.Contains(target, "%") {
		req.URL = u
	} else {
		req.URL = &url.URL{RawPath: target, Path: mustUnescape(t, target)}
	}
	req.RequestURI = target
	req.Host = "localhost:7241" // the server answers only requests for localhost
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func mustUnescape(t *testing.T, s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func newTestServer(t *testing.T, dir string) *Server {
	s := NewServer(dir)
	s.poll = 20 * time.Millisecond
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPages(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "proj", "run-1", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0, fixture.Begin1, fixture.End1, fixture.Begin2, fixture.End2)
	fixture.WriteRun(t, dir, "proj", "stream-run", "", "", fixture.StreamedRun...)
	corrupt := fixture.WriteRun(t, dir, "proj", "corrupt", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, `{"type":"end_entry",`, fixture.End0)
	fixture.AppendLines(t, filepath.Join(corrupt, "log.jsonl"), "<script>alert(1)</script>")
	s := newTestServer(t, dir)

	code, body := get(t, s, "/")
	if code != 200 {
		t.Fatalf("/ = %d", code)
	}
	mustContain(t, body, `href="/projects/proj"`, `<td class="num">3</td>`)

	code, body = get(t, s, "/projects/proj")
	if code != 200 {
		t.Fatalf("project = %d", code)
	}
	mustContain(t, body, `href="/projects/proj/apps/run-1"`, "user_7", `<span class="badge failed">failed</span>`,
		`href="/projects/proj/apps/stream-run"`)

	code, body = get(t, s, "/projects/proj/apps/run-1")
	if code != 200 {
		t.Fatalf("app = %d", code)
	}
	mustContain(t, body,
		`id="step-0"`, `id="step-2"`, "ValueError: bad", // steps and the error text
		`<tr class="changed"><th>count</th>`, `<tr class="added"><th>note</th>`, `<tr class="removed"><th>note</th>`,
		`<svg class="graph"`, `class="node entry" data-node="counter"`, // "boom" is not in this graph
		">count &lt; 2</text>", // condition label, escaped
		`data-events="/projects/proj/apps/run-1/events?offset=`)
	if strings.Contains(body, ">default</text>") {
		t.Error("the default condition is labelled")
	}

	code, body = get(t, s, "/projects/proj/apps/stream-run")
	if code != 200 {
		t.Fatalf("stream app = %d", code)
	}
	mustContain(t, body, "40 items", `<dd class="stream-ttfi">5.0ms</dd>`, `<dd class="stream-rate">200.0</dd>`,
		"llm_call", "offline-1", "No graph.json", `style="left:5.000%;width:90.000%"`)

	code, body = get(t, s, "/projects/proj/apps/corrupt")
	if code != 200 {
		t.Fatalf("corrupt app = %d", code)
	}
	mustContain(t, body, "log.jsonl line 2: invalid JSON", "log.jsonl line 4: invalid JSON", `id="step-0"`)
	if strings.Contains(body, "<script>alert") {
		t.Error("log content reached the page unescaped")
	}

	for _, p := range []string{"/projects/nope", "/projects/proj/apps/nope", "/nope", "/projects/proj/apps/run-1/nope"} {
		if code, _ := get(t, s, p); code != 404 {
			t.Errorf("%s = %d, want 404", p, code)
		}
	}
	if code, body := get(t, s, "/static/style.css"); code != 200 || !strings.Contains(body, ".badge") {
		t.Errorf("style.css = %d", code)
	}
}

func TestMaliciousURLs(t *testing.T) {
	outer := t.TempDir()
	root := filepath.Join(outer, "root")
	fixture.WriteRun(t, outer, "secret", "app", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	fixture.MustWrite(t, filepath.Join(outer, "passwd"), "root:x:0:0")
	fixture.WriteRun(t, root, "p", "a", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	srv := httptest.NewServer(newTestServer(t, root))
	defer srv.Close()
	paths := []string{
		"/projects/..",
		"/projects/%2e%2e",
		"/projects/..%2fsecret",
		"/projects/%2e%2e%2fsecret/apps/app",
		"/projects/p/apps/..%2f..%2fsecret%2fapp",
		"/projects/p/apps/%2e%2e",
		"/projects/p/apps/..%5c..%5csecret",
		"/projects/%2fetc/apps/passwd",
		"/projects/p/apps/a%00",
		"/projects/.%2e/apps/secret",
		"/projects/p/apps/..%2f..%2fsecret%2fapp/events",
		"/projects/../secret/apps/app",
		"/projects/p/apps/../../../passwd",
		"/static/../../passwd",
		"/static/%2e%2e/%2e%2e/passwd",
	}
	for _, p := range paths {
		req, err := http.NewRequest("GET", srv.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = p // send the path exactly as written
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && (strings.Contains(string(body), "counter") || strings.Contains(string(body), "root:x")) {
			t.Errorf("%s = %d and shows data outside the root:\n%.300s", p, resp.StatusCode, body)
		}
		if strings.Contains(string(body), filepath.Join(outer, "secret")) {
			t.Errorf("%s reveals a file path", p)
		}
	}
	// The id checks answer 400 before touching the disk.
	for _, p := range []string{"/projects/%2e%2e", "/projects/p/apps/..%2f..%2fsecret%2fapp", "/projects/p/apps/a%00"} {
		if code, _ := get(t, newTestServer(t, root), p); code != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400", p, code)
		}
	}
}

func TestDemoDataPages(t *testing.T) {
	dir := testenv.DemoData(t)
	s := newTestServer(t, dir)
	code, body := get(t, s, "/")
	if code != 200 {
		t.Fatal(code)
	}
	for _, p := range []string{"demo_counter", "demo_chatbot", "demo_chatbot_with_traces", "demo_conversational-rag"} {
		mustContain(t, body, `href="/projects/`+p+`"`)
		code, body := get(t, s, "/projects/"+p)
		if code != 200 {
			t.Fatalf("%s = %d", p, code)
		}
		entries, _ := os.ReadDir(filepath.Join(dir, p))
		for _, e := range entries {
			mustContain(t, body, `href="/projects/`+p+`/apps/`+e.Name()+`"`)
			code, page := get(t, s, "/projects/"+p+"/apps/"+e.Name()+"?step=0")
			if code != 200 || !strings.Contains(page, `<svg class="graph"`) || !strings.Contains(page, `id="step-0"`) {
				t.Errorf("%s/%s = %d", p, e.Name(), code)
			}
			if strings.Contains(page, `class="problems"`) {
				t.Errorf("%s/%s reports problems", p, e.Name())
			}
		}
	}
	_, body = get(t, s, "/projects/demo_counter/apps/count-to-1")
	mustContain(t, body, "user_0", `class="node active" data-node="result"`, `<span class="badge completed">completed</span>`)
	_, body = get(t, s, "/projects/demo_chatbot_with_traces/apps/chat-6-demonstrate-errors")
	mustContain(t, body, `<span class="badge failed">failed</span>`, "Traceback", "openai.chat", "unfinished")
	_, body = get(t, s, "/projects/demo_chatbot/apps/chat-1-giraffe")
	mustContain(t, body, ">mode=generate_image</text>", "Please draw a giraffe.")
}

// sseEvent reads the next "update" event from r.
func sseEvent(t *testing.T, r *bufio.Reader) (id string, u liveUpdate) {
	t.Helper()
	var event, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading events: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && event == "update":
			if err := json.Unmarshal([]byte(data), &u); err != nil {
				t.Fatal(err)
			}
			return id, u
		}
	}
}

func TestEvents(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "proj", "live", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0)
	logPath := filepath.Join(appDir, "log.jsonl")
	s := newTestServer(t, dir)
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	open := func(query string) (*http.Response, *bufio.Reader) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/projects/proj/apps/live/events"+query, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("events = %d %s", resp.StatusCode, ct)
		}
		return resp, bufio.NewReader(resp.Body)
	}
	start := int64(len(fixture.Begin0) + 1)
	resp, r := open("?offset=" + itoa(start))
	// A half-written line is not sent; once completed, it is.
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(fixture.End0[:20])
	time.Sleep(100 * time.Millisecond)
	f.WriteString(fixture.End0[20:] + "\n" + fixture.Begin1 + "\n")
	f.Close()
	id, u := sseEvent(t, r)
	if u.Lines != 2 || u.Status != store.StatusRunning || !strings.Contains(u.Steps, `id="step-0"`) || !strings.Contains(u.Steps, `id="step-1"`) {
		t.Fatalf("update = %d lines, %s: %s", u.Lines, u.Status, u.Steps)
	}
	if want := start + int64(len(fixture.End0)+len(fixture.Begin1)+2); id != itoa(want) || u.Offset != want {
		t.Errorf("id %s offset %d, want %d", id, u.Offset, want)
	}
	if !strings.Contains(u.Steps, `id="step-1"`) || !strings.Contains(u.Summary, `<dd id="num-steps">2</dd>`) {
		t.Errorf("fragments: %s", u.Summary)
	}
	fixture.AppendLines(t, logPath, fixture.End1, "garbage")
	_, u = sseEvent(t, r)
	if u.Status != store.StatusCompleted || u.Problems == nil || !strings.Contains(*u.Problems, "line 5: invalid JSON") {
		t.Errorf("second update: %+v %v", u.Status, u.Problems)
	}
	// Only what changed is sent: step 1, not step 0; the graph did not
	// change (the current action is still "counter").
	if !strings.Contains(u.Steps, `id="step-1"`) || strings.Contains(u.Steps, `id="step-0"`) || u.Graph != nil {
		t.Errorf("second update sent more than the change: steps %s, graph %v", u.Steps, u.Graph)
	}
	resp.Body.Close()

	// A page rendered at offset 0 gets what it lacks at once; so does a
	// reconnecting EventSource (Last-Event-ID wins over the query).
	resp, r = open("?offset=0")
	if _, u = sseEvent(t, r); u.Lines != 5 || u.Status != store.StatusCompleted || !strings.Contains(u.Steps, `id="step-0"`) {
		t.Errorf("catch-up update: %d lines", u.Lines)
	}
	resp.Body.Close()

	// Close ends open streams.
	resp, r = open("?offset=" + itoa(start))
	sseEvent(t, r)
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r)
		close(done)
	}()
	s.Close()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("stream still open after Close")
	}
	resp.Body.Close()
	if code, _ := get(t, s, "/projects/proj/apps/live/events"); code != http.StatusServiceUnavailable {
		t.Errorf("events after Close = %d", code)
	}
	if code, _ := get(t, s, "/projects/proj/apps/live"); code != 200 {
		t.Errorf("page after Close = %d", code)
	}
}

func itoa(n int64) string { return strconvFormat(n) }

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }
