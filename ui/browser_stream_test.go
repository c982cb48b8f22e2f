package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"

	"github.com/chromedp/chromedp"
)

func itemLine(i int, item string) string {
	return fmt.Sprintf(`{"type":"stream_item","action_sequence_id":0,"index":%d,"time":"2025-01-01T20:00:00.%06dZ","item":%q}`, i, 5000+i*10000, item)
}

// The page of a running streamed step shows the recorded items arriving
// (text as growing text), the count and the rate, and how the stream
// ended; a stopped answer is marked in the step list.
func TestBrowserStreamArriving(t *testing.T) {
	dir := t.TempDir()
	run := fixture.StreamedRun
	appDir := fixture.WriteRun(t, dir, "streams", "chat-1", "", fixture.MetaPK, run[0], run[1], run[2])
	items := filepath.Join(appDir, "stream_items.jsonl")
	fixture.MustWrite(t, items, itemLine(0, "Once")+"\n"+itemLine(1, " upon")+"\n")
	url := serve(t, dir)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/streams/apps/chat-1"),
		chromedp.WaitVisible(chromedp.CSS("#step-0")),
		chromedp.Click(chromedp.CSS("#step-0 > summary")),
		chromedp.WaitVisible(chromedp.CSS("#step-0 pre.stream-text")),
		pollJS(`document.getElementById("live").textContent === "live"`),
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
	if got := text("#step-0 pre.stream-text"); !strings.HasPrefix(got, "Once upon") {
		t.Errorf("text before: %q", got)
	}
	if got := text("#step-0 > summary .stream"); !strings.HasPrefix(got, "2 items") {
		t.Errorf("row before: %q", got)
	}
	fixture.AppendLines(t, items, itemLine(2, " a"), itemLine(3, " time"))
	err = chromedp.Do(ctx,
		pollJS(`document.querySelector("#step-0 pre.stream-text").textContent.indexOf("Once upon a time") === 0`),
		pollJS(`document.querySelector("#step-0 > summary .stream").textContent.indexOf("4 items") === 0`),
		pollJS(`document.getElementById("step-0").open`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text("#step-0 .stream-state"); !strings.Contains(got, "streaming") || !strings.Contains(got, "4 items so far") || !strings.Contains(got, "items/s") {
		t.Errorf("state while streaming: %q", got)
	}
	screenshot(t, ctx, "stream-arriving")
	// The reader stopped the answer: the step kept what it had.
	fixture.AppendLines(t, items, `{"type":"stream_end","action_sequence_id":0,"items":4,"outcome":"stopped","error":null,"time":"2025-01-01T20:00:00.100000Z"}`)
	fixture.AppendLines(t, filepath.Join(appDir, "log.jsonl"), run[6], strings.Replace(run[7], `"items_streamed":40`, `"items_streamed":4`, 1))
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#step-0 > summary .stream-outcome.stopped")),
		pollJS(`document.querySelector("#step-0 .stream-state").textContent.indexOf("the step kept these 4 items") >= 0`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text("#step-0 pre.stream-text"); got != "Once upon a time" {
		t.Errorf("text after: %q", got)
	}
	screenshot(t, ctx, "stream-stopped")
}
