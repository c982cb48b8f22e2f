package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/burrgo/burr/llm/llmtest"
)

// httpError401 answers every request as an API rejecting the key.
type httpError401 struct{}

func (httpError401) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	llmtest.WriteError(w, http.StatusUnauthorized, "invalid_request_error", "Incorrect API key provided.")
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{nil, 2, "", "Usage: burr <command>"},
		{[]string{"help"}, 0, "Commands:\n  demo", ""},
		{[]string{"-h"}, 0, "Commands:", ""},
		{[]string{"help", "demo"}, 0, "Usage: burr demo", ""},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"demo", "-h"}, 0, "Ctrl-C while an answer streams stops it", ""},
		{[]string{"ui", "-h"}, 0, "Usage: burr ui", ""},
		{[]string{"graph", "-h"}, 0, "Usage: burr graph", ""},
		{[]string{"version", "-h"}, 0, "Usage: burr version", ""},
		{[]string{"version"}, 0, "burr ", ""},
		{[]string{"version", "x"}, 2, "", "unexpected argument"},
		{[]string{"graph"}, 0, "digraph", ""},
		{[]string{"graph", "--format", "mermaid"}, 0, "flowchart", ""},
		{[]string{"graph", "--format", "svg"}, 2, "", `unknown --format "svg"`},
		{[]string{"graph", "--nope"}, 2, "", "run 'burr graph -h' for usage"},
	} {
		var out, errb lockedBuffer
		code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errb, nil)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("burr %v: exit %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, out.String(), errb.String())
		}
		// A bad command line gets one line saying what is wrong and one
		// saying where the help is, not the whole usage.
		if len(tc.args) > 0 && code == 2 && (strings.Count(errb.String(), "\n") != 2 || !strings.Contains(errb.String(), "\nrun 'burr ")) {
			t.Errorf("burr %v: stderr is not an error and a hint:\n%s", tc.args, errb.String())
		}
	}
}

func TestGraphShowsTheDemo(t *testing.T) {
	var out lockedBuffer
	if code := run(context.Background(), []string{"graph"}, nil, &out, &out, nil); code != 0 {
		t.Fatal(out.String())
	}
	for _, want := range []string{"system", "chat", "chat_history", "prompt"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("graph lacks %q:\n%s", want, out.String())
		}
	}
}
