package ui

import (
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Times are shown in the viewer's time zone: here UTC+05:30, whatever the
// server's zone. The begin_entry time is the tracker's local time; the
// server reads it as its own local time.
func TestBrowserViewerTimeZone(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "a", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	url := serve(t, dir)
	ctx := browser(t)
	var datetime, shown string
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/p/apps/a"),
		chromedp.WaitVisible(chromedp.CSS("#step-0 time")),
	)
	if err != nil {
		t.Fatal(err)
	}
	datetime, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#step-0 time").getAttribute("datetime")`))
	if err != nil {
		t.Fatal(err)
	}
	shown, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#step-0 time")))
	if err != nil {
		t.Fatal(err)
	}
	when, err := parseUTC(datetime)
	if err != nil {
		t.Fatal(err)
	}
	if want := when.In(kolkata(t)).Format("2006-01-02 15:04:05.000"); shown != want {
		t.Errorf("step time shown %q, want %q (datetime %s)", shown, want, datetime)
	}
	// The error page is a page of the site, with a way back.
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/p/apps/missing"),
		chromedp.WaitVisible(chromedp.CSS("#error .back a")),
		chromedp.Click(chromedp.CSS(`#error .back a[href="/projects/p"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	afterNavigation(t, ctx, `document.querySelector("#apps") !== null`)
	screenshot(t, ctx, "back-from-404")
}
