package ui

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/burrgo/burr/ui/internal/fixture"

	"github.com/chromedp/chromedp"
)

// The application page shows the tokens and cost of each step and of the
// run, and the run's figures follow its log live.
func TestBrowserUsage(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "proj", "llm", fixture.CounterGraph, fixture.MetaPK,
		fixture.Begin0,
		usageAttr("0", "gen_ai.request.model", `"gpt-4o"`),
		usageAttr("0", "gen_ai.usage.prompt_tokens", "1000"),
		usageAttr("0", "gen_ai.usage.completion_tokens", "500"),
		fixture.End0)
	s := NewServer(dir, WithPrices(map[string]Price{"gpt-4o": {Input: 2.5, Output: 10}}))
	s.poll = 20 * time.Millisecond
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/projects/proj/apps/llm"),
		chromedp.WaitVisible(chromedp.CSS("#step-0 > summary .tokens .step-cost")),
		pollJS(`document.getElementById("live").textContent === "live"`),
	)
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	if got, want := text("#step-0 > summary .tokens"), "1000 / 500 · $0.007500"; got != want {
		t.Errorf("step 0 tokens %q, want %q", got, want)
	}
	if got, want := text("#app-cost"), "$0.007500"; got != want {
		t.Errorf("app cost %q, want %q", got, want)
	}
	// A new step of the same model: the run's sums follow.
	fixture.AppendLines(t, filepath.Join(dir, "proj", "llm", "log.jsonl"),
		fixture.Begin1,
		usageAttr("1", "gen_ai.response.model", `"gpt-4o"`),
		usageAttr("1", "gen_ai.usage.prompt_tokens", "200"),
		usageAttr("1", "gen_ai.usage.completion_tokens", "100"),
		fixture.End1)
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#step-1 > summary .tokens .step-cost")),
		pollJS(`document.querySelector("#app-tokens").textContent === "1200 / 600"`),
	)
	if err != nil {
		t.Fatalf("live update: %v (tokens shown %q)", err, text("#app-tokens"))
	}
	// 1200 × $2.5/M + 600 × $10/M
	if got, want := text("#app-cost"), "$0.009000"; got != want {
		t.Errorf("app cost after the new step %q, want %q", got, want)
	}
	screenshot(t, ctx, "usage-and-cost")
}
