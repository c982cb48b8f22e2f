//go:build linux || darwin

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/burrgo/burr/llm"
)

// TestDemoInATerminal runs the real binary in a pseudo-terminal, as a user
// would: type a message, watch the answer stream, press Ctrl-C to stop it,
// then Ctrl-C at the prompt to quit.
func TestDemoInATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the burr binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "burr")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "demo", "--dir", dir, "--pace", "20ms")
	cmd.Env = append(os.Environ(), "OPENAI_API_KEY=", "OPENAI_BASE_URL=", "OPENAI_MODEL=")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var screen lockedBuffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&screen, tty) // ends with an error when the process exits
		close(copied)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()

	waitFor(t, screen.String, "Ctrl-C stops an answer")
	waitFor(t, screen.String, "> ")
	io.WriteString(tty, "Tell me about Burr\r")
	waitFor(t, screen.String, llm.OfflinePrefix+" You said")
	tty.Write([]byte{3}) // Ctrl-C: stop the answer
	waitFor(t, screen.String, " [stopped]")
	time.Sleep(50 * time.Millisecond) // the prompt is printed again
	tty.Write([]byte{3})              // Ctrl-C at the prompt: quit
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("burr demo: %v\n%s", err, screen.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("burr demo did not quit:\n%s", screen.String())
	}
	<-copied
	out := strings.ReplaceAll(screen.String(), "\r\n", "\n")
	m := regexp.MustCompile(`(?s)Tell me about Burr\n(.*?)(?:\^C)? \[stopped\]`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no stopped answer in:\n%s", out)
	}
	h := savedHistory(t, dir, appIDIn(t, out))
	if len(h) != 3 || h[2].Content != m[1] || h[2].Content == llm.OfflineAnswer(h[:2]) {
		t.Errorf("saved %q, shown %q: want the partial answer kept", h[2].Content, m[1])
	}
}
