package ui

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/internal/testenv"
	"github.com/burrgo/burr/ui/internal/fixture"

	"github.com/chromedp/chromedp"
)

// Browser tests drive the UI in a real headless Chromium. Without one
// they skip locally and fail in CI (CI=true).

func chromiumPath() string {
	if p := os.Getenv("BURR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts Chromium for one test, bounded by a 60s timeout.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		msg := "Chromium not found: install it (apt-get install chromium) or set BURR_CHROMIUM to run the browser tests"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		bcancel()
		allocCancel() // waits for the browser process to exit
		cancel()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return bctx
}

// screenshot saves the page as a PNG in $BURR_ARTIFACTS (or a temporary
// directory).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("BURR_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A screenshot is an artifact, not a check: headless Chromium on a busy
	// machine now and then reports a page of zero width for a moment, so a
	// failed one is tried again and then only logged.
	var png []byte
	var err error
	for range 3 {
		if png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil { // 100: PNG
			break
		}
	}
	if err != nil {
		t.Logf("no screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func serve(t *testing.T, dir string) string {
	t.Helper()
	s := newTestServer(t, dir)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close) // registered before the browser, so it runs after the browser is gone
	return srv.URL
}

func TestBrowserDemoData(t *testing.T) {
	dir := testenv.DemoData(t)
	url := serve(t, dir)
	ctx := browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(css("#projects")),
	)
	if err != nil {
		t.Fatal(err)
	}
	projects, err := chromedp.Run(ctx, chromedp.Text(css("#projects")))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"demo_counter", "demo_chatbot_with_traces", "demo_conversational-rag"} {
		if !strings.Contains(projects, p) {
			t.Errorf("projects page lacks %s: %q", p, projects)
		}
	}
	screenshot(t, ctx, "projects")
	err = chromedp.Do(ctx,
		chromedp.Click(css(`a[href="/projects/demo_chatbot_with_traces"]`)),
		chromedp.WaitVisible(css("#apps")),
	)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := chromedp.Run(ctx, chromedp.Text(css("#apps")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(apps, "chat-1-giraffe") || !strings.Contains(apps, "failed") {
		t.Errorf("apps page: %q", apps)
	}
	screenshot(t, ctx, "apps")
	err = chromedp.Do(ctx,
		chromedp.Click(css(`a[href="/projects/demo_chatbot_with_traces/apps/chat-1-giraffe"]`)),
		chromedp.WaitVisible(css("#steps details.step")),
		chromedp.Click(css("#step-23 > summary")),
		chromedp.WaitVisible(css("#step-23 .waterfall")),
		chromedp.WaitVisible(css("svg.graph .node.active")),
	)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#steps details.step").length`))
	if err != nil {
		t.Fatal(err)
	}
	spans, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#step-23 .span-row").length`))
	if err != nil {
		t.Fatal(err)
	}
	if steps != 25 || spans == 0 {
		t.Errorf("%d steps, %d spans in step 23", steps, spans)
	}
	screenshot(t, ctx, "app")
}

func TestBrowserStreamedStep(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "streams", "chat-1", `{"type": "application", "entrypoint": "chat", "actions": [{"type": "action", "name": "chat", "reads": [], "writes": ["response"], "code": "", "inputs": [], "optional_inputs": ["prompt"]}], "transitions": [{"type": "transition", "from_": "chat", "to": "chat", "condition": "default"}]}`,
		fixture.MetaPK, fixture.StreamedRun...)
	url := serve(t, dir)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/streams/apps/chat-1"),
		chromedp.WaitVisible(chromedp.CSS("#step-0")),
		chromedp.Click(chromedp.CSS("#step-0 > summary")),
		chromedp.WaitVisible(chromedp.CSS("#step-0 .stream-metrics")),
	)
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	row, items, ttfi, rate := text("#step-0 > summary .stream"), text("#step-0 .stream-items"), text("#step-0 .stream-ttfi"), text("#step-0 .stream-rate")
	if !strings.Contains(row, "40 items") || items != "40" || ttfi != "5.0ms" || rate != "200.0" {
		t.Errorf("stream metrics: row %q, items %q, ttfi %q, rate %q", row, items, ttfi, rate)
	}
	screenshot(t, ctx, "stream")
}

func TestBrowserLiveUpdate(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "live", "run-1", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0)
	url := serve(t, dir)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/live/apps/run-1"),
		chromedp.WaitVisible(chromedp.CSS("#step-0")),
		chromedp.Click(chromedp.CSS("#step-0 > summary")), // opened by the reader; must stay open
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.getElementById("live").textContent === "live"`,
				chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
			return err
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#app-status")))
	if err != nil {
		t.Fatal(err)
	}
	if status != "running" {
		t.Errorf("status before = %q", status)
	}
	screenshot(t, ctx, "live-before")

	fixture.AppendLines(t, filepath.Join(appDir, "log.jsonl"), fixture.End0, fixture.Begin1)
	time.Sleep(300 * time.Millisecond)
	fixture.AppendLines(t, filepath.Join(appDir, "log.jsonl"), fixture.End1)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#step-1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#app-status").textContent.trim() === "completed"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("status never became completed: %v", err)
	}
	live, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#live")))
	if err != nil {
		t.Fatal(err)
	}
	open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("step-0").open`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(live, "live · ") || !strings.HasSuffix(live, "3 new lines") {
		t.Errorf("live indicator = %q", live)
	}
	if !open {
		t.Error("the open step was closed by the update")
	}
	screenshot(t, ctx, "live-after")
}

// The page picks up graph.json written after it loaded, and a log replaced
// by another run's.
func TestBrowserLateGraphAndReplacedLog(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "live", "run-1", "", "", fixture.Begin0, fixture.End0)
	url := serve(t, dir)
	ctx := browser(t)
	poll := func(cond string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
			return err
		})
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/live/apps/run-1"),
		chromedp.WaitVisible(chromedp.CSS("#step-0")),
		poll(`document.getElementById("live").textContent === "live"`),
	)
	if err != nil {
		t.Fatal(err)
	}
	fixture.MustWrite(t, filepath.Join(appDir, "graph.json"), fixture.CounterGraph)
	fixture.MustWrite(t, filepath.Join(appDir, "metadata.json"), fixture.MetaPK)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#graph svg.graph"))); err != nil {
		t.Fatalf("the graph never appeared: %v", err)
	}

	other := filepath.Join(appDir, "other.jsonl")
	fixture.MustWrite(t, other, fixture.Begin2+"\n"+fixture.End2+"\n")
	if err := os.Rename(other, filepath.Join(appDir, "log.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#step-2")),
		poll(`document.getElementById("step-0") === null`),
	); err != nil {
		t.Fatalf("the replaced log was not shown: %v", err)
	}
	live, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#live")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(live, "reloaded") {
		t.Errorf("live indicator = %q", live)
	}
	screenshot(t, ctx, "live-replaced")
}

// A parallel step shows its children, with their outcomes and durations,
// and links to their pages; a child's page links back to its parent.
func TestBrowserParallelStep(t *testing.T) {
	dir := t.TempDir()
	fo := fixture.WriteFanOut(t, dir)
	url := serve(t, dir)
	ctx := browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/"+fo.Project+"/apps/"+fo.ParentID),
		chromedp.WaitVisible(css("#step-0")),
		chromedp.Click(css("#step-0 > summary")),
		chromedp.WaitVisible(css("#step-0 table.children")),
	)
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	if got := text("#step-0 > summary .child-count"); !strings.Contains(got, "4 children") {
		t.Errorf("step row: %q, want 4 children", got)
	}
	if got := text("#step-0 .child-outcomes"); got != "1 succeeded · 1 failed · 2 stopped" {
		t.Errorf("outcomes: %q", got)
	}
	want := []string{"succeeded", "stopped", "failed", "stopped"}
	for i, id := range fo.Children {
		row := `#step-0 tr.child[data-app="` + id + `"]`
		if got := text(row + " .child-outcome"); got != want[i] {
			t.Errorf("child %d: %q, want %s", i, got, want[i])
		}
		if got := text(row + " .child-dur"); got == "…" || got == "" {
			t.Errorf("child %d: duration %q", i, got)
		}
	}
	screenshot(t, ctx, "parallel-step")

	// Parent → child, then child → parent.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#step-0 tr.child[data-app="`+fo.Children[2]+`"] a`)),
		chromedp.WaitVisible(css("#summary .link.spawner a")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text("h1"); !strings.Contains(got, fo.Children[2]) {
		t.Errorf("child page heading %q", got)
	}
	if got := text("#summary .link.spawner"); !strings.Contains(got, "Spawned by "+fo.ParentID+" at step 0") {
		t.Errorf("child page: %q", got)
	}
	screenshot(t, ctx, "parallel-child")
	err = chromedp.Do(ctx,
		chromedp.Click(css("#summary .link.spawner a")),
		chromedp.WaitVisible(css("#step-0")),
	)
	if err != nil {
		t.Fatal(err)
	}
	links := text("#summary .link.children")
	for _, id := range fo.Children {
		if !strings.Contains(links, id) {
			t.Errorf("the parent's children links lack %s: %q", id, links)
		}
	}
}
