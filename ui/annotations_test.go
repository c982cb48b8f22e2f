package ui

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
	"github.com/burrgo/burr/ui/internal/store"

	"github.com/chromedp/chromedp"
)

func postForm(t *testing.T, h http.Handler, target string, form url.Values, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Host = "localhost:7241"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Annotations are taken from the UI's own pages only, stored as Burr's
// tracking server stores them, listed per project and exported.
func TestAnnotations(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "a", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0, fixture.Begin1, fixture.End1)
	s := newTestServer(t, dir)
	form := url.Values{"seq": {"1"}, "step": {"counter"}, "verdict": {"bad"}, "note": {"  off by one "}, "tags": {"math, regression,,"}}
	// Another site's page posting through the visitor's browser.
	if rec := postForm(t, s, "/projects/p/apps/a/annotations", form, map[string]string{"Origin": "http://evil.example"}); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site post = %d", rec.Code)
	}
	if rec := postForm(t, s, "/projects/p/apps/a/annotations", form, map[string]string{"Origin": "null"}); rec.Code != http.StatusForbidden {
		t.Errorf("post with an opaque origin = %d", rec.Code)
	}
	if rec := postForm(t, s, "/projects/p/apps/a/annotations", form, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost:7241"}); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site post (fetch metadata) = %d", rec.Code)
	}
	if _, err := os.Stat(filepath.Join(dir, "p", store.AnnotationsFile)); err == nil {
		t.Fatal("a refused post was written")
	}
	rec := postForm(t, s, "/projects/p/apps/a/annotations", form, map[string]string{"Origin": "http://localhost:7241"})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/projects/p/apps/a?step=1#step-1" {
		t.Fatalf("post = %d %s", rec.Code, rec.Header().Get("Location"))
	}
	form.Set("verdict", "good")
	form.Set("seq", "0")
	form.Set("note", "")
	form.Set("tags", "")
	if rec := postForm(t, s, "/projects/p/apps/a/annotations", form, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("second post = %d", rec.Code)
	}
	for _, bad := range []url.Values{{"seq": {"x"}, "verdict": {"good"}}, {"seq": {"1"}, "verdict": {"meh"}}} {
		if rec := postForm(t, s, "/projects/p/apps/a/annotations", bad, nil); rec.Code != http.StatusBadRequest {
			t.Errorf("%v = %d", bad, rec.Code)
		}
	}
	if rec := postForm(t, s, "/projects/p/apps/nope/annotations", form, nil); rec.Code != http.StatusNotFound {
		t.Errorf("annotating a missing app = %d", rec.Code)
	}
	data, err := os.ReadFile(filepath.Join(dir, "p", store.AnnotationsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := `{"span_id":null,"step_name":"counter","tags":["math","regression"],"observations":[{"data_fields":{"note":"off by one"},"thumbs_up_thumbs_down":false,"data_pointers":[]}],"id":0,"project_id":"p","app_id":"a","partition_key":"user_7","step_sequence_id":1,"created":"`
	if len(lines) != 2 || !strings.HasPrefix(lines[0], want) || !strings.Contains(lines[1], `"id":1,`) || !strings.Contains(lines[1], `"tags":[]`) {
		t.Fatalf("annotations.jsonl:\n%s", data)
	}
	_, page := get(t, s, "/projects/p/apps/a?step=1")
	mustContain(t, page, `<span class="badge bad">bad</span> <span class="tag">math</span> <span class="tag">regression</span> <span class="note">off by one</span>`)
	_, page = get(t, s, "/projects/p/annotations")
	mustContain(t, page, `href="/projects/p/apps/a?step=1">a</a>`, "off by one", `href="/projects/p/annotations/export?format=csv"`)
	if strings.Index(page, "step=0") > strings.Index(page, "step=1") {
		t.Error("annotations not newest first")
	}
	_, body := get(t, s, "/projects/p/annotations/export?format=json")
	var anns []store.Annotation
	if err := json.Unmarshal([]byte(body), &anns); err != nil || len(anns) != 2 || anns[0].Verdict() != "bad" || anns[1].Verdict() != "good" {
		t.Errorf("JSON export: %v, %+v", err, anns)
	}
	_, body = get(t, s, "/projects/p/annotations/export?format=csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][2] != "a" || rows[1][6] != "bad" || rows[1][7] != "off by one" || rows[1][8] != "math,regression" {
		t.Errorf("CSV export: %v, %q", err, rows)
	}
	if code, _ := get(t, s, "/projects/nope/annotations"); code != http.StatusNotFound {
		t.Errorf("annotations of a missing project = %d", code)
	}
}

func TestBrowserAnnotate(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "a", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	url := serve(t, dir)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/projects/p/apps/a"),
		chromedp.WaitVisible(chromedp.CSS("#step-0")),
		chromedp.Click(chromedp.CSS("#step-0 > summary")),
		chromedp.Click(chromedp.CSS(`#step-0 form.annotate input[value="good"]`)),
		chromedp.SendKeys(chromedp.CSS(`#step-0 form.annotate input[name="note"]`), "counts right"),
		chromedp.SendKeys(chromedp.CSS(`#step-0 form.annotate input[name="tags"]`), "smoke"),
		chromedp.Click(chromedp.CSS("#step-0 form.annotate button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	afterNavigation(t, ctx, `document.querySelector("#step-0 p.annotation.good .note") !== null && document.getElementById("step-0").open`)
	screenshot(t, ctx, "annotated-step")
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/projects/p/annotations"), chromedp.WaitVisible(chromedp.CSS("#annotations"))); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#annotations tbody")))
	if err != nil || !strings.Contains(text, "counts right") || !strings.Contains(text, "smoke") || !strings.Contains(text, "good") {
		t.Errorf("annotations page: %q, %v", text, err)
	}
	screenshot(t, ctx, "annotations")
}
