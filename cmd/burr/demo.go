package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/internal/homedir"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/persist/sqlite"
	"github.com/burrgo/burr/tracking"
)

const demoUsage = `Usage: burr demo [flags]

Chat with a streaming chatbot in the terminal: the answer appears token by
token. Without OPENAI_API_KEY (or OPENAI_BASE_URL) it uses an offline model that
needs no network; with them it talks to OpenAI or any OpenAI-compatible server.

Every turn is saved in SQLite (DIR/demo.db) and tracked for "burr ui"
(DIR/demo-chatbot/); a conversation is created with its first message. At
the end the demo prints the command that continues it (--resume).

Keys: Enter sends a message. Ctrl-C while an answer streams stops it and keeps
what was said so far; a second Ctrl-C abandons the answer (even when the model
has gone silent) and quits. Ctrl-C or Ctrl-D at the prompt quits. When
standard input is not a terminal, each line is a message, and the demo quits
at the end of the input.

Exit status: 0; 1 when a message failed or the input could not be read; 2 for
bad usage; 130 when a second Ctrl-C abandoned an answer.

Flags:
  --dir DIR          where to keep the database and tracking (default ~/.burr)
  --resume APP_ID    continue the conversation APP_ID
  --model NAME       model name (default $OPENAI_MODEL, or gpt-4o-mini)
  --base-url URL     OpenAI-compatible API base URL (default $OPENAI_BASE_URL,
                     or OpenAI's); the API key is read from $OPENAI_API_KEY
  --offline          use the offline model even when an API key is set
  --pace DURATION    the offline model's pause before each token (default 20ms)
  -h, --help         show this help

Examples:
  burr demo
  echo "What is Burr?" | burr demo
  OPENAI_API_KEY=sk-... burr demo --model gpt-4o-mini
  burr demo --base-url http://localhost:11434/v1 --model llama3.2
  burr demo --resume 0b7c3c2e-5a8e-4c1e-9d6f-2f1f3a4b5c6d
`

// demoProject is the tracking project of the demo's conversations.
const demoProject = "demo-chatbot"

// systemPrompt opens every demo conversation.
const systemPrompt = "You are the chatbot of Burr's demo, a Go library for building LLM applications as state machines. Answer briefly and helpfully."

// demoGraph is the demo chatbot: "system" starts the conversation with a
// system message, then "chat" answers one user message per step, forever.
func demoGraph(m llm.Model) (*burr.Graph, error) { return llm.Chatbot(m, systemPrompt) }

// demo is one run of "burr demo".
type demo struct {
	app        *burr.Application // nil until the first message, unless resuming
	stdout     io.Writer
	stderr     io.Writer
	interrupts <-chan os.Signal // Ctrl-C as a signal
	keys       chan struct{}    // Ctrl-C typed at the prompt (see ttyModes)

	model   llm.Model
	graph   *burr.Graph
	db      *sqlite.Persister
	tracker *tracking.LocalTracker
}

func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, interrupts <-chan os.Signal) int {
	fs := flag.NewFlagSet("burr demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "", "")
	resume := fs.String("resume", "", "")
	model := fs.String("model", os.Getenv("OPENAI_MODEL"), "")
	baseURL := fs.String("base-url", os.Getenv("OPENAI_BASE_URL"), "")
	offline := fs.Bool("offline", false, "")
	pace := fs.Duration("pace", llm.DefaultOfflineDelay, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, demoUsage)
			return 0
		}
		return usageError(stderr, "demo", "%v", err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "demo", "unexpected argument %q", fs.Arg(0))
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "burr demo: %v\n", err)
		return 1
	}
	root, err := homedir.Dir(*dir, tracking.DefaultStorageDir)
	if err != nil {
		return fail(fmt.Errorf("--dir: %w", err))
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fail(err)
	}

	var m llm.Model
	apiKey := os.Getenv("OPENAI_API_KEY")
	switch {
	case *offline || apiKey == "" && *baseURL == "":
		if !*offline && *model != "" {
			fmt.Fprintf(stderr, "burr demo: no OPENAI_API_KEY or --base-url: using the offline model, not %q\n", *model)
		}
		m = &llm.Offline{Delay: *pace}
	default:
		var opts []llm.OpenAIOption
		if *baseURL != "" {
			opts = append(opts, llm.WithBaseURL(*baseURL))
		}
		if *model != "" {
			opts = append(opts, llm.WithModel(*model))
		}
		m = llm.NewOpenAI(opts...)
	}

	dbPath := filepath.Join(root, "demo.db")
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	tracker, err := tracking.NewLocal(demoProject, tracking.WithStorageDir(root), tracking.WithStreamItems())
	if err != nil {
		return fail(err)
	}
	defer tracker.Close()
	g, err := demoGraph(m)
	if err != nil {
		return fail(err)
	}
	d := &demo{stdout: stdout, stderr: stderr, interrupts: interrupts, keys: make(chan struct{}, 4),
		model: m, graph: g, db: db, tracker: tracker}
	if *resume != "" {
		if _, err := db.Load(ctx, burr.AppRef{AppID: *resume}.At(burr.Latest)); err != nil {
			if errors.Is(err, burr.ErrNotFound) {
				return fail(fmt.Errorf("no conversation %q in %s", *resume, dbPath))
			}
			return fail(err)
		}
		if err := d.start(ctx, *resume); err != nil {
			return fail(err)
		}
	}

	var tty *ttyModes
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		tty = newTTYModes(f)
	}
	interactive := isTerminal(stdin)
	describe := m.Name()
	if o, ok := m.(*llm.OpenAI); ok {
		describe += " at " + o.BaseURL()
	} else {
		describe += " (set OPENAI_API_KEY to talk to a real model)"
	}
	fmt.Fprintf(stderr, "Burr demo chatbot: model %s\n", describe)
	if *resume != "" {
		fmt.Fprintf(stderr, "Conversation %s, saved in %s\n", *resume, dbPath)
	} else {
		fmt.Fprintf(stderr, "Conversations are saved in %s\n", dbPath)
	}
	if interactive {
		fmt.Fprintln(stderr, "Type a message and press Enter. Ctrl-C stops an answer; Ctrl-C or Ctrl-D at the prompt quits.")
	}
	if *resume != "" {
		d.replay()
	}

	code := d.loop(ctx, stdin, interactive, tty)
	if d.said() {
		id := d.app.Ref().AppID
		resumeArgs := []string{"demo", "--resume", id}
		if *dir != "" {
			resumeArgs = []string{"demo", "--dir", root, "--resume", id}
		}
		fmt.Fprintf(stderr, "\nConversation %s: continue it with\n  %s\n", id, commandLine(launcher, resumeArgs...))
	}
	if err := tracker.Err(); err != nil {
		fmt.Fprintf(stderr, "burr demo: tracking: %v\n", err)
	}
	return code
}

// start creates the application of conversation appID: a new one (nothing
// is saved or tracked before its first step) or one saved before.
func (d *demo) start(ctx context.Context, appID string) error {
	app, err := burr.New(ctx, burr.WithGraph(d.graph), burr.WithAppID(appID),
		burr.WithInitializeFrom(d.db, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("system")),
		burr.WithPersister(d.db), burr.WithHooks(d.tracker))
	if err != nil {
		return err
	}
	d.app = app
	return nil
}

// said reports whether the conversation holds a message of the user's: one
// that was answered, now or before, and so is worth resuming.
func (d *demo) said() bool {
	if d.app == nil {
		return false
	}
	history, _ := llm.History.Get(d.app.State())
	for _, msg := range history {
		if msg.Role == llm.RoleUser {
			return true
		}
	}
	return false
}

// explain says what went wrong in a turn: an unreachable server with the
// flag and variable that set its address, a failed answer without the
// layers of wrapping.
func (d *demo) explain(err error) string {
	var opErr *net.OpError
	if o, ok := d.model.(*llm.OpenAI); ok && errors.As(err, &opErr) && opErr.Op == "dial" {
		return fmt.Sprintf("cannot reach the model %s at %s (%v). Is the server running? "+
			"--base-url or OPENAI_BASE_URL sets its address; --offline uses the offline model.", o.Name(), o.BaseURL(), opErr.Err)
	}
	var actErr *burr.ActionError
	if errors.As(err, &actErr) {
		return "the answer failed: " + actErr.Err.Error()
	}
	return err.Error()
}

// replay prints the conversation so far.
func (d *demo) replay() {
	history, err := llm.History.Get(d.app.State())
	if err != nil {
		return
	}
	for _, msg := range history {
		switch msg.Role {
		case llm.RoleUser:
			fmt.Fprintf(d.stdout, "> %s\n", msg.Content)
		case llm.RoleAssistant:
			fmt.Fprintf(d.stdout, "%s\n\n", msg.Content)
		}
	}
}

// maxLine is the longest message the demo reads, in bytes.
const maxLine = 16 << 20

// ctrlC is the byte Ctrl-C types when it is input (see ttyModes).
const ctrlC = 3

// scanInput splits input into lines like bufio.ScanLines, and also ends a
// token at Ctrl-C, which it keeps so that the reader can tell.
func scanInput(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\n\x03"); i >= 0 && data[i] == ctrlC {
		return i + 1, data[:i+1], nil
	}
	return bufio.ScanLines(data, atEOF)
}

// loop reads one message per line and answers each, until the end of the
// input or Ctrl-C at the prompt. It returns the exit code. tty, when not
// nil, sets the terminal's modes: Ctrl-C is input while the prompt waits.
func (d *demo) loop(ctx context.Context, stdin io.Reader, interactive bool, tty *ttyModes) int {
	lines := make(chan string)
	readErr := make(chan error, 1) // sent before lines is closed
	left := make(chan struct{})
	defer close(left)
	defer tty.restore()
	go func() {
		// Reading blocks: this goroutine ends at the end of the input, or
		// with the process when the user quits at the prompt.
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 0, 64<<10), maxLine)
		if tty != nil {
			sc.Split(scanInput)
		}
		for sc.Scan() {
			line := sc.Text()
			if tty != nil && strings.HasSuffix(line, "\x03") {
				select { // what was typed before Ctrl-C is dropped
				case d.keys <- struct{}{}:
				default: // enough Ctrl-Cs are waiting already
				}
				continue
			}
			select {
			case lines <- line:
			case <-left:
				return
			}
		}
		readErr <- sc.Err()
	}()
	failed := false
	for {
		tty.atPrompt()
		if interactive {
			fmt.Fprint(d.stdout, "> ")
		}
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-d.interrupts:
			fmt.Fprintln(d.stdout)
			return exitCode(failed)
		case <-d.keys:
			fmt.Fprintln(d.stdout)
			return exitCode(failed)
		case <-ctx.Done():
			return 1
		}
		tty.answering()
		if !ok {
			if interactive {
				fmt.Fprintln(d.stdout)
			}
			if err := <-readErr; err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					err = fmt.Errorf("%w (a message is at most %d MiB)", err, maxLine>>20)
				}
				fmt.Fprintf(d.stderr, "burr demo: reading input: %v\n", err)
				return 1
			}
			return exitCode(failed)
		}
		prompt := strings.TrimSpace(line)
		if prompt == "" {
			continue
		}
		if !interactive {
			fmt.Fprintf(d.stdout, "> %s\n", prompt)
		}
		quit, abandoned, err := d.turn(ctx, prompt)
		if err != nil && !abandoned {
			failed = true
			fmt.Fprintf(d.stderr, "burr demo: %s\n", d.explain(err))
		}
		switch {
		case abandoned:
			return 130
		case quit: // the answer ended (and was kept) as the second Ctrl-C came
			return exitCode(failed)
		}
	}
}

func exitCode(failed bool) int {
	if failed {
		return 1
	}
	return 0
}

// turn streams the answer to one message. A first Ctrl-C stops the answer
// (the partial answer is kept); a second abandons it and asks to quit: it
// cancels the turn's context, which aborts the model's request even when the
// model has gone silent and the stop cannot reach the action. Should the
// answer still not end, a third Ctrl-C quits without waiting for it. quit
// reports a second Ctrl-C; abandoned, that the answer was not kept.
func (d *demo) turn(ctx context.Context, prompt string) (quit, abandoned bool, err error) {
	if d.app == nil {
		if err := d.start(ctx, burr.NewAppID()); err != nil {
			return false, false, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := d.app.StreamResult(ctx, burr.HaltAfter("chat"), burr.WithInputs(burr.Inputs{llm.PromptInput: prompt}))
	if err != nil {
		return false, false, err
	}
	// The answer is read on its own goroutine, so that every Ctrl-C is
	// handled here whatever the model does.
	var (
		printMu sync.Mutex
		gone    bool // set when the turn returned without waiting for the answer
	)
	type outcome struct {
		res burr.Result
		err error
	}
	ended := make(chan outcome, 1)
	go func() {
		for item := range stream.All() {
			printMu.Lock()
			if !gone {
				fmt.Fprint(d.stdout, item)
			}
			printMu.Unlock()
		}
		res, _, err := stream.Get()
		ended <- outcome{res, err}
	}()
	for stops := 0; ; {
		select {
		case o := <-ended:
			// The outcome decides, not the Ctrl-Cs: a stop that reached the
			// model may have kept the answer before the second Ctrl-C came.
			switch {
			case o.err != nil && quit:
				fmt.Fprintln(d.stdout, " [abandoned]")
				return true, true, o.err
			case o.err != nil:
				fmt.Fprintln(d.stdout)
				return false, false, o.err
			case o.res["finish_reason"] == llm.FinishStopped:
				fmt.Fprint(d.stdout, " [stopped]")
			}
			fmt.Fprint(d.stdout, "\n\n")
			return quit, false, nil
		case <-d.interrupts:
		case <-d.keys: // typed at the prompt just before the answer started
		}
		switch stops++; stops {
		case 1:
			// Stop drives the stream itself if the reader has not
			// started yet: keep this loop free for the next Ctrl-C.
			go stream.Stop()
		case 2:
			quit = true
			stream.Close()
			cancel()
		default:
			printMu.Lock()
			gone = true
			fmt.Fprintln(d.stdout, " [abandoned]")
			printMu.Unlock()
			return true, true, nil
		}
	}
}

// isTerminal reports whether r is a terminal (a character device).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
