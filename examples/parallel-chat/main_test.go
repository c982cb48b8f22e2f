package main

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/burrgo/burr/llm"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	questions := []string{"What is a monad?", "Why is the sky blue?", "Is Go fast?"}
	var out strings.Builder
	if err := run(t.Context(), &out, &llm.Offline{}, questions); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for i, q := range questions {
		want := llm.OfflineAnswer([]llm.Message{{Role: llm.RoleUser, Content: q}})
		// The merged stream: every piece of every answer, tagged, in the
		// answer's order.
		var pieces []string
		for _, line := range strings.Split(text, "\n") {
			if rest, ok := strings.CutPrefix(line, fmt.Sprintf("[%d] ", i)); ok && !strings.HasPrefix(rest, "asks: ") && !strings.HasPrefix(rest, "answered: ") {
				pieces = append(pieces, rest)
			}
		}
		if got := strings.Join(pieces, " "); got != strings.Join(strings.Fields(want), " ") {
			t.Errorf("question %d: streamed %q, want the pieces of %q", i, got, want)
		}
		if !strings.Contains(text, fmt.Sprintf("[%d] answered: %s\n", i, want)) {
			t.Errorf("question %d: no final answer %q in:\n%s", i, want, text)
		}
	}
}

func TestRunNoQuestions(t *testing.T) {
	err := run(t.Context(), &strings.Builder{}, &llm.Offline{}, nil)
	if err == nil || !strings.Contains(err.Error(), `"questions"`) {
		t.Fatalf("error %v, want one naming the input", err)
	}
}
