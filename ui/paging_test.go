package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/ui/internal/fixture"
)

// countLines returns the log lines of n steps of the counter, each with a
// state of about pad bytes whose "count" grows.
func countLines(n, pad int) []string {
	text := strings.Repeat("x", pad)
	var out []string
	for i := range n {
		out = append(out,
			fmt.Sprintf(`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"counter","inputs":{},"sequence_id":%d}`, i),
			fmt.Sprintf(`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"counter","result":{"count":%d},"exception":null,"state":{"count":%d,"text":%q},"sequence_id":%d}`, i+1, i+1, text, i))
	}
	return out
}

func stepIDs(page string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<details class="step [a-z]+" id="step-(\d+)"`).FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// The application page shows one page of steps, newest first, with links
// to the others; ?step=N shows the page of step N with that step open.
func TestAppPaging(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "long", fixture.CounterGraph, fixture.MetaPK, countLines(60, 10)...)
	s := newTestServer(t, dir)
	_, page := get(t, s, "/projects/p/apps/long")
	ids := stepIDs(page)
	if len(ids) != stepsPerPage || ids[0] != "59" || ids[len(ids)-1] != "35" {
		t.Errorf("page 1 shows steps %v", ids)
	}
	mustContain(t, page, `page 1 of 3 · 60 steps`, `href="?page=2" rel="next"`, `href="?page=3" rel="last"`,
		`<dd id="num-steps">60</dd>`, "&page=1&lo=35&hi=59")
	// The oldest step of the page is compared with the step before it,
	// which is not shown.
	if m := regexp.MustCompile(`(?s)id="step-35".*?<table class="kv changes">(.*?)</table>`).FindStringSubmatch(page); m == nil || !strings.Contains(m[1], "<th>count</th>") {
		t.Errorf("step 35 has no change of count: %v", m)
	}
	_, page = get(t, s, "/projects/p/apps/long?page=3")
	if ids := stepIDs(page); len(ids) != 10 || ids[0] != "9" || ids[9] != "0" {
		t.Errorf("page 3 shows steps %v", ids)
	}
	mustContain(t, page, `rel="prev"`, `page 3 of 3`)
	_, page = get(t, s, "/projects/p/apps/long?step=40")
	mustContain(t, page, `page 1 of 3`, `id="step-40" data-seq="40" open>`)
	_, page = get(t, s, "/projects/p/apps/long?step=20")
	mustContain(t, page, `page 2 of 3`, `id="step-20" data-seq="20" open>`)
	// Pages past the last, and nonsense, show the last and the first.
	_, page = get(t, s, "/projects/p/apps/long?page=99")
	mustContain(t, page, `page 3 of 3`)
	_, page = get(t, s, "/projects/p/apps/long?page=x")
	mustContain(t, page, `page 1 of 3`)
}

// The page of a long log is read in memory bounded by the page, not by the
// log.
func TestAppPageBoundedMemory(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "p", "long", fixture.CounterGraph, fixture.MetaPK)
	f, err := os.Create(filepath.Join(appDir, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range countLines(4000, 8<<10) {
		fmt.Fprintln(f, l)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, dir)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, page := get(t, s, "/projects/p/apps/long")
	runtime.ReadMemStats(&after)
	if code != 200 || len(stepIDs(page)) != stepsPerPage {
		t.Fatalf("page = %d, %d steps", code, len(stepIDs(page)))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("the page of a 32 MB log allocated %d MB", n>>20)
	}
}

// A node of the graph names its action as text, not as a URL.
func TestGraphNodeAttribute(t *testing.T) {
	dir := t.TempDir()
	graph := strings.ReplaceAll(fixture.CounterGraph, `"counter"`, `"count up"`)
	fixture.WriteRun(t, dir, "p", "a", graph, fixture.MetaPK)
	s := newTestServer(t, dir)
	_, page := get(t, s, "/projects/p/apps/a")
	mustContain(t, page, `data-node="count up"`)
	if strings.Contains(page, "count%20up") {
		t.Error("the action name is escaped as a URL")
	}
}

// A live view sends the steps that changed on the page the client shows,
// not the page again: a new step to the newest page, nothing of it to an
// older page.
func TestEventsSendOnlyTheChange(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "proj", "live", fixture.CounterGraph, fixture.MetaPK, countLines(100, 4<<10)...)
	logPath := filepath.Join(appDir, "log.jsonl")
	fi, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, dir)
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	off := itoa(fi.Size())
	resp1, newest := openEvents(t, ctx, srv, "?offset="+off+"&page=1&lo=75&hi=99")
	defer resp1.Body.Close()
	resp2, older := openEvents(t, ctx, srv, "?offset="+off+"&page=2&lo=50&hi=74")
	defer resp2.Body.Close()

	next := countLines(101, 4<<10)[200:]
	fixture.AppendLines(t, logPath, next[0])
	_, u := sseEvent(t, newest)
	if ids := stepIDs(u.Steps); len(ids) != 1 || ids[0] != "100" || u.Lines != 1 || u.NumSteps != 101 || u.Status != "running" {
		t.Errorf("newest page: steps %v, %d lines, %d steps, %s", ids, u.Lines, u.NumSteps, u.Status)
	}
	_, u = sseEvent(t, older)
	if u.Steps != "" || !strings.Contains(u.Summary, `<dd id="num-steps">101</dd>`) {
		t.Errorf("older page: steps %q, summary %s", u.Steps, u.Summary)
	}
	fixture.AppendLines(t, logPath, next[1])
	_, u = sseEvent(t, newest)
	data, _ := json.Marshal(u)
	if ids := stepIDs(u.Steps); len(ids) != 1 || ids[0] != "100" || u.Status != "completed" || len(data) > 64<<10 {
		t.Errorf("newest page after the end: steps %v, %s, %d bytes", ids, u.Status, len(data))
	}
}
