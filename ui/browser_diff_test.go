package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr/burrtest"
	"github.com/burrgo/burr/ui/internal/fixture"

	"github.com/chromedp/chromedp"
)

// chatLines is a conversation of two steps: the second appends the
// assistant's answer to the history, changes a nested field and a count.
func chatLines() []string {
	end := func(seq int, state string) string {
		return fmt.Sprintf(`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"chat","result":{},"exception":null,"state":%s,"sequence_id":%d}`, state, seq)
	}
	begin := func(seq int) string {
		return fmt.Sprintf(`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"chat","inputs":{},"sequence_id":%d}`, seq)
	}
	return []string{
		begin(0), end(0, `{"chat_history":[{"role":"user","content":"hi"}],"profile":{"name":"ada","mood":"curious"},"count":1}`),
		begin(1), end(1, `{"chat_history":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello there"}],"profile":{"name":"ada","mood":"pleased"},"count":2,"topic":"greetings"}`),
	}
}

// The server renders the differences of a step by path.
func TestStepDiffRendered(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "chat", "", "", chatLines()...)
	s := newTestServer(t, dir)
	_, page := get(t, s, "/projects/p/apps/chat?step=1")
	mustContain(t, page, `1 new item:`, `{&#34;role&#34;:&#34;assistant&#34;,&#34;content&#34;:&#34;hello there&#34;}`,
		`<code class="path">.mood</code>`, `<code class="was">&#34;curious&#34;</code> → <code class="now">&#34;pleased&#34;</code>`,
		`<p class="diff scalar"><code class="was">1</code> → <code class="now">2</code></p>`,
		`<summary>whole value before and after</summary>`)
}

func TestBrowserStepDiff(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "chat", "", "", chatLines()...)
	url := serve(t, dir)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/p/apps/chat"),
		chromedp.WaitVisible(chromedp.CSS("#step-1")),
		chromedp.Click(chromedp.CSS("#step-1 > summary")),
		chromedp.WaitVisible(chromedp.CSS("#step-1 ul.diff")),
	)
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#step-1 table.changes")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 new item", `"hello there"`, `"curious" → "pleased"`, "1 → 2", "topic", "added"} {
		if !strings.Contains(text, want) {
			t.Errorf("changes lack %q:\n%s", want, text)
		}
	}
	// The whole values are one click away.
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#step-1 details.full pre").checkVisibility()`))
	if err != nil || visible {
		t.Fatalf("whole value shown before the click: %v, %v", visible, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#step-1 details.full > summary")),
		chromedp.WaitVisible(chromedp.CSS("#step-1 details.full pre.old")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "step-diff")
}

// Every ended step shows the command that writes it as a test case; the
// command names the step the page shows.
func TestBrowserReplayAsTest(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "chat", "", "", chatLines()...)
	url := serve(t, dir)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/p/apps/chat"),
		chromedp.WaitVisible(chromedp.CSS("#step-1")),
		chromedp.Click(chromedp.CSS("#step-1 > summary")),
		chromedp.Click(chromedp.CSS("#step-1 details.test-case > summary")),
		chromedp.WaitVisible(chromedp.CSS("#step-1 details.test-case pre.cmd")),
	)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#step-1 details.test-case pre.cmd")))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Fields(cmd)
	flag := func(name string) string {
		for i, a := range args {
			if a == name && i+1 < len(args) {
				return strings.Trim(args[i+1], "'")
			}
		}
		return ""
	}
	if args[0] != "burr" || args[1] != "test-case" || flag("--dir") != dir || flag("--project") != "p" || flag("--app") != "chat" || flag("--sequence") != "1" {
		t.Fatalf("command %q", cmd)
	}
	c, err := burrtest.FromLog(filepath.Join(flag("--dir"), flag("--project"), flag("--app"), "log.jsonl"), 1)
	if err != nil || c.Action != "chat" || !strings.Contains(string(c.ExpectedState), "hello there") {
		t.Errorf("the command's step: %+v, %v", c, err)
	}
	screenshot(t, ctx, "replay-as-test")
}
