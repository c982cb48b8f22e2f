// Command tool-approval is an agent that asks a person before it runs a
// tool. The model proposes a tool call; the "approve" action stops the run
// with burr.Ask, and the program shows the question, reads the answer and
// resumes — in a new Application loaded from the SQLite store, as another
// process or server instance would.
//
//	go run ./examples/tool-approval "clean up the build cache"
//	go run ./examples/tool-approval -answer no "clean up the build cache"
//
// The graph: "propose" (the model picks a tool call) → "approve" (asks) →
// "run_tool" when approved, with a retry policy for a flaky tool → "respond"
// (the model streams its answer; the offline model unless OPENAI_API_KEY is
// set). A failing tool goes to "respond" too, through an error transition,
// so that the model can say what went wrong.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
	"github.com/burrgo/burr/persist/sqlite"
)

func main() {
	db := flag.String("db", filepath.Join(os.TempDir(), "tool-approval.db"), "the SQLite file the run is saved to")
	answer := flag.String("answer", "", "answer the question with this (yes or no) instead of reading it from the terminal")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: tool-approval [-db file] [-answer yes|no] request")
		flag.PrintDefaults()
	}
	flag.Parse()
	request := strings.Join(flag.Args(), " ")
	if request == "" {
		request = "clean up the build cache"
	}
	in := io.Reader(os.Stdin)
	if *answer != "" {
		in = strings.NewReader(*answer + "\n")
	}
	cfg := config{db: *db, model: llm.FromEnv(), tool: runTool}
	if err := run(context.Background(), os.Stdout, in, cfg, burr.NewAppID(), request); err != nil {
		fmt.Fprintln(os.Stderr, "tool-approval:", err)
		os.Exit(1)
	}
}

// config is what run needs from outside: where to save, which model, and
// the tool itself.
type config struct {
	db    string
	model llm.Model
	tool  func(ctx context.Context, call toolCall) (string, error)
}

// toolCall is what the model proposes.
type toolCall struct {
	Tool string `json:"tool"`
	Arg  string `json:"arg"`
}

// propose stands in for a model's tool call: it picks a tool from the
// request's words, as a function-calling model would.
func propose(request string) toolCall {
	r := strings.ToLower(request)
	switch {
	case strings.Contains(r, "clean") || strings.Contains(r, "delete"):
		return toolCall{Tool: "delete_files", Arg: "build/cache"}
	case strings.Contains(r, "weather"):
		return toolCall{Tool: "weather", Arg: "Berlin"}
	}
	return toolCall{Tool: "search", Arg: request}
}

// runTool pretends to run the call.
func runTool(_ context.Context, call toolCall) (string, error) {
	return fmt.Sprintf("%s(%q) done", call.Tool, call.Arg), nil
}

// graph builds the agent's graph.
func graph(cfg config) (*burr.Graph, error) {
	proposeAction := burr.NewAction("propose", func(_ context.Context, s burr.State, in burr.Inputs) (burr.State, error) {
		req, _ := in["request"].(string)
		call := propose(req)
		return s.Set("request", req).Set("tool_call", map[string]any{"tool": call.Tool, "arg": call.Arg}), nil
	}, burr.RequiredInputs("request"), burr.Writes("request", "tool_call"))

	approve := burr.NewAction("approve", func(ctx context.Context, s burr.State) (burr.State, error) {
		call, _ := s.Value("tool_call").(map[string]any)
		ans, err := burr.Ask(ctx, map[string]any{
			"question":  fmt.Sprintf("Run %v on %q?", call["tool"], call["arg"]),
			"tool_call": call,
		})
		if err != nil {
			return s, err
		}
		yes := strings.HasPrefix(strings.ToLower(strings.TrimSpace(fmt.Sprint(ans))), "y")
		return s.Set("approved", yes), nil
	}, burr.Reads("tool_call"), burr.Writes("approved"))

	tool := burr.NewAction("run_tool", func(ctx context.Context, s burr.State) (burr.State, error) {
		call, _ := s.Value("tool_call").(map[string]any)
		out, err := cfg.tool(ctx, toolCall{Tool: fmt.Sprint(call["tool"]), Arg: fmt.Sprint(call["arg"])})
		if err != nil {
			return s, err
		}
		return s.Set("tool_result", out), nil
	}, burr.Reads("tool_call"), burr.Writes("tool_result"),
		burr.Retry(burr.RetryPolicy{Attempts: 3, Backoff: 10 * time.Millisecond, Jitter: 0.5, If: burr.RetryOn(errTemporary)}),
		burr.Timeout(10*time.Second))

	respond := burr.NewStreamingAction("respond", func(ctx context.Context, s burr.State, yield burr.Yield) (burr.Result, burr.State, error) {
		var outcome string
		switch {
		case s.Value("approved") == false:
			outcome = "the user declined the tool call"
		case s.Has("tool_result"):
			outcome = fmt.Sprint(s.Value("tool_result"))
		default:
			if failed, ok := burr.HandledError(ctx); ok {
				outcome = "the tool failed: " + failed.Err.Error()
			}
		}
		msgs := []llm.Message{{Role: llm.RoleUser, Content: fmt.Sprintf("%s (%s)", s.Value("request"), outcome)}}
		reply, err := cfg.model.Chat(ctx, msgs, func(text string) bool { return yield(text) })
		if err != nil {
			return nil, s, err
		}
		return burr.Result{"answer": reply.Content}, s.Set("answer", reply.Content).Set("outcome", outcome), nil
	}, burr.Reads("request", "approved", "tool_result"), burr.Writes("answer", "outcome"))

	return burr.NewGraph([]*burr.Action{proposeAction, approve, tool, respond},
		burr.From("propose").To("approve"),
		burr.From("approve").To("run_tool", burr.When("approved", true)),
		burr.From("approve").To("respond"),
		burr.From("run_tool").To("respond"),
		burr.From("run_tool").OnError("respond"),
	)
}

// errTemporary marks a tool failure worth another attempt.
var errTemporary = errors.New("temporarily unavailable")

// run runs the agent for request under app id id until it asks, shows the
// question on out, reads the answer from in, and resumes in a new
// Application loaded from the store.
func run(ctx context.Context, out io.Writer, in io.Reader, cfg config, id, request string) error {
	store, err := sqlite.Open(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Initialize(ctx); err != nil {
		return err
	}
	g, err := graph(cfg)
	if err != nil {
		return err
	}
	load := func() (*burr.Application, error) {
		return burr.New(ctx, burr.WithGraph(g), burr.WithAppID(id), burr.WithPersister(store),
			burr.WithInitializeFrom(store, burr.ResumeAtNextAction(), burr.DefaultEntrypoint("propose")))
	}
	app, err := load()
	if err != nil {
		return err
	}
	_, err = app.Run(ctx, burr.HaltBefore("respond"), burr.WithInputs(burr.Inputs{"request": request}))
	var intr *burr.Interrupt
	if !errors.As(err, &intr) {
		return fmt.Errorf("the agent did not ask for approval: %v", err)
	}
	question, _ := intr.Payload.(map[string]any)
	fmt.Fprintf(out, "The agent asks: %v [yes/no] ", question["question"])
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("reading the answer: %w", err)
	}
	fmt.Fprintln(out)

	// Any instance can resume: load the application again from the store.
	app, err = load()
	if err != nil {
		return err
	}
	if _, ok := app.Interrupted(); !ok {
		return errors.New("the loaded application is not waiting for an answer")
	}
	if _, err := app.Run(ctx, burr.HaltBefore("respond"), burr.WithAnswer(strings.TrimSpace(line))); err != nil {
		return err
	}
	st, err := app.StreamResult(ctx, burr.HaltAfter("respond"))
	if err != nil {
		return err
	}
	for piece := range st.All() {
		fmt.Fprint(out, piece)
	}
	fmt.Fprintln(out)
	_, state, err := st.Get()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "(%v)\n", state.Value("outcome"))
	return nil
}
