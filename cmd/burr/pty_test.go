//go:build linux || darwin

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/burrgo/burr/llm"
)

// terminal is a program running in a pseudo-terminal whose echo is off: the
// screen holds only what the program writes, so that the terminal's echo of
// a key (a "^C" arriving while an answer streams) cannot interleave with it.
type terminal struct {
	t      *testing.T
	pty    *os.File
	screen lockedBuffer
	exited chan error
}

// startInTerminal starts cmd in a new session whose controlling terminal
// is a fresh pseudo-terminal, as a shell starts a job.
func startInTerminal(t *testing.T, cmd *exec.Cmd) *terminal {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 200}); err != nil {
		t.Fatal(err)
	}
	modes, err := unix.IoctlGetTermios(int(tty.Fd()), ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	modes.Lflag &^= unix.ECHO | unix.ECHOCTL
	if err := unix.IoctlSetTermios(int(tty.Fd()), ioctlSetTermios, modes); err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		ptmx.Close()
		t.Fatal(err)
	}
	term := &terminal{t: t, pty: ptmx, exited: make(chan error, 1)}
	copied := make(chan struct{})
	go func() {
		io.Copy(&term.screen, ptmx) // ends with an error when the last process using the terminal exits
		close(copied)
	}()
	go func() { term.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		ptmx.Close()
		<-copied
	})
	return term
}

// text is the screen so far, with the terminal's line ends made "\n".
func (term *terminal) text() string { return strings.ReplaceAll(term.screen.String(), "\r\n", "\n") }

// press types keys on the terminal's keyboard.
func (term *terminal) press(keys string) {
	term.t.Helper()
	if _, err := io.WriteString(term.pty, keys); err != nil {
		term.t.Fatal(err)
	}
}

// wait waits for the program to exit, returning its error.
func (term *terminal) wait() error {
	term.t.Helper()
	select {
	case err := <-term.exited:
		return err
	case <-time.After(time.Minute):
		term.t.Fatalf("the program did not exit:\n%s", term.text())
		return nil
	}
}

// waitFor waits until the screen shows want.
func (term *terminal) waitFor(want string, within time.Duration) {
	term.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := term.text()
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("timed out waiting for %q in:\n%s", want, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

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
	term := startInTerminal(t, cmd)

	term.waitFor("Ctrl-C stops an answer", time.Minute)
	term.waitFor("\n> ", time.Minute)
	term.press("Tell me about Burr\r")
	term.waitFor(llm.OfflinePrefix+" You said", time.Minute)
	term.press("\x03") // Ctrl-C: stop the answer
	term.waitFor(" [stopped]\n\n> ", time.Minute)
	term.press("\x03") // Ctrl-C at the prompt: quit
	if err := term.wait(); err != nil {
		t.Fatalf("burr demo: %v\n%s", err, term.text())
	}
	out := term.text()
	m := regexp.MustCompile(`(?s)\n> (.*?) \[stopped\]\n\n> \n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no stopped answer in:\n%s", out)
	}
	h := savedHistory(t, dir, appIDIn(t, out))
	if len(h) != 3 || h[1].Content != "Tell me about Burr" || h[2].Content != m[1] || h[2].Content == llm.OfflineAnswer(h[:2]) {
		t.Errorf("saved %q, shown %q: want the partial answer kept", h[2].Content, m[1])
	}
	if want := bin + " demo --dir " + dir + " --resume "; !strings.Contains(out, want) {
		t.Errorf("the command to continue is not %q...:\n%s", want, out)
	}
}

// TestDemoUnderGoRun runs the demo as the README says, with go run, in a
// pseudo-terminal. Ctrl-C at the prompt ends it with status 0: the terminal
// must not send SIGINT to the go command, which would then exit 1. The
// command it prints to continue the conversation is a go run command.
func TestDemoUnderGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the burr binary with go run")
	}
	for _, say := range []bool{false, true} {
		dir := t.TempDir()
		cmd := exec.Command("go", "run", ".", "demo", "--dir", dir, "--pace", "0")
		cmd.Env = append(os.Environ(), "OPENAI_API_KEY=", "OPENAI_BASE_URL=", "OPENAI_MODEL=")
		term := startInTerminal(t, cmd)
		term.waitFor("\n> ", 10*time.Minute) // go run compiles first
		if say {
			term.press("Hello\r")
			term.waitFor(" to talk to a real model.\n\n> ", time.Minute)
		}
		term.press("\x03") // Ctrl-C at the prompt: quit
		if err := term.wait(); err != nil {
			t.Fatalf("go run ./cmd/burr demo (saying something: %v): %v\n%s", say, err, term.text())
		}
		out := term.text()
		switch hint := "go run ./cmd/burr demo --dir " + dir + " --resume "; {
		case say && !strings.Contains(out, hint):
			t.Errorf("the command to continue is not %q...:\n%s", hint, out)
		case !say && strings.Contains(out, "--resume"):
			t.Errorf("a conversation where nothing was said is offered to resume:\n%s", out)
		}
	}
}
