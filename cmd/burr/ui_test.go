package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRunUIServesUntilCancelled(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	dir := t.TempDir()
	app := filepath.Join(dir, "proj", "app-1")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	line := `{"type":"begin_entry","start_time":"2025-01-01T12:00:00","action":"counter","inputs":{},"sequence_id":0}` + "\n"
	if err := os.WriteFile(filepath.Join(app, "log.jsonl"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- runUI(ctx, []string{"--addr", "127.0.0.1:0", "--dir", dir}, &stdout, &stderr) }()

	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		base = urlRE.FindString(stdout.String())
	}
	if base == "" {
		t.Fatalf("no URL printed; stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	resp, err := http.Get(base + "projects/proj")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "app-1") {
		t.Errorf("GET /projects/proj = %d", resp.StatusCode)
	}
	// An open live stream must not hold up the shutdown.
	events, err := http.Get(base + "projects/proj/apps/app-1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runUI did not return after cancel")
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestRunUIUsage(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	tests := []struct {
		args         []string
		code         int
		stdout, errs string
	}{
		{[]string{"-h"}, 0, "Usage: burr ui", ""},
		{[]string{"--help"}, 0, "--allow-remote", ""},
		{[]string{"--help"}, 0, "--behind-proxy", ""},
		{[]string{"--addr", "0.0.0.0:0"}, 2, "", "set an access token (--token or BURR_UI_TOKEN)"},
		{[]string{"--addr", "0.0.0.0:0", "--allow-remote"}, 2, "", "--behind-proxy"},
		{[]string{"--addr", "0.0.0.0:0", "--token", "short"}, 2, "", "has 5 characters; it needs at least 16"},
		{[]string{"--token", "0123456789abcdef", "--behind-proxy"}, 2, "", "exclude each other"},
		{[]string{"--addr", ":7241"}, 2, "", "non-loopback"},
		{[]string{"--addr", "192.0.2.1:7241"}, 2, "", "non-loopback"},
		{[]string{"--addr", "nonsense"}, 2, "", "--addr"},
		{[]string{"--bogus"}, 2, "", "burr ui: flag provided but not defined: -bogus\nrun 'burr ui -h' for usage\n"},
		{[]string{"extra"}, 2, "", "unexpected argument"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := runUI(context.Background(), tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.errs) {
			t.Errorf("runUI(%q) = %d\nstdout %q\nstderr %q", tt.args, code, stdout.String(), stderr.String())
		}
	}
}

// A port in use is named as such, with the flag that chooses another.
func TestRunUIPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	code := runUI(context.Background(), []string{"--addr", ln.Addr().String(), "--dir", t.TempDir()}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "the address is in use") || !strings.Contains(stderr.String(), "--addr 127.0.0.1:0") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// startUI runs "burr ui" with args on a free port and returns its URL; the
// server stops at the end of the test.
func startUI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- runUI(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("runUI did not return after cancel")
		}
		http.DefaultClient.CloseIdleConnections()
	})
	urlRE := regexp.MustCompile(`http://\S+:(\d+)/`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			return "http://127.0.0.1:" + m[1] + "/"
		}
	}
	t.Fatalf("no URL printed; stdout %q, stderr %q", stdout.String(), stderr.String())
	return ""
}

// The UI answers only requests for localhost unless --allow-remote is
// given: a page whose DNS name was rebound to 127.0.0.1 cannot read runs.
func TestRunUIChecksHost(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "proj", "app-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	status := func(base, host string) int {
		t.Helper()
		req, err := http.NewRequest("GET", base+"projects/proj", nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	local := startUI(t, "--dir", dir)
	for host, want := range map[string]int{"": 200, "localhost:7241": 200, "evil.example": 421, "evil.example:7241": 421} {
		if got := status(local, host); got != want {
			t.Errorf("Host %q: %d, want %d", host, got, want)
		}
	}
	remote := startUI(t, "--dir", dir, "--allow-remote")
	if got := status(remote, "evil.example:7241"); got != 200 {
		t.Errorf("--allow-remote, Host evil.example: %d, want 200", got)
	}
}

// A tracking directory that does not exist is served (runs may come) with
// a warning.
func TestRunUIWarnsMissingDir(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	dir := filepath.Join(t.TempDir(), "nothing-here")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- runUI(ctx, []string{"--addr", "127.0.0.1:0", "--dir", dir}, &stdout, &stderr) }()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		base = urlRE.FindString(stdout.String())
	}
	if base == "" {
		t.Fatalf("no URL printed; stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	if want := "warning: the tracking directory " + dir + " does not exist"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", stderr.String(), want)
	}
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "burr demo") {
		t.Errorf("GET / = %d: %s", resp.StatusCode, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
	http.DefaultClient.CloseIdleConnections()
}
