package ui

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/ui/internal/fixture"
	"github.com/burrgo/burr/ui/internal/store"
)

// Without WithAllowRemote the server answers only requests addressed to
// localhost or a loopback address, so that a page on another site cannot
// read the runs through a DNS name rebound to 127.0.0.1.
func TestHostHeader(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "proj", "run-1", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	do := func(h http.Handler, host, path string) int {
		req := httptest.NewRequest("GET", path, nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	s := newTestServer(t, dir)
	for _, host := range []string{"localhost", "localhost:7241", "LOCALHOST:80", "localhost.:7241", "127.0.0.1", "127.0.0.1:7241",
		"127.1.2.3:8080", "[::1]:7241", "[::1]", "::1", "[::ffff:127.0.0.1]:7241"} {
		for _, path := range []string{"/", "/projects/proj", "/projects/proj/apps/run-1", "/static/app.js"} {
			if code := do(s, host, path); code != http.StatusOK {
				t.Errorf("Host %q %s = %d, want 200", host, path, code)
			}
		}
	}
	for _, host := range []string{"", "evil.example", "evil.example:7241", "localhost.evil.example", "127.0.0.1.nip.io:7241",
		"192.168.1.2:7241", "[::]:7241", "0.0.0.0:7241", "example.com"} {
		for _, path := range []string{"/", "/projects/proj", "/projects/proj/apps/run-1", "/projects/proj/apps/run-1/events", "/static/app.js"} {
			if code := do(s, host, path); code != http.StatusMisdirectedRequest {
				t.Errorf("Host %q %s = %d, want 421", host, path, code)
			}
		}
	}

	named := NewServer(dir, WithAllowedHosts("burr.internal"))
	defer named.Close()
	if code := do(named, "Burr.Internal:443", "/"); code != http.StatusOK {
		t.Errorf("allowed host = %d", code)
	}
	if code := do(named, "evil.example", "/"); code != http.StatusMisdirectedRequest {
		t.Errorf("other host with WithAllowedHosts = %d", code)
	}
	remote := NewServer(dir, WithAllowRemote())
	defer remote.Close()
	if code := do(remote, "evil.example:7241", "/projects/proj"); code != http.StatusOK {
		t.Errorf("WithAllowRemote = %d", code)
	}
}

// Every id the tracker accepts as an application id (anything but "",
// ".", "..", separators and NUL) is listed, and its page opens, from the
// links the pages give.
func TestUnusualIDs(t *testing.T) {
	dir := t.TempDir()
	ids := []string{"chat (1)", "run#1", "o'brien", "50%", ".hidden", "a..b", "what?x=1", "ü & <b>", "%2e%2e"}
	for _, project := range []string{"proj", "my proj (2)"} {
		for _, id := range ids {
			fixture.WriteRun(t, dir, project, id, fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
		}
	}
	srv := httptest.NewServer(newTestServer(t, dir))
	defer srv.Close()
	fetch := func(href string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + href)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	hrefs := func(body, prefix string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`href="(`+regexp.QuoteMeta(prefix)+`[^"]*)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, html.UnescapeString(m[1]))
		}
		return out
	}
	code, body := fetch("/")
	projects := hrefs(body, "/projects/")
	if code != 200 || len(projects) != 2 {
		t.Fatalf("/ = %d, projects %q", code, projects)
	}
	for _, p := range projects {
		code, body := fetch(p)
		apps := hrefs(body, p+"/apps/")
		if code != 200 || len(apps) != len(ids) {
			t.Fatalf("%s = %d, apps %q", p, code, apps)
		}
		for _, a := range apps {
			code, page := fetch(a)
			if code != 200 || !strings.Contains(page, `id="step-0"`) {
				t.Errorf("%s = %d", a, code)
				continue
			}
			title := regexp.MustCompile(`<h1>(.*) <span id="live"`).FindStringSubmatch(page)
			if title == nil || !contains(ids, html.UnescapeString(title[1])) {
				t.Errorf("%s shows %q", a, title)
			}
			events := regexp.MustCompile(`data-events="([^"]*)"`).FindStringSubmatch(page)
			if events == nil {
				t.Fatalf("%s: no events URL", a)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+html.UnescapeString(events[1]), nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 {
				t.Errorf("%s: events = %d", a, resp.StatusCode)
			}
			resp.Body.Close()
			cancel()
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// openEvents opens the event stream of proj/live at a query.
func openEvents(t *testing.T, ctx context.Context, srv *httptest.Server, query string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/projects/proj/apps/live/events"+query, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("events = %d", resp.StatusCode)
	}
	return resp, bufio.NewReader(resp.Body)
}

// The live view notices a log replaced by another file, even a longer one
// whose lines start at the same offsets, and one rewritten in place: it
// reads it again from the start and tells the page.
func TestEventsLogReplaced(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "proj", "live", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0)
	logPath := filepath.Join(appDir, "log.jsonl")
	s := newTestServer(t, dir)
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, r := openEvents(t, ctx, srv, "?offset="+itoa(int64(len(fixture.Begin0)+1)))
	defer resp.Body.Close()

	// Another run's log, renamed over this one: its first line has the same
	// length (action "counted" for "counter"), so only the file's identity
	// tells.
	other := strings.Replace(fixture.Begin0, `"counter"`, `"counted"`, 1)
	replacement := filepath.Join(appDir, "log.jsonl.new")
	fixture.MustWrite(t, replacement, other+"\n"+fixture.End0+"\n"+fixture.Begin1+"\n")
	time.Sleep(3 * s.poll) // the stream has looked at the old file
	if err := os.Rename(replacement, logPath); err != nil {
		t.Fatal(err)
	}
	_, u := sseEvent(t, r)
	if !u.Reset || u.Lines != 3 || u.Pager == nil {
		t.Fatalf("update after replacing: reset %v, lines %d", u.Reset, u.Lines)
	}
	if m := regexp.MustCompile(`id="step-0"[\s\S]*?<span class="action">(\w+)</span>`).FindStringSubmatch(u.Steps); m == nil || m[1] != "counted" {
		t.Errorf("step 0 after replacing: %q", m)
	}

	// Rewritten in place, longer, with the old offset inside a line (one
	// write over the old bytes, so that the stream never sees the file
	// empty).
	f, err := os.OpenFile(logPath, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(fixture.Begin2+"\n"+fixture.End2+"\n"+fixture.Begin0+"\n"+fixture.End0+"\n"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, u = sseEvent(t, r)
	// The status is the current step's: that of the last begin_entry (step 0).
	if !u.Reset || u.Lines != 4 || !strings.Contains(u.Steps, `id="step-2"`) || u.Status != store.StatusCompleted || u.Problems == nil || strings.Contains(*u.Problems, "invalid") {
		t.Errorf("update after rewriting: reset %v, status %s, lines %d, problems %v", u.Reset, u.Status, u.Lines, u.Problems)
	}

	// Appending goes on as usual.
	fixture.AppendLines(t, logPath, fixture.Begin1)
	_, u = sseEvent(t, r)
	if u.Reset || u.Lines != 1 || !strings.Contains(u.Steps, `id="step-1"`) {
		t.Errorf("update after appending: reset %v, lines %d", u.Reset, u.Lines)
	}
}

// graph.json and metadata.json written after the page loaded (the tracker
// creates log.jsonl first) reach the page.
func TestEventsLateGraphAndMetadata(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "proj", "live", "", "", fixture.Begin0)
	s := newTestServer(t, dir)
	srv := httptest.NewServer(s)
	defer srv.Close()

	_, page := get(t, s, "/projects/proj/apps/live")
	events := regexp.MustCompile(`data-events="/projects/proj/apps/live/events([^"]*)"`).FindStringSubmatch(page)
	if events == nil || !strings.Contains(page, "No graph.json") {
		t.Fatalf("page before: %v", events)
	}
	query := html.UnescapeString(events[1])

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, r := openEvents(t, ctx, srv, query)
	time.Sleep(3 * s.poll)
	fixture.MustWrite(t, filepath.Join(appDir, "graph.json"), fixture.CounterGraph)
	fixture.MustWrite(t, filepath.Join(appDir, "metadata.json"), fixture.MetaPK)
	// No new log line: the files alone make updates (one, or one per
	// file when the stream looks between the two writes).
	var u liveUpdate
	for i := 0; i < 2 && !strings.Contains(u.Summary, "user_7"); i++ {
		_, u = sseEvent(t, r)
		if u.Lines != 0 {
			t.Errorf("update with %d lines", u.Lines)
		}
	}
	if u.Graph == nil || !strings.Contains(*u.Graph, `<svg class="graph"`) || !strings.Contains(u.Summary, "user_7") {
		t.Errorf("update: graph %v\nsummary %s", u.Graph, u.Summary)
	}
	resp.Body.Close()

	// A page rendered before the files appeared, whose stream starts
	// after: the stream begins with them.
	resp, r = openEvents(t, ctx, srv, query)
	defer resp.Body.Close()
	if _, u := sseEvent(t, r); u.Graph == nil || !strings.Contains(*u.Graph, `<svg class="graph"`) || !strings.Contains(u.Summary, "user_7") {
		t.Errorf("first update: graph %v\nsummary %s", u.Graph, u.Summary)
	}
}

// The project list and the application page count steps alike: here a
// fork, whose sequence ids start at 5.
func TestStepCountsOnPages(t *testing.T) {
	dir := t.TempDir()
	step := func(seq int) []string {
		return []string{
			strings.Replace(fixture.Begin1, `"sequence_id":1`, fmt.Sprintf(`"sequence_id":%d`, seq), 1),
			strings.Replace(fixture.End1, `"sequence_id":1`, fmt.Sprintf(`"sequence_id":%d`, seq), 1),
		}
	}
	fixture.WriteRun(t, dir, "proj", "fork", fixture.CounterGraph, fixture.MetaPK, append(append(step(5), step(6)...), step(7)...)...)
	s := newTestServer(t, dir)
	_, list := get(t, s, "/projects/proj")
	mustContain(t, list, `<td class="num">3</td>`)
	_, page := get(t, s, "/projects/proj/apps/fork")
	mustContain(t, page, `<dd id="num-steps">3</dd>`)
}

// Stream lines that are missing or nonsense show "–", not a made-up number.
func TestStreamNonsense(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "proj", "odd", "", "",
		fixture.StreamedRun[0],
		// no begin_stream
		fixture.StreamedRun[2],
		strings.Replace(fixture.StreamedRun[7], `"items_streamed":40`, `"items_streamed":-3`, 1),
	)
	s := newTestServer(t, dir)
	code, body := get(t, s, "/projects/proj/apps/odd")
	if code != 200 {
		t.Fatal(code)
	}
	mustContain(t, body, `<span class="stream">– items · first –</span>`, `<dd class="stream-items">–</dd>`,
		`<dd class="stream-ttfi">–</dd>`, `<dd class="stream-rate">–</dd>`)
	if strings.Contains(body, "-3") || strings.Contains(body, "h0m") {
		t.Error("the page shows a negative count or a huge time")
	}
}

// A deeply nested value does not blow the page up: it is shown as written,
// with a note, and a huge one is cut.
func TestDeepValues(t *testing.T) {
	dir := t.TempDir()
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	huge := `"` + strings.Repeat("x", 3<<20) + `"`
	attr := func(key, value string) string {
		return `{"type":"attribute","key":"` + key + `","action_sequence_id":0,"span_id":null,"value":` + value + `,"tags":{},"time_logged":"2025-01-01T20:00:00.000160Z"}`
	}
	fixture.WriteRun(t, dir, "proj", "deep", "", "", fixture.Begin0, attr("deep", deep), attr("huge", huge), attr("fine", `{"a":[1,{"b":2}]}`), fixture.End0)
	s := newTestServer(t, dir)
	code, body := get(t, s, "/projects/proj/apps/deep")
	if code != 200 {
		t.Fatal(code)
	}
	if len(body) > 2<<20 {
		t.Errorf("page of %d bytes", len(body))
	}
	mustContain(t, body, deep[:100], "(shown unformatted: nested 5000 levels deep)", "more bytes)",
		"{\n  &#34;a&#34;: [\n    1,\n    {\n      &#34;b&#34;: 2\n    }\n  ]\n}")
}
