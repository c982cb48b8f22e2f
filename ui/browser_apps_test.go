package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/ui/internal/fixture"

	"github.com/chromedp/chromedp"
)

// appsFixture writes a project of 60 runs, every seventh failed, each with
// a question as its first input; run-000 is the newest.
func appsFixture(t *testing.T) string {
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	for i := range 60 {
		id := fmt.Sprintf("run-%03d", i)
		begin := fmt.Sprintf(`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"ask","inputs":{"prompt":"question number %d"},"sequence_id":0}`, i)
		end := `{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"ask","result":{},"exception":null,"state":{},"sequence_id":0}`
		if i%7 == 0 {
			end = strings.Replace(end, `"exception":null`, `"exception":"boom"`, 1)
		}
		appDir := fixture.WriteRun(t, dir, "p", id, "", fmt.Sprintf(`{"type": "application_metadata", "partition_key": "user-%d", "parent_pointer": null, "spawning_parent_pointer": null}`, i%3), begin, end)
		d := base.Add(-time.Duration(i) * time.Second)
		if err := os.Chtimes(filepath.Join(appDir, "log.jsonl"), d, d); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(appDir, d, d); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAppsPageQuery(t *testing.T) {
	s := newTestServer(t, appsFixture(t))
	_, page := get(t, s, "/projects/p")
	mustContain(t, page, `60 applications · page 1 of 2`, `<td class="preview">prompt: question number 0</td>`, `href="?page=2" rel="next"`,
		`<a href="?sort=id">Application</a>`, `<a href="?asc=1">Last update ▼</a>`)
	if strings.Index(page, "run-000") > strings.Index(page, "run-001") {
		t.Error("not newest first")
	}
	_, page = get(t, s, "/projects/p?status=failed&pk=user-0")
	mustContain(t, page, `3 of 60 applications`, "run-000", "run-021", "run-042")
	if strings.Contains(page, "run-007") {
		t.Error("run-007 (user-1) is listed under pk user-0")
	}
	_, page = get(t, s, "/projects/p?q=NUMBER+59")
	mustContain(t, page, `1 of 60 applications`, "run-059")
	_, page = get(t, s, "/projects/p?q=nothing-like-it")
	mustContain(t, page, "No application matches.")
}

// afterNavigation waits for cond on the page a click led to: a poll cut by
// the navigation is tried again.
func afterNavigation(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	var err error
	for range 20 {
		if err = chromedp.Do(ctx, pollJS(cond)); err == nil {
			return
		}
		if !strings.Contains(err.Error(), "navigated or closed") && !strings.Contains(err.Error(), "Cannot find context") {
			break
		}
	}
	t.Fatalf("waiting for %s: %v", cond, err)
}

func TestBrowserAppsFilterAndSort(t *testing.T) {
	url := serve(t, appsFixture(t))
	ctx := browser(t)
	first := `document.querySelector("#apps tbody tr td a").textContent`
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/p"),
		chromedp.WaitVisible(chromedp.CSS("#apps")),
		pollJS(first+` === "run-000"`),
		chromedp.SetValue(chromedp.CSS(`#filters select[name="status"]`), "failed"),
		chromedp.Click(chromedp.CSS("#filters button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	afterNavigation(t, ctx, `document.getElementById("apps-count").textContent.indexOf("9 of 60") >= 0`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#apps thead a[href="?sort=id&status=failed"]`))); err != nil {
		t.Fatal(err)
	}
	afterNavigation(t, ctx, first+` === "run-056"`)
	screenshot(t, ctx, "apps-filtered")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#apps tbody")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "completed") || !strings.Contains(text, "prompt: question number 49") {
		t.Errorf("rows: %s", text)
	}
}
