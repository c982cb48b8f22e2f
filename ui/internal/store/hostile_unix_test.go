//go:build unix

package store

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/burrgo/burr/ui/internal/fixture"
)

// A FIFO in place of a file of the application directory is not opened for
// reading (which would block until a writer comes): the lists and the page
// go on, and the page says what is wrong.
func TestFIFOFilesDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "ok", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0, fixture.End0)
	fifoLog := fixture.WriteRun(t, dir, "p", "fifo-log", fixture.CounterGraph, fixture.MetaPK)
	fifoFiles := fixture.WriteRun(t, dir, "p", "fifo-files", "", "", fixture.Begin0)
	for _, p := range []string{
		filepath.Join(fifoLog, "log.jsonl"),
		filepath.Join(fifoFiles, "graph.json"),
		filepath.Join(fifoFiles, "metadata.json"),
		filepath.Join(fifoFiles, "children.jsonl"),
	} {
		if err := removeAndMkfifo(p); err != nil {
			t.Skip("mkfifo:", err)
		}
	}
	s := New(dir)
	if ps, err := s.Projects(); err != nil || len(ps) != 1 || ps[0].Apps != 3 {
		t.Fatalf("projects = %+v, %v", ps, err)
	}
	apps, err := s.Apps("p")
	if err != nil || len(apps) != 3 {
		t.Fatalf("apps = %+v, %v", apps, err)
	}
	for _, a := range apps {
		if a.ID == "fifo-log" && (a.Steps != 0 || a.Status != StatusNew) {
			t.Errorf("fifo-log listed as %+v", a)
		}
	}
	app, err := s.App("p", "fifo-log")
	if err != nil || len(app.Problems) != 1 || !strings.Contains(app.Problems[0], "log.jsonl: not a regular file") {
		t.Errorf("fifo-log: %v, problems %q", err, app.Problems)
	}
	app, err = s.App("p", "fifo-files")
	if err != nil || len(app.Problems) != 3 || app.Index.NumSteps() != 1 {
		t.Fatalf("fifo-files: %v, problems %q", err, app.Problems)
	}
	for _, pr := range app.Problems {
		if !strings.Contains(pr, "not a regular file (p---------)") {
			t.Errorf("problem %q", pr)
		}
	}
	if _, err := s.Refresh(app); err != nil {
		t.Errorf("Refresh: %v", err)
	}
	if _, err := s.Files("p", "fifo-files"); err != nil {
		t.Errorf("Files: %v", err)
	}
}

func removeAndMkfifo(p string) error {
	_ = syscall.Unlink(p)
	return syscall.Mkfifo(p, 0o600)
}
