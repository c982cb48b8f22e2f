package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/ui/internal/fixture"
)

func meta(pk string) string {
	return fmt.Sprintf(`{"type": "application_metadata", "partition_key": %q, "parent_pointer": null, "spawning_parent_pointer": null}`, pk)
}

const (
	askBegin  = `{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"ask","inputs":{"__context":{"x":1},"prompt":"  What is\nthe capital of France?"},"sequence_id":0}`
	labelAttr = `{"type":"attribute","key":"label","action_sequence_id":0,"span_id":null,"value":"ticket #42: refund","tags":{},"time_logged":"2025-01-01T12:00:00.000150Z"}`
)

// listFixture writes five runs and sets their times: "old" is the oldest
// directory but was updated last.
func listFixture(t *testing.T) string {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "old", "", meta("alice"), askBegin, endLine(0, "ask", "x"))
	fixture.WriteRun(t, dir, "p", "labelled", "", meta("bob"), askBegin, labelAttr)
	fixture.WriteRun(t, dir, "p", "failed", "", meta("alice"), fixture.Begin0, fixture.End0, fixture.Begin1, fixture.End1, fixture.Begin2, fixture.End2)
	fixture.WriteRun(t, dir, "p", "empty", "", "")
	fixture.WriteRun(t, dir, "p", "counter", "", meta("bob"), fixture.Begin0, fixture.End0)
	base := time.Now().Add(-time.Hour)
	for i, id := range []string{"old", "labelled", "failed", "empty", "counter"} {
		d := base.Add(time.Duration(i) * time.Minute)
		appDir := filepath.Join(dir, "p", id)
		if err := os.Chtimes(filepath.Join(appDir, "log.jsonl"), d, d); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(appDir, d, d); err != nil {
			t.Fatal(err)
		}
	}
	late := base.Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "p", "old", "log.jsonl"), late, late); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ids(l *AppList) string {
	var out []string
	for _, a := range l.Apps {
		out = append(out, a.ID)
	}
	return strings.Join(out, " ")
}

func TestListApps(t *testing.T) {
	s := New(listFixture(t))
	for _, tt := range []struct {
		q    AppQuery
		want string
	}{
		{AppQuery{}, "old counter empty failed labelled"},
		{AppQuery{Sort: "created"}, "counter empty failed labelled old"},
		{AppQuery{Sort: "id", Asc: true}, "counter empty failed labelled old"},
		{AppQuery{Sort: "steps"}, "failed counter labelled old empty"},
		{AppQuery{Status: StatusFailed}, "failed"},
		{AppQuery{Status: StatusRunning}, "labelled"},
		{AppQuery{PartitionKey: "alice"}, "old failed"},
		{AppQuery{Text: "CAPITAL"}, "old"},
		{AppQuery{Text: "refund"}, "labelled"},
		{AppQuery{Text: "bob"}, "counter labelled"},
		{AppQuery{PerPage: 2}, "old counter"},
		{AppQuery{PerPage: 2, Page: 3}, "labelled"},
		{AppQuery{PerPage: 2, Page: 9}, "labelled"},
	} {
		l, err := s.ListApps("p", tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(l); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.q, got, tt.want)
		}
	}
	l, _ := s.ListApps("p", AppQuery{})
	previews := map[string]string{}
	for _, a := range l.Apps {
		previews[a.ID] = a.Preview
	}
	if previews["old"] != "prompt: What is the capital of France?" || previews["labelled"] != "ticket #42: refund" || previews["counter"] != "step: 2" {
		t.Errorf("previews %q", previews)
	}
	if l.Total != 5 || l.Matched != 5 || l.Pages != 1 {
		t.Errorf("list %+v", l)
	}
	if _, err := s.ListApps("nope", AppQuery{}); err == nil {
		t.Error("a missing project listed")
	}
}

// The first page of a project of 10,000 applications reads the logs of
// its rows only.
func TestListAppsManyFirstPage(t *testing.T) {
	dir := t.TempDir()
	line := fixture.Begin0 + "\n" + fixture.End0 + "\n"
	for i := range 10_000 {
		appDir := filepath.Join(dir, "p", fmt.Sprintf("app-%05d", i))
		if err := os.MkdirAll(appDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(appDir, "log.jsonl"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(appDir, "metadata.json"), []byte(meta("k")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := New(dir)
	var l *AppList
	var err error
	first := allocs(func() { l, err = s.ListApps("p", AppQuery{PerPage: 50}) })
	if err != nil || len(l.Apps) != 50 || l.Total != 10_000 || l.Apps[0].Steps != 1 || l.Apps[0].PartitionKey != "k" {
		t.Fatalf("list: %v, %d rows of %d, %+v", err, len(l.Apps), l.Total, l.Apps[0])
	}
	filtered := allocs(func() { l, err = s.ListApps("p", AppQuery{PerPage: 50, Status: StatusCompleted}) })
	if err != nil || l.Matched != 10_000 {
		t.Fatalf("filtered: %v, %d", err, l.Matched)
	}
	t.Logf("allocated: first page %d KiB, filtered list %d KiB", first>>10, filtered>>10)
	// Summarizing 10,000 logs costs at least 10,000 reads; the first page
	// 50.
	if first > 24<<20 || first*4 > filtered {
		t.Errorf("first page allocated %d bytes, a filtered list of all %d", first, filtered)
	}
}
