package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A prices file that cannot be used stops burr ui before it listens, with
// an error naming the file and what is wrong in it.
func TestRunUIBadPrices(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	dir := t.TempDir()
	bad := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(bad, []byte(`{"gpt-4o": {"input": 2.5, "outptu": 10}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want string }{
		{bad, `burr ui: --prices: prices file ` + bad + `: model "gpt-4o": want {"input": USD per 1M tokens, "output": USD per 1M tokens}: json: unknown field "outptu"`},
		{filepath.Join(dir, "absent.json"), "burr ui: --prices: prices file " + filepath.Join(dir, "absent.json") + ": open "},
	} {
		var stdout, stderr bytes.Buffer
		code := runUI(context.Background(), []string{"--addr", "127.0.0.1:0", "--dir", dir, "--prices", c.file}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) || stdout.Len() != 0 {
			t.Errorf("--prices %s: exit %d\nstdout %q\nstderr %q\nwant %q", c.file, code, stdout.String(), stderr.String(), c.want)
		}
	}
}

// With a prices file, the application page shows what the tokens cost.
func TestRunUIPrices(t *testing.T) {
	t.Setenv("BURR_UI_TOKEN", "")
	dir := t.TempDir()
	app := filepath.Join(dir, "proj", "app-1")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	const ts = `"2025-01-01T12:00:00"`
	log := `{"type":"begin_entry","start_time":` + ts + `,"action":"chat","inputs":{},"sequence_id":0}` + "\n"
	for _, kv := range [][2]string{{"gen_ai.response.model", `"m"`}, {"gen_ai.usage.prompt_tokens", "2000"}, {"gen_ai.usage.completion_tokens", "1000"}} {
		log += `{"type":"attribute","key":"` + kv[0] + `","action_sequence_id":0,"span_id":null,"value":` + kv[1] + `,"tags":{},"time_logged":` + ts + "}\n"
	}
	prices := filepath.Join(dir, "prices.json")
	for name, data := range map[string]string{filepath.Join(app, "log.jsonl"): log, prices: `{"m": {"input": 1, "output": 3}}`} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runUI(ctx, []string{"--addr", "127.0.0.1:0", "--dir", dir, "--prices", prices}, &stdout, &stderr)
	}()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		base = urlRE.FindString(stdout.String())
	}
	if base == "" {
		cancel()
		<-done
		t.Fatalf("no URL printed; stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	resp, err := http.Get(base + "projects/proj/apps/app-1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// 2000 × $1/M + 1000 × $3/M = $0.005.
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<span class="cost">$0.005000</span>`) {
		t.Errorf("GET app = %d, no cost $0.005000 in:\n%s", resp.StatusCode, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
