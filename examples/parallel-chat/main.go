// Command parallel-chat asks a model several questions at once and prints
// the answers as they stream in, every piece tagged with the question it
// answers.
//
//	go run ./examples/parallel-chat
//	go run ./examples/parallel-chat "Why is the sky blue?" "What is a monad?"
//
// With no API key it talks to the offline model (package llm); set
// OPENAI_API_KEY (and OPENAI_BASE_URL, OPENAI_MODEL) to ask a real one.
//
// The application has one action, "ask", a streaming parallel action
// (burr.NewStreamingParallelAction): its tasks are one child application per
// question, each running llm.ChatAction with the question as its prompt. The
// children run at once; the parent's stream yields their pieces of text
// merged as they arrive, each a *burr.ChildItem that says which child it came
// from, and when every child is done the reduce collects the answers, in the
// order of the questions, into the parent's state under "answers".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/burrgo/burr"
	"github.com/burrgo/burr/llm"
)

var defaultQuestions = []string{
	"Why do parallel fan-outs need a bounded concurrency?",
	"What is a state machine?",
	"Name a good reason to stream an answer.",
}

func main() {
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: parallel-chat [question …]")
		flag.PrintDefaults()
	}
	flag.Parse()
	questions := flag.Args()
	if len(questions) == 0 {
		questions = defaultQuestions
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, llm.FromEnv(), questions); err != nil {
		fmt.Fprintln(os.Stderr, "parallel-chat:", err)
		os.Exit(1)
	}
}

var answers = burr.Key[[]string]("answers")

// askAll returns the streaming parallel action that asks every question of
// the input "questions" in a child of its own.
func askAll(m llm.Model) *burr.Action {
	chat := burr.SubgraphOf(llm.ChatAction("chat", m))
	tasks := func(_ context.Context, _ burr.State, in burr.Inputs) ([]burr.Task, error) {
		qs, ok := in["questions"].([]string)
		if !ok || len(qs) == 0 {
			return nil, errors.New(`the input "questions" must be a non-empty []string`)
		}
		ts := make([]burr.Task, len(qs))
		for i, q := range qs {
			ts[i] = burr.Task{Subgraph: chat, Inputs: burr.Inputs{llm.PromptInput: q}}
		}
		return ts, nil
	}
	reduce := func(_ context.Context, s burr.State, children []burr.State) (burr.State, error) {
		out := make([]string, len(children))
		for i, c := range children {
			history, err := llm.History.Get(c)
			if err != nil {
				return s, fmt.Errorf("child %d: %w", i, err)
			}
			out[i] = history[len(history)-1].Content
		}
		return answers.Set(s, out), nil
	}
	return burr.NewStreamingParallelAction("ask", tasks, reduce,
		burr.RequiredInputs("questions"), burr.Writes("answers"))
}

// run asks every question of questions with m and writes the merged stream,
// then the answers, to out.
func run(ctx context.Context, out io.Writer, m llm.Model, questions []string) error {
	app, err := burr.New(ctx, burr.WithActions(askAll(m)), burr.WithEntrypoint("ask"))
	if err != nil {
		return err
	}
	for i, q := range questions {
		fmt.Fprintf(out, "[%d] asks: %s\n", i, q)
	}
	st, err := app.StreamResult(ctx, burr.HaltAfter("ask"), burr.WithInputs(burr.Inputs{"questions": questions}))
	if err != nil {
		return err
	}
	for item := range st.All() {
		ci := item.(*burr.ChildItem)
		fmt.Fprintf(out, "[%d] %s\n", ci.Index, strings.TrimSpace(ci.Item.(string)))
	}
	_, s, err := st.Get()
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	for i, a := range answers.Or(s, nil) {
		fmt.Fprintf(out, "[%d] answered: %s\n", i, a)
	}
	return nil
}
