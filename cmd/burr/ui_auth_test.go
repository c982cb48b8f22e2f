package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// uiGet requests path from base with the given Host header (if any) and
// bearer token (if any), and returns the status and body.
func uiGet(t *testing.T, base, path, host, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func uiDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "privateproj", "app-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// With --token (or BURR_UI_TOKEN) on a non-loopback address, every request
// needs the token, whatever its Host; without it the answer is 401 and
// names no project.
func TestRunUITokenRemote(t *testing.T) {
	const token = "fleet-token-0123456789"
	dir := uiDir(t)
	for name, args := range map[string][]string{
		"flag": {"--addr", "0.0.0.0:0", "--dir", dir, "--token", token},
		"env":  {"--addr", "0.0.0.0:0", "--dir", dir},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("BURR_UI_TOKEN", "")
			if name == "env" {
				t.Setenv("BURR_UI_TOKEN", token)
			}
			base := startUI(t, args...)
			for _, p := range []string{"", "projects/privateproj", "static/app.js"} {
				code, body := uiGet(t, base, p, "ui.example:7241", "")
				if code != http.StatusUnauthorized || strings.Contains(body, "privateproj") {
					t.Errorf("no token, /%s = %d %q", p, code, body)
				}
				if code, _ := uiGet(t, base, p, "ui.example:7241", "wrong-token-0123456789"); code != http.StatusUnauthorized {
					t.Errorf("wrong token, /%s = %d", p, code)
				}
			}
			if code, body := uiGet(t, base, "projects/privateproj", "ui.example:7241", token); code != 200 || !strings.Contains(body, "app-1") {
				t.Errorf("with the token = %d", code)
			}
		})
	}
}

// --behind-proxy allows a non-loopback address and any Host, and leaves
// authentication to the proxy.
func TestRunUIBehindProxy(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	base := startUI(t, "--addr", "0.0.0.0:0", "--dir", uiDir(t), "--behind-proxy")
	if code, body := uiGet(t, base, "projects/privateproj", "burr.internal", ""); code != 200 || !strings.Contains(body, "app-1") {
		t.Errorf("behind proxy = %d", code)
	}
}

// A token on a loopback address protects the UI too (for example behind an
// SSH tunnel), and the Host check is then not needed.
func TestRunUITokenLoopback(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	const token = "loopback-token-0123456789"
	base := startUI(t, "--dir", uiDir(t), "--token", token)
	if code, _ := uiGet(t, base, "", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no token = %d", code)
	}
	if code, _ := uiGet(t, base, "", "", token); code != 200 {
		t.Errorf("token = %d", code)
	}
}
