package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/llm/llmtest"
	"github.com/burrgo/burr/persist/sqlite"
)

// lockedBuffer is a bytes.Buffer that the demo writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls read until it contains want.
func waitFor(t *testing.T, read func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(read(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in:\n%s", want, read())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// offlineEnv makes the demo choose the offline model.
func offlineEnv(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_MODEL", "")
}

var appIDPattern = regexp.MustCompile(`burr demo (?:--dir \S+ )?--resume ([0-9a-f-]{36})`)

func appIDIn(t *testing.T, stderr string) string {
	t.Helper()
	m := appIDPattern.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no app id in:\n%s", stderr)
	}
	return m[1]
}

// savedHistory loads the conversation appID from the demo's database.
func savedHistory(t *testing.T, dir, appID string) []llm.Message {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec, err := db.Load(context.Background(), burr.AppRef{AppID: appID}.At(burr.Latest))
	if err != nil {
		t.Fatal(err)
	}
	h, err := llm.History.Get(rec.State)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func demoRun(t *testing.T, stdin io.Reader, interrupts chan os.Signal, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb lockedBuffer
	code = run(context.Background(), append([]string{"demo"}, args...), stdin, &out, &errb, interrupts)
	return code, out.String(), errb.String()
}

func TestDemoAnswersEachLineAndResumes(t *testing.T) {
	offlineEnv(t)
	dir := t.TempDir()
	code, out, errs := demoRun(t, strings.NewReader("Hello there\n\nWhat is a state machine?\n"), nil, "--dir", dir, "--pace", "0")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, want := range []string{
		"> Hello there\n" + llm.OfflinePrefix + ` You said: "Hello there".`,
		"> What is a state machine?\n" + llm.OfflinePrefix + ` You said: "What is a state machine?".`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "model offline") {
		t.Errorf("stderr does not say the model is offline:\n%s", errs)
	}
	id := appIDIn(t, errs)
	h := savedHistory(t, dir, id)
	if len(h) != 5 || h[0].Role != llm.RoleSystem || h[3].Content != "What is a state machine?" || !strings.Contains(out, h[4].Content) {
		t.Fatalf("saved history %v", h)
	}
	if _, err := os.Stat(filepath.Join(dir, demoProject, id, "log.jsonl")); err != nil {
		t.Errorf("the conversation is not tracked: %v", err)
	}

	code, out, errs = demoRun(t, strings.NewReader("And a third one\n"), nil, "--dir", dir, "--pace", "0", "--resume", id)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, errs)
	}
	if !strings.HasPrefix(out, "> Hello there\n") || !strings.Contains(out, "message 3 of our conversation") {
		t.Errorf("resumed output:\n%s", out)
	}
	if h := savedHistory(t, dir, id); len(h) != 7 || h[5].Content != "And a third one" {
		t.Errorf("saved history after resuming %v", h)
	}
}

func TestDemoCtrlCStopsTheAnswerAndKeepsIt(t *testing.T) {
	offlineEnv(t)
	dir := t.TempDir()
	stdin, w := io.Pipe()
	defer w.Close()
	interrupts := make(chan os.Signal, 1)
	var out, errb lockedBuffer
	done := make(chan int)
	go func() {
		done <- run(context.Background(), []string{"demo", "--dir", dir, "--pace", "5ms"}, stdin, &out, &errb, interrupts)
	}()
	io.WriteString(w, "Tell me everything\n")
	waitFor(t, out.String, "You said")
	interrupts <- os.Interrupt // stop the answer
	waitFor(t, out.String, " [stopped]\n\n")
	interrupts <- os.Interrupt // quit at the prompt
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-C at the prompt did not quit")
	}
	shown := strings.TrimSuffix(strings.SplitN(out.String(), "\n", 2)[1], " [stopped]\n\n\n")
	h := savedHistory(t, dir, appIDIn(t, errb.String()))
	if len(h) != 3 || h[2].Content != shown || len(shown) >= len(llm.OfflineAnswer(h[:2])) {
		t.Errorf("saved %q, shown %q: want the partial answer kept", h[2].Content, shown)
	}
}

func TestDemoWithAnOpenAICompatibleServer(t *testing.T) {
	h := &llmtest.Handler{Reply: func([]llm.Message) []string { return []string{"Hello", " from", " the", " server"} }}
	srv := llmtest.NewServer(h)
	defer srv.Close()
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("OPENAI_BASE_URL", "")
	code, out, errs := demoRun(t, strings.NewReader("Hi\n"), nil, "--dir", t.TempDir(), "--base-url", srv.URL+"/v1", "--model", "m1")
	if code != 0 || !strings.Contains(out, "> Hi\nHello from the server\n") || !strings.Contains(errs, "model m1 at "+srv.URL) {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if r := h.Requests(); len(r) != 1 || r[0].Model != "m1" || r[0].Messages[0].Role != "system" {
		t.Errorf("requests %+v", r)
	}
}

func TestDemoReportsModelErrors(t *testing.T) {
	srv := llmtest.NewServer(&llmtest.Handler{})
	srv.Config.Handler = httpError401{}
	defer srv.Close()
	t.Setenv("OPENAI_API_KEY", "sk-wrong")
	dir := t.TempDir()
	code, _, errs := demoRun(t, strings.NewReader("Hi\n"), nil, "--dir", dir, "--base-url", srv.URL+"/v1")
	if code != 1 || !strings.Contains(errs, "HTTP 401 Unauthorized: Incorrect API key") {
		t.Errorf("exit %d\nstderr:\n%s", code, errs)
	}
}

func TestDemoUsageErrors(t *testing.T) {
	offlineEnv(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--nope"}, 2, "burr demo: flag provided but not defined: -nope\nrun 'burr demo -h' for usage\n"},
		{[]string{"--pace", "soon"}, 2, `burr demo: invalid value "soon" for flag -pace: parse error` + "\nrun 'burr demo -h' for usage\n"},
		{[]string{"extra"}, 2, "burr demo: unexpected argument \"extra\"\nrun 'burr demo -h' for usage\n"},
		{[]string{"--resume", "no-such-app"}, 1, `no conversation "no-such-app"`},
	} {
		code, _, errs := demoRun(t, strings.NewReader(""), nil, append([]string{"--dir", t.TempDir()}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) || strings.Contains(errs, "Usage:") {
			t.Errorf("%v: exit %d, stderr:\n%s", tc.args, code, errs)
		}
	}
}

// failingReader returns its error once the reader before it is drained.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestDemoReadsLongLinesAndReportsInputErrors(t *testing.T) {
	offlineEnv(t)
	t.Run("a 2 MiB line is a message", func(t *testing.T) {
		long := strings.Repeat("a", 2<<20)
		code, out, errs := demoRun(t, strings.NewReader(long+"\nHi\n"), nil, "--dir", t.TempDir(), "--pace", "0")
		if code != 0 || !strings.Contains(out, "> "+long+"\n"+llm.OfflinePrefix+` You said: "`+long+`".`) ||
			!strings.Contains(out, "> Hi\n"+llm.OfflinePrefix) {
			t.Errorf("exit %d, %d bytes of output\nstderr:\n%s", code, len(out), errs)
		}
	})
	t.Run("read error", func(t *testing.T) {
		stdin := io.MultiReader(strings.NewReader("Hello\n"), failingReader{errors.New("the disk is on fire")})
		code, out, errs := demoRun(t, stdin, nil, "--dir", t.TempDir(), "--pace", "0")
		if code != 1 || !strings.Contains(errs, "burr demo: reading input: the disk is on fire\n") || !strings.Contains(out, `You said: "Hello"`) {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
	})
	t.Run("line over the limit", func(t *testing.T) {
		stdin := io.MultiReader(strings.NewReader("Hello\n"), strings.NewReader(strings.Repeat("b", maxLine+1)+"\nNot read\n"))
		code, out, errs := demoRun(t, stdin, nil, "--dir", t.TempDir(), "--pace", "0")
		if code != 1 || !strings.Contains(errs, "burr demo: reading input: bufio.Scanner: token too long") ||
			!strings.Contains(out, `You said: "Hello"`) || strings.Contains(out, "Not read") {
			t.Errorf("exit %d\nstdout:\n%.2000s\nstderr:\n%s", code, out, errs)
		}
	})
}

// TestDemoTwoCtrlCsQuitWhileTheModelIsSilent: the model sends one piece of
// its answer and then nothing, holding the request open. The first Ctrl-C
// asks the answer to stop; the second must end the demo, whether or not the
// stop reached the silent model.
func TestDemoTwoCtrlCsQuitWhileTheModelIsSilent(t *testing.T) {
	requests := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		llmtest.StartStream(w)
		llmtest.WriteChunk(w, "m1", "", "assistant", "")
		llmtest.WriteChunk(w, "m1", "Thinking", "", "")
		requests <- struct{}{}
		<-r.Context().Done() // silent until the client goes
	}))
	defer srv.Close()
	defer srv.CloseClientConnections() // frees the handler if the demo is stuck
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("OPENAI_BASE_URL", "")
	dir := t.TempDir()
	stdin, w := io.Pipe()
	defer w.Close()
	interrupts := make(chan os.Signal, 1)
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"demo", "--dir", dir, "--base-url", srv.URL + "/v1"}, stdin, &out, &errb, interrupts)
	}()
	io.WriteString(w, "Hi\n")
	<-requests
	waitFor(t, out.String, "Thinking")
	interrupts <- os.Interrupt // stop the answer
	interrupts <- os.Interrupt // quit
	var code int
	select {
	case code = <-done:
	case <-time.After(3 * time.Second):
		t.Fatalf("two Ctrl-Cs did not end the demo while the model was silent\nstdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	// Either the stop reached the model (the partial answer is kept, and the
	// second Ctrl-C quit at the prompt) or the second Ctrl-C abandoned it.
	switch o := out.String(); {
	case strings.Contains(o, "Thinking [abandoned]\n"):
		if code != 130 {
			t.Errorf("exit %d after abandoning the answer, want 130", code)
		}
		if strings.Contains(errb.String(), "--resume") {
			t.Errorf("a conversation where nothing was answered is offered to resume:\n%s", errb.String())
		}
		db, err := sqlite.Open(context.Background(), filepath.Join(dir, "demo.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ids, err := db.ListAppIDs(context.Background(), "")
		if err != nil || len(ids) != 1 {
			t.Fatalf("conversations %v, %v", ids, err)
		}
		if h := savedHistory(t, dir, ids[0]); len(h) != 1 {
			t.Errorf("an abandoned turn was saved: %v", h)
		}
	case strings.Contains(o, "Thinking [stopped]\n"):
		if code != 0 {
			t.Errorf("exit %d after quitting at the prompt, want 0", code)
		}
	default:
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, o, errb.String())
	}
}

// TestDemoThirdCtrlCQuitsWithoutWaiting: if the answer does not end after the
// second Ctrl-C (an action that ignores its context), a third quits anyway.
func TestDemoThirdCtrlCQuitsWithoutWaiting(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{}, 1)
	deaf := burr.NewStreamingAction("chat", func(ctx context.Context, s burr.State, in burr.Inputs, yield burr.Yield) (burr.Result, burr.State, error) {
		yield("Thinking")
		started <- struct{}{}
		<-release // ignores its context and every stop
		return burr.Result{}, s, nil
	}, burr.OptionalInputs(llm.PromptInput))
	app, err := burr.New(context.Background(), burr.WithActions(deaf), burr.WithTransitions(burr.From("chat").To("chat")), burr.WithEntrypoint("chat"))
	if err != nil {
		t.Fatal(err)
	}
	interrupts := make(chan os.Signal, 1)
	var out lockedBuffer
	d := &demo{app: app, stdout: &out, stderr: &out, interrupts: interrupts}
	type turned struct {
		quit, abandoned bool
		err             error
	}
	done := make(chan turned, 1)
	go func() {
		quit, abandoned, err := d.turn(context.Background(), "Hi")
		done <- turned{quit, abandoned, err}
	}()
	<-started
	for range 3 {
		interrupts <- os.Interrupt
	}
	select {
	case r := <-done:
		if !r.quit || !r.abandoned || r.err != nil || !strings.Contains(out.String(), "Thinking [abandoned]\n") {
			t.Errorf("quit %v, abandoned %v, err %v, output %q", r.quit, r.abandoned, r.err, out.String())
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a third Ctrl-C did not end the turn")
	}
}

// noConversations checks that the demo saved and tracked nothing under dir.
func noConversations(t *testing.T, dir string) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ids, err := db.ListAppIDs(context.Background(), ""); err != nil || len(ids) != 0 {
		t.Errorf("saved conversations %v, %v; want none", ids, err)
	}
	if _, err := os.Stat(filepath.Join(dir, demoProject)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("tracking directory: %v; want none", err)
	}
}

// A launch where nothing is said creates no conversation and prints no
// command to resume one: empty input, blank lines, Ctrl-C at the prompt.
func TestDemoNothingSaidCreatesNothing(t *testing.T) {
	offlineEnv(t)
	for name, stdin := range map[string]string{"no input": "", "blank lines": "\n  \n\t\n"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			code, out, errs := demoRun(t, strings.NewReader(stdin), nil, "--dir", dir)
			if code != 0 || strings.Contains(errs, "--resume") || out != "" {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			noConversations(t, dir)
		})
	}
	t.Run("Ctrl-C at the prompt", func(t *testing.T) {
		dir := t.TempDir()
		stdin, w := io.Pipe()
		defer w.Close()
		interrupts := make(chan os.Signal, 1)
		interrupts <- os.Interrupt
		code, _, errs := demoRun(t, stdin, interrupts, "--dir", dir)
		if code != 0 || strings.Contains(errs, "--resume") {
			t.Errorf("exit %d\nstderr:\n%s", code, errs)
		}
		noConversations(t, dir)
	})
}

// The command printed to continue a conversation works as printed, --dir
// included.
func TestDemoResumeCommandWorksAsPrinted(t *testing.T) {
	offlineEnv(t)
	dir := t.TempDir()
	code, _, errs := demoRun(t, strings.NewReader("First\n"), nil, "--dir", dir, "--pace", "0")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	id := appIDIn(t, errs)
	m := regexp.MustCompile(`(?m)^  (burr demo .*)$`).FindStringSubmatch(errs)
	if m == nil || m[1] != "burr demo --dir "+dir+" --resume "+id {
		t.Fatalf("printed command %q, want burr demo --dir %s --resume %s\n%s", m, dir, id, errs)
	}
	args := strings.Fields(m[1])[2:] // demoRun adds "demo"
	code, out, errs := demoRun(t, strings.NewReader("Second\n"), nil, append(args, "--pace", "0")...)
	if code != 0 || !strings.HasPrefix(out, "> First\n") || !strings.Contains(out, "message 2 of our conversation") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

func TestLaunchCommand(t *testing.T) {
	for _, tc := range []struct{ exe, arg0, want string }{
		// go run, building the executable in a temporary directory or
		// taking it from the build cache
		{"/tmp/go-build984284783/b001/exe/burr", "/tmp/go-build984284783/b001/exe/burr", "go run ./cmd/burr"},
		{"/home/u/.cache/go-build/e6/e6876de6ee40c381676ac9bc701556770a04726dcf3b1dab128e9173f38f94cb-d/burr", "burr", "go run ./cmd/burr"},
		// a binary: as the user typed it
		{"/home/u/go/bin/burr", "burr", "burr"},
		{"/home/u/src/burr/burr", "./burr", "./burr"},
		{"/opt/my tools/burr", "/opt/my tools/burr", "'/opt/my tools/burr'"},
		{"/usr/local/bin/burr", "", "burr"},
		{"/home/u/exe/burr", "burr", "burr"},
	} {
		if got := launchCommand(tc.exe, tc.arg0); got != tc.want {
			t.Errorf("launchCommand(%q, %q) = %q, want %q", tc.exe, tc.arg0, got, tc.want)
		}
	}
	if got := commandLine("burr", "demo", "--dir", "/tmp/it's here", "--resume", "a-b"); got != `burr demo --dir '/tmp/it'\''s here' --resume a-b` {
		t.Errorf("commandLine = %s", got)
	}
}

// A model server that is not there is named, with the flag and variable
// that set its address, not as a failure reading a stream.
func TestDemoUnreachableModel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "http://"+addr+"/v1")
	code, _, errs := demoRun(t, strings.NewReader("Hi\n"), nil, "--dir", t.TempDir(), "--model", "m1")
	want := "burr demo: cannot reach the model m1 at http://" + addr + "/v1/ (connect: connection refused). Is the server running? --base-url or OPENAI_BASE_URL sets its address"
	if code != 1 || !strings.Contains(errs, want) || strings.Contains(errs, "reading the stream") || strings.Contains(errs, "burr: action") {
		t.Errorf("exit %d\nstderr:\n%s\nwant %q", code, errs, want)
	}
	if strings.Contains(errs, "--resume") {
		t.Errorf("a conversation where nothing was answered is offered to resume:\n%s", errs)
	}
}
