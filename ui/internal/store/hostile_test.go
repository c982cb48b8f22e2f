package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
)

// allocs returns the bytes fn allocates.
func allocs(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The application list reads a long tail without an entry line backwards
// in chunks, within a bound, without reading the file whole.
func TestAppsBlankTail(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "blank", fixture.CounterGraph, fixture.MetaPK)
	fixture.WriteRun(t, dir, "p", "far", fixture.CounterGraph, fixture.MetaPK)
	blank := bytes.Repeat([]byte("\n"), 10<<20)
	fixture.MustWrite(t, filepath.Join(dir, "p", "blank", "log.jsonl"), fixture.Begin0+"\n"+string(blank))
	far := append([]byte(fixture.Begin0+"\n"), bytes.Repeat([]byte("  \n"), (maxSummaryScan+tailWindow)/3+10)...)
	fixture.MustWrite(t, filepath.Join(dir, "p", "far", "log.jsonl"), string(far))
	s := New(dir)
	var apps []AppSummary
	var err error
	n := allocs(func() { apps, err = s.Apps("p") })
	if err != nil || len(apps) != 2 {
		t.Fatalf("apps = %+v, %v", apps, err)
	}
	for _, a := range apps {
		switch a.ID {
		case "blank":
			if a.Steps != 1 || a.Status != StatusRunning || a.LastAction != "counter" {
				t.Errorf("blank = %+v", a)
			}
		case "far":
			// The begin_entry is further from the end than the bound.
			if a.Steps != -1 || a.Status != StatusUnknown {
				t.Errorf("far = %+v", a)
			}
		}
	}
	if n > 2<<20 {
		t.Errorf("listing two logs of 10 and 16 MB of blank lines allocated %d bytes", n)
	}
}

// The index reads a log of any length in bounded memory, and the steps of
// a page are read alone.
func TestIndexBoundedMemory(t *testing.T) {
	dir := t.TempDir()
	appDir := fixture.WriteRun(t, dir, "p", "long", fixture.CounterGraph, fixture.MetaPK)
	f, err := os.Create(filepath.Join(appDir, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	pad := strings.Repeat("x", 16<<10)
	for i := range n {
		fmt.Fprintf(f, "%s\n%s\n", beginLine(i, "count"), endLine(i, "count", fmt.Sprint(i, pad)))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := New(dir)
	var app *App
	read := allocs(func() { app, err = s.App("p", "long") })
	if err != nil || app.Index.NumSteps() != n || app.Index.Status() != StatusCompleted {
		t.Fatalf("App: %v, %d steps", err, app.Index.NumSteps())
	}
	if read > 4<<20 {
		t.Errorf("indexing a 32 MB log allocated %d bytes", read)
	}
	seqs, pages := app.Index.Page(2, 25)
	if pages != n/25 || len(seqs) != 25 || seqs[0] != n-26 || seqs[24] != n-50 {
		t.Errorf("page 2 = %v of %d", seqs, pages)
	}
	var lg *Log
	read = allocs(func() { lg, err = s.Steps(app, seqs) })
	if err != nil {
		t.Fatal(err)
	}
	steps := lg.Steps()
	// The step before the page is read too, for the first step's changes.
	if len(steps) != 26 || steps[0].SequenceID != n-51 || len(steps[1].Changes) != 1 || steps[1].Changes[0].Kind != "changed" {
		t.Errorf("%d steps from %d, changes %+v", len(steps), steps[0].SequenceID, steps[1].Changes)
	}
	if read > 4<<20 {
		t.Errorf("reading 26 steps of 16 KB allocated %d bytes", read)
	}
	if got := app.Index.PageOf(3, 25); got != pages {
		t.Errorf("PageOf(3) = %d", got)
	}
}

// Lines the fast reading of the index cannot take are read by the full
// rules: escaped names, and lines that are not lines of the format.
func TestIndexOddLines(t *testing.T) {
	x := NewIndex()
	data := strings.Join([]string{
		`{"type":"begin_entry","start_time":"2025-01-01T12:00:00.000101","action":"a\u0062","inputs":{},"sequence_id":0}`,
		`{"ty\u0070e":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"ab","result":{},"exception":"boom","state":{},"sequence_id":0}`,
		`{"type":"begin_entry"`,
		`{"type":"end_entry","end_time":"2025-01-01T12:00:00.000202","action":"x","result":{},"exception":null,"state":{},"sequence_id":9}`,
		`[1]`,
		``,
	}, "\n") + "\n"
	if err := x.Scan(strings.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	seq, action, ok := x.Current()
	if !ok || seq != 0 || action != "ab" || x.Status() != StatusFailed || x.NumSteps() != 1 || x.Lines() != 6 {
		t.Errorf("current %d %q %v, status %s, %d steps, %d lines", seq, action, ok, x.Status(), x.NumSteps(), x.Lines())
	}
	var msgs []string
	for _, e := range x.Errors() {
		msgs = append(msgs, e.String())
	}
	want := "line 3: invalid JSON|line 4: end_entry: no begin_entry before it for sequence id 9|line 5: not a JSON object"
	if strings.Join(msgs, "|") != want {
		t.Errorf("errors %q", msgs)
	}
}
