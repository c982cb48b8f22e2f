package ui

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burrgo/burr/ui/internal/fixture"
)

// Errors are pages of the site, with a way back.
func TestErrorPages(t *testing.T) {
	dir := t.TempDir()
	fixture.WriteRun(t, dir, "p", "a", fixture.CounterGraph, fixture.MetaPK, fixture.Begin0)
	s := newTestServer(t, dir)
	for _, tc := range []struct {
		path string
		code int
		want []string
	}{
		{"/nope", http.StatusNotFound, []string{"404 · Not Found", "There is no page at this address.", `<a href="/">← all projects</a>`}},
		{"/projects/missing", http.StatusNotFound, []string{"no such project or application"}},
		{"/projects/p/apps/missing", http.StatusNotFound, []string{`<a href="/projects/p">← back to the project p</a>`}},
		{"/projects/p/apps/%2e%2e", http.StatusBadRequest, []string{"400 · Bad Request", "not a valid project or application id"}},
	} {
		code, body := get(t, s, tc.path)
		if code != tc.code {
			t.Errorf("%s = %d, want %d", tc.path, code, tc.code)
		}
		mustContain(t, body, append(tc.want, `<header class="top">`, `<link rel="stylesheet" href="/static/style.css">`)...)
	}
}

// The projects page of an empty or missing directory says how to make runs.
func TestEmptyProjectsPage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	s := newTestServer(t, dir)
	_, body := get(t, s, "/")
	mustContain(t, body, "does not exist yet", "<code>burr demo</code>", "burr demo --dir "+dir)
	s = newTestServer(t, t.TempDir())
	_, body = get(t, s, "/")
	mustContain(t, body, "<code>burr demo</code>")
	if strings.Contains(body, "does not exist") {
		t.Error("an existing directory said missing")
	}
}

func parseUTC(s string) (time.Time, error) { return time.Parse("2006-01-02T15:04:05.000Z07:00", s) }

func kolkata(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		return time.FixedZone("IST", 5*3600+1800) // no zoneinfo on this machine
	}
	return loc
}
