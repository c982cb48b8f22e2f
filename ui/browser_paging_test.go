package ui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/burrgo/burr/ui/internal/fixture"

	"github.com/chromedp/chromedp"
)

// pollJS waits until a JavaScript condition holds on the page.
func pollJS(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
		return err
	})
}

// The steps of a long run come a page at a time; the newest page takes the
// new steps live and keeps one page.
func TestBrowserPagingAndLiveMerge(t *testing.T) {
	dir := t.TempDir()
	lines := countLines(stepsPerPage+6, 10)
	appDir := fixture.WriteRun(t, dir, "p", "long", fixture.CounterGraph, fixture.MetaPK, lines[:2*(stepsPerPage+5)]...)
	url := serve(t, dir)
	ctx := browser(t)
	count := `document.querySelectorAll("#steps .steps > .step").length`
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/p/apps/long"),
		chromedp.WaitVisible(chromedp.CSS("#step-29")),
		chromedp.Click(chromedp.CSS(`#pager a[rel="next"]`)),
		chromedp.WaitVisible(chromedp.CSS("#step-4")),
		pollJS(count+` === 5 && document.getElementById("step-5") === null`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "paging-older")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#pager a[rel="prev"]`)),
		chromedp.WaitVisible(chromedp.CSS("#step-29")),
		chromedp.Click(chromedp.CSS("#step-29 > summary")),
		pollJS(`document.getElementById("live").textContent === "live"`),
	)
	if err != nil {
		t.Fatal(err)
	}
	fixture.AppendLines(t, filepath.Join(appDir, "log.jsonl"), lines[2*(stepsPerPage+5):]...)
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#step-30")),
		// The new step comes first; the oldest of the page goes.
		pollJS(`document.querySelector("#steps .steps > .step").id === "step-30" && `+count+` === 25 && document.getElementById("step-5") === null`),
		pollJS(`document.getElementById("step-29").open && document.querySelector("#num-steps").textContent === "31"`),
		pollJS(`document.querySelector("#pager .page-of").textContent.indexOf("31 steps") >= 0`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "paging-live")
}
